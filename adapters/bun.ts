/**
 * anyhttp on `Bun.listen`: `createServer` with the Bun transport built in.
 *
 * @example
 * ```ts
 * import { createServer } from "@anyhttp/anyhttp/bun";
 * const server = createServer((_req, res) => res.end("ok"));
 * server.listen(0, () => server.close());
 * ```
 *
 * @module
 */
import {
  type CreateServer,
  createServerOf,
  type IncomingMessageClass,
  type RequestClass,
  type ResponseClass,
  type Server as HttpServer,
  type HttpModule,
  httpModule,
  type ServerConstructor,
  serverOn,
  type ServerResponseClass,
} from "./_http.ts";
import { bunTransport } from "./bun-transport.ts";

export * from "./_common.ts";
export { bunTransport };

/** A server: node:http's `Server` type, plus anyhttp's settings. */
export type Server<
  Request extends RequestClass = IncomingMessageClass,
  Response extends ResponseClass<Request> = ServerResponseClass,
> = HttpServer<Request, Response>;

/** The server class on the Bun transport (pass `{ transport }` to use another). */
export const Server: ServerConstructor = serverOn(bunTransport);

/** Create a server on the Bun transport: `createServer([options][, requestListener])`, as node:http's. */
export const createServer: CreateServer = createServerOf(Server);

/**
 * node:http's shape: `import http from "anyhttp"`, then `http.createServer()`, `http.METHODS`,
 * `http.STATUS_CODES`, ...
 */
const http: HttpModule = httpModule(Server, createServer);
export default http;
