/**
 * What every runtime entry point re-exports from the core besides its own `createServer`:
 * the classes and tables that `node:http` users reach for.
 *
 * @module
 */
import "./_node-http.ts";
export {
  EventEmitter,
  IncomingMessage,
  LocalProtocolError,
  RemoteProtocolError,
  ServerResponse,
  Socket,
  STATUS_CODES,
  validateHeaderName,
  validateHeaderValue,
} from "../core/mod.ts";
export type {
  AddressInfo,
  Clock,
  ConnectionSink,
  HeaderValue,
  IncomingHeaders,
  Listener,
  ListenOptions,
  RequestListener,
  ServerOptions,
  TcpHandle,
  Transport,
} from "../core/mod.ts";
