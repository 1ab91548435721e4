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
import {
  type RequestListener,
  Server as CoreServer,
  type ServerOptions,
  type Transport,
  withTransport,
} from "../core/mod.ts";
import { bunTransport } from "./bun-transport.ts";
import { denoTransport } from "./deno-transport.ts";
import { nodeTransport } from "./node-transport.ts";
import { streamHandOff } from "./stream-socket.ts";

export * from "./_common.ts";

/** The transport of the running runtime. */
export const runtimeTransport: Transport = "Deno" in globalThis
  ? denoTransport
  : "Bun" in globalThis
  ? bunTransport
  : nodeTransport;

/** An HTTP server on the running runtime's transport. */
export class Server extends CoreServer {
  constructor(options?: ServerOptions | RequestListener, requestListener?: RequestListener) {
    super(...withTransport({ transport: runtimeTransport, handOff: streamHandOff }, options, requestListener));
  }
}

/** Create a server: `createServer([options][, requestListener])`, as `node:http`'s. */
export function createServer(
  options?: ServerOptions | RequestListener,
  requestListener?: RequestListener,
): Server {
  return new Server(options, requestListener);
}
