/**
 * anyhttp on Node's `node:net`: `createServer` with the Node transport built in.
 *
 * @example
 * ```ts
 * import { createServer } from "@anyhttp/anyhttp/node";
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
import { nodeTransport } from "./node-transport.ts";
import { streamHandOff } from "./stream-socket.ts";

export * from "./_common.ts";
export { nodeTransport };

/** An HTTP server on the Node transport (pass `{ transport }` to use another). */
export class Server extends CoreServer {
  constructor(options?: ServerOptions | RequestListener, requestListener?: RequestListener) {
    super(...withTransport({ transport: nodeTransport, handOff: streamHandOff }, options, requestListener));
  }
}

/** Create a server on the Node transport: `createServer([options][, requestListener])`. */
export function createServer(
  options?: ServerOptions | RequestListener,
  requestListener?: RequestListener,
): Server {
  return new Server(options, requestListener);
}
