/**
 * What every runtime entry point re-exports besides its own `Server` and `createServer`: the
 * classes and tables that `node:http` users reach for, typed as node:http's (`_http.ts`), and
 * the core's transport contract.
 *
 * @module
 */
export {
  type AnyhttpServerOptions,
  type AnyhttpServerProperties,
  type CreateServer,
  type HttpModule,
  IncomingMessage,
  type IncomingMessageClass,
  type RequestClass,
  type RequestListener,
  type ResponseClass,
  type Server as HttpServer,
  type ServerConstructor,
  type ServerOptions,
  ServerResponse,
  type ServerResponseClass,
  Socket,
} from "./_http.ts";
export {
  EventEmitter,
  LocalProtocolError,
  maxHeaderSize,
  METHODS,
  RemoteProtocolError,
  STATUS_CODES,
  validateHeaderName,
  validateHeaderValue,
} from "../core/mod.ts";
export type {
  AddressInfo,
  Clock,
  ConnectionSink,
  HandOff,
  HandOffSocket,
  HeaderValue,
  IncomingHeaders,
  Listener,
  ListenOptions,
  TcpHandle,
  Transport,
} from "../core/mod.ts";
export { StreamSocket, streamHandOff } from "./stream-socket.ts";
