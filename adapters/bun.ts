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
  type RequestListener,
  Server as CoreServer,
  type ServerOptions,
  withTransport,
} from "../core/mod.ts";
import { bunTransport } from "./bun-transport.ts";
import { streamHandOff } from "./stream-socket.ts";

export * from "./_common.ts";
export { bunTransport };

/** An HTTP server on the Bun transport (pass `{ transport }` to use another). */
export class Server extends CoreServer {
  constructor(options?: ServerOptions | RequestListener, requestListener?: RequestListener) {
    super(...withTransport({ transport: bunTransport, handOff: streamHandOff }, options, requestListener));
  }
}

/** Create a server on the Bun transport: `createServer([options][, requestListener])`. */
export function createServer(
  options?: ServerOptions | RequestListener,
  requestListener?: RequestListener,
): Server {
  return new Server(options, requestListener);
}
