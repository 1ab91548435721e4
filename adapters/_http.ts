/**
 * The runtime entry points' public types: node:http's own. Code typed against `node:http`
 * (Express, Koa, Fastify's `serverFactory`, ws, socket.io, supertest, `@hono/node-server`)
 * takes anyhttp's server, request and response with no cast, because their declared types are
 * `http.Server`, `http.IncomingMessage` and `http.ServerResponse`, plus anyhttp's additions.
 *
 * The values are the core's classes; only their declared types change here. `core/` keeps its
 * own runtime-free types (`anyhttp/core`). What node:http declares and the core does not
 * implement is listed, and kept exact, by `tests/types/node-gaps.ts`.
 *
 * The types come from `@types/node` on npm (a dependency of every Node TypeScript project);
 * Deno and Bun ship the same declarations for `node:http`.
 *
 * @module
 */
import type * as http from "node:http";
import type * as net from "node:net";
import {
  IncomingMessage as CoreIncomingMessage,
  maxHeaderSize,
  METHODS,
  STATUS_CODES,
  validateHeaderName,
  validateHeaderValue,
  type RequestListener as CoreRequestListener,
  Server as CoreServer,
  type ServerOptions as CoreServerOptions,
  ServerResponse as CoreServerResponse,
  Socket as CoreSocket,
  type Transport,
  withTransport,
} from "../core/mod.ts";
import { streamHandOff } from "./stream-socket.ts";
import { shareNodeHeaders } from "./_node-http.ts";

/** A request as a listener receives it: node:http's `IncomingMessage`, plus `toWeb()`. */
export interface IncomingMessage extends http.IncomingMessage {
  /** The body as a web byte stream (Node's `Readable.toWeb(req)` needs stream internals). */
  toWeb(): ReadableStream<Uint8Array>;
}

/** The request class: node:http's `IncomingMessage` class, whose instances have `toWeb()`. */
export type IncomingMessageClass = typeof http.IncomingMessage & {
  new (socket: net.Socket): IncomingMessage;
  readonly prototype: IncomingMessage;
};

/** The request class (the core's, declared as node:http's so subclasses fit its options). */
export const IncomingMessage: IncomingMessageClass = CoreIncomingMessage as unknown as IncomingMessageClass;

/** A response as a listener receives it: node:http's `ServerResponse`. */
export type ServerResponse<Request extends http.IncomingMessage = IncomingMessage> = http.ServerResponse<Request>;

/** The response class: node:http's `ServerResponse` class (generic over its request, as there). */
export type ServerResponseClass = typeof http.ServerResponse;

/** The response class (the core's, declared as node:http's so subclasses fit its options). */
export const ServerResponse: ServerResponseClass = CoreServerResponse as unknown as ServerResponseClass;

/** A connection's socket: node:net's `Socket`, as `req.socket` and `'connection'` give it. */
export type Socket = net.Socket;

/** The socket class (the core's, declared as node:net's). */
export const Socket: typeof net.Socket = CoreSocket as unknown as typeof net.Socket;

/** Any request class node:http accepts: the `Request` type parameter's bound. */
export type RequestClass = typeof http.IncomingMessage;

/** Any response class node:http accepts for `Request`: the `Response` type parameter's bound. */
export type ResponseClass<Request extends RequestClass> = typeof http.ServerResponse<InstanceType<Request>>;

/** The request handler: node:http's `RequestListener`, with anyhttp's request by default. */
export type RequestListener<
  Request extends RequestClass = IncomingMessageClass,
  Response extends ResponseClass<Request> = ServerResponseClass,
> = http.RequestListener<Request, Response>;

/** anyhttp's own options beside node:http's: the seams and limits of the core. */
export type AnyhttpServerOptions = Omit<CoreServerOptions, keyof http.ServerOptions>;

/** Options of `createServer()`: node:http's, plus anyhttp's (`transport`, `clock`, ...). */
export interface ServerOptions<
  Request extends RequestClass = IncomingMessageClass,
  Response extends ResponseClass<Request> = ServerResponseClass,
> extends http.ServerOptions<Request, Response>, AnyhttpServerOptions {}

/** The settings anyhttp's server has beyond node:http's, as properties. */
export type AnyhttpServerProperties = Pick<
  CoreServer,
  | "maxRequestBodySize" | "keepAliveTimeoutBuffer" | "requireHostHeader" | "joinDuplicateHeaders" | "maxHeaderSize"
  | "insecureHTTPParser" | "highWaterMark" | "rejectNonStandardBodyWrites" | "noDelay" | "keepAlive"
  | "keepAliveInitialDelay" | "optimizeEmptyRequests" | "shouldUpgradeCallback"
>;

/** A server: node:http's `Server`, plus anyhttp's settings. */
export interface Server<
  Request extends RequestClass = IncomingMessageClass,
  Response extends ResponseClass<Request> = ServerResponseClass,
> extends http.Server<Request, Response>, AnyhttpServerProperties {}

/** The server class: constructed as node:http's `Server` is. */
export interface ServerConstructor {
  /** A server that emits `'request'` to `requestListener`. */
  new <
    Request extends RequestClass = IncomingMessageClass,
    Response extends ResponseClass<Request> = ServerResponseClass,
  >(requestListener?: http.RequestListener<Request, Response>): Server<Request, Response>;
  /** A server with options (node:http's and anyhttp's). */
  new <
    Request extends RequestClass = IncomingMessageClass,
    Response extends ResponseClass<Request> = ServerResponseClass,
  >(options: ServerOptions<Request, Response>, requestListener?: http.RequestListener<Request, Response>): Server<
    Request,
    Response
  >;
  /** The prototype every server inherits. */
  readonly prototype: Server;
}

/** `createServer([options][, requestListener])`, typed as node:http's. */
export interface CreateServer {
  /** A server that emits `'request'` to `requestListener`. */
  <
    Request extends RequestClass = IncomingMessageClass,
    Response extends ResponseClass<Request> = ServerResponseClass,
  >(requestListener?: http.RequestListener<Request, Response>): Server<Request, Response>;
  /** A server with options (node:http's and anyhttp's). */
  <
    Request extends RequestClass = IncomingMessageClass,
    Response extends ResponseClass<Request> = ServerResponseClass,
  >(options: ServerOptions<Request, Response>, requestListener?: http.RequestListener<Request, Response>): Server<
    Request,
    Response
  >;
}

/** The core's server with `transport` as its default transport. */
export function serverOn(transport: Transport): ServerConstructor {
  class Server extends CoreServer {
    constructor(options?: CoreServerOptions | CoreRequestListener, requestListener?: CoreRequestListener) {
      shareNodeHeaders();
      // Upgrade and CONNECT listeners get a node:stream Duplex (./stream-socket.ts).
      super(...withTransport({ transport, handOff: streamHandOff }, options, requestListener));
    }
  }
  return Server as unknown as ServerConstructor;
}

/** `createServer` for a server class made by {@link serverOn}. */
export function createServerOf(Server: ServerConstructor): CreateServer {
  return ((options?: ServerOptions | RequestListener, requestListener?: RequestListener) =>
    new Server(options as ServerOptions, requestListener)) as CreateServer;
}

/**
 * The default export of every runtime entry: `node:http`'s server side in its shape, so
 * `import http from "anyhttp"` then `http.createServer(...)` reads as it does with node:http.
 */
export interface HttpModule {
  /** `http.createServer`. */
  createServer: CreateServer;
  /** `http.Server`. */
  Server: ServerConstructor;
  /** `http.IncomingMessage`. */
  IncomingMessage: IncomingMessageClass;
  /** `http.ServerResponse`. */
  ServerResponse: ServerResponseClass;
  /** `http.STATUS_CODES`. */
  STATUS_CODES: Readonly<Record<number, string>>;
  /** `http.METHODS`: the methods the parser accepts. */
  METHODS: string[];
  /** `http.maxHeaderSize`: 16384. */
  maxHeaderSize: number;
  /** `http.validateHeaderName`. */
  validateHeaderName: typeof validateHeaderName;
  /** `http.validateHeaderValue`. */
  validateHeaderValue: typeof validateHeaderValue;
}

/** The {@link HttpModule} of a runtime entry. */
export function httpModule(Server: ServerConstructor, createServer: CreateServer): HttpModule {
  return {
    createServer,
    Server,
    IncomingMessage,
    ServerResponse,
    STATUS_CODES,
    METHODS,
    maxHeaderSize,
    validateHeaderName,
    validateHeaderValue,
  };
}
