/**
 * anyhttp on `Deno.listen`: `createServer` with the Deno transport built in.
 *
 * @example
 * ```ts
 * import { createServer } from "@anyhttp/anyhttp/deno";
 * const server = createServer((_req, res) => res.end("ok"));
 * server.listen(0, () => server.close());
 * ```
 *
 * @module
 */
import {
  type RequestListener,
  Server as CoreServer,
  type ServerOptions,
  withTransport,
} from "../core/mod.ts";
import { denoTransport } from "./deno-transport.ts";
import { streamHandOff } from "./stream-socket.ts";

export * from "./_common.ts";
export { denoTransport };

/** An HTTP server on the Deno transport (pass `{ transport }` to use another). */
export class Server extends CoreServer {
  constructor(options?: ServerOptions | RequestListener, requestListener?: RequestListener) {
    super(...withTransport({ transport: denoTransport, handOff: streamHandOff }, options, requestListener));
  }
}

/** Create a server on the Deno transport: `createServer([options][, requestListener])`. */
export function createServer(
  options?: ServerOptions | RequestListener,
  requestListener?: RequestListener,
): Server {
  return new Server(options, requestListener);
}
