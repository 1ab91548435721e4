/**
 * anyhttp: Node's `http` server on whichever runtime imports it. Picks the transport by
 * runtime (`Deno.listen` under Deno, `Bun.listen` under Bun, `node:net` elsewhere); the
 * HTTP behaviour is the same core on all three.
 *
 * @example
 * ```ts
 * import { createServer } from "@anyhttp/anyhttp";
 * const server = createServer((_req, res) => {
 *   res.write("ok");
 *   res.end();
 * });
 * server.listen(0, () => server.close());
 * ```
 *
 * @module
 */
import type { Transport } from "../core/mod.ts";
import { transportFor } from "./_runtime.ts";
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

export * from "./_common.ts";

/** The transport of the running runtime. */
export const runtimeTransport: Transport = transportFor();

/** A server: node:http's `Server` type, plus anyhttp's settings. */
export type Server<
  Request extends RequestClass = IncomingMessageClass,
  Response extends ResponseClass<Request> = ServerResponseClass,
> = HttpServer<Request, Response>;

/** The server class on the running runtime's transport. */
export const Server: ServerConstructor = serverOn(runtimeTransport);

/** Create a server: `createServer([options][, requestListener])`, as node:http's. */
export const createServer: CreateServer = createServerOf(Server);

/**
 * node:http's shape: `import http from "anyhttp"`, then `http.createServer()`, `http.METHODS`,
 * `http.STATUS_CODES`, ...
 */
const http: HttpModule = httpModule(Server, createServer);
export default http;
