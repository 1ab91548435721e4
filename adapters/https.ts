/**
 * anyhttp over TLS: node:https's `createServer(options, requestListener)` on whichever runtime
 * imports it, served through `node:tls` (Node), `Deno.listenTls` (Deno) or
 * `Bun.listen({ tls })` (Bun). The TLS options (`key`, `cert`, `ca`, `passphrase`, `pfx`,
 * `requestCert`, `rejectUnauthorized`, `ALPNProtocols` — `["http/1.1"]` by default, as
 * node:https — `SNICallback`, ...) go to the transport; every other option is node:http's and
 * goes to the same core as `anyhttp`'s. An option the runtime cannot do throws here, naming the
 * option and the runtime (`ERR_FEATURE_UNAVAILABLE_ON_PLATFORM`).
 *
 * `req.socket.encrypted` is `true` (so Express's `req.protocol` is `"https"`), and the socket
 * has node:tls's `authorized`, `alpnProtocol` and `getPeerCertificate()`.
 *
 * @example
 * ```ts
 * import { readFileSync } from "node:fs";
 * import { createServer } from "@anyhttp/anyhttp/https";
 * const server = createServer({
 *   key: readFileSync("tests/fixtures/tls/server.key"),
 *   cert: readFileSync("tests/fixtures/tls/server.crt"),
 * }, (_req, res) => res.end("ok"));
 * server.listen(0, () => server.close());
 * ```
 *
 * @module
 */
import type * as http from "node:http";
import type * as https from "node:https";
import {
  type RequestListener as CoreRequestListener,
  Server as CoreServer,
  type ServerOptions as CoreServerOptions,
  type Transport,
  withTransport,
} from "../core/mod.ts";
import { typeError } from "../core/errors.ts";
import {
  type AnyhttpServerOptions,
  createServerOf,
  type IncomingMessageClass,
  type RequestClass,
  type ResponseClass,
  type Server as HttpServer,
  type ServerConstructor,
  type ServerResponseClass,
} from "./_http.ts";
import { shareNodeHeaders } from "./_node-http.ts";
import { splitTlsOptions, type TlsServerOptions } from "./_tls.ts";

export type { Pem, TlsServerOptions } from "./_tls.ts";
import { streamHandOff } from "./stream-socket.ts";
import { transportFor } from "./_runtime.ts";

export * from "./_common.ts";

/** Options of `createServer()`: node:https's (TLS and HTTP), plus anyhttp's. */
export interface ServerOptions<
  Request extends RequestClass = IncomingMessageClass,
  Response extends ResponseClass<Request> = ServerResponseClass,
> extends https.ServerOptions<Request, Response>, AnyhttpServerOptions {}

/** A server: node:http's `Server` type (over TLS), plus anyhttp's settings. */
export type Server<
  Request extends RequestClass = IncomingMessageClass,
  Response extends ResponseClass<Request> = ServerResponseClass,
> = HttpServer<Request, Response>;

/** The https server class: constructed as node:https's `Server` is. */
export interface HttpsServerConstructor {
  /** A server with TLS and HTTP options. */
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

/** `createServer(options[, requestListener])`, typed as node:https's. */
export interface CreateHttpsServer {
  /** A server with TLS and HTTP options. */
  <
    Request extends RequestClass = IncomingMessageClass,
    Response extends ResponseClass<Request> = ServerResponseClass,
  >(options: ServerOptions<Request, Response>, requestListener?: http.RequestListener<Request, Response>): Server<
    Request,
    Response
  >;
}

/** The running runtime's TLS transport for `tls` (throws for what the runtime cannot do). */
export function runtimeTlsTransport(tls: TlsServerOptions): Transport {
  return transportFor(tls);
}

class HttpsServer extends CoreServer {
  constructor(options?: CoreServerOptions | CoreRequestListener, requestListener?: CoreRequestListener) {
    if (options === undefined || options === null || typeof options !== "object") {
      throw typeError("ERR_INVALID_ARG_TYPE", "Cannot create an https server: the options (key and cert, or pfx) are missing");
    }
    shareNodeHeaders();
    const [tls, rest] = splitTlsOptions(options);
    if (rest.transport !== undefined) {
      // Its TLS options would go nowhere: a transport of your own goes to anyhttp/core's createServer.
      throw typeError("ERR_INVALID_ARG_VALUE", "Cannot create an https server with a \"transport\": it serves TLS on the runtime's own");
    }
    super(...withTransport({ transport: runtimeTlsTransport(tls), handOff: streamHandOff }, rest, requestListener));
  }
}

/** The https server class on the running runtime's TLS transport. */
export const Server: HttpsServerConstructor = HttpsServer as unknown as HttpsServerConstructor;

/** Create an https server: `createServer(options[, requestListener])`, as node:https's. */
export const createServer: CreateHttpsServer = createServerOf(
  HttpsServer as unknown as ServerConstructor,
) as unknown as CreateHttpsServer;
