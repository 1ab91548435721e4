/**
 * anyhttp's runtime-free core: the HTTP/1.1 server, its message objects, the parser binding,
 * the transport contract, and the in-memory transport and virtual clock for tests.
 *
 * To serve on real sockets, import `createServer` from `anyhttp` (or `anyhttp/node`,
 * `anyhttp/deno`, `anyhttp/bun`) instead: those pass the runtime's transport.
 *
 * @example
 * ```ts
 * import { createMemoryTransport, createServer } from "@anyhttp/anyhttp/core";
 * const server = createServer({ transport: createMemoryTransport() }, (_req, res) => res.end("ok"));
 * server.listen(0, () => server.close());
 * ```
 *
 * @module
 */

export { createServer, Server, type RequestListener, type ServerOptions, withTransport } from "./server.ts";
export {
  distinctFromRaw,
  headersFromRaw,
  type IncomingHeaders,
  IncomingMessage,
  type MessageHooks,
  type ParsedHead,
} from "./incoming-message.ts";
export { type PipeTarget, Readable } from "./readable.ts";
export { type ResponseOwner, type ResponseSettings, ServerResponse, shareOutgoingHeaders, type WriteCallback } from "./server-response.ts";
export { type HandOff, type HandOffSocket, Socket, type SocketHooks, TlsSocket } from "./socket.ts";
export { cannedResponse, Connection, DRAIN_LIMIT } from "./connection.ts";
export type { ConnectionHost } from "./connection-host.ts";
export { BATCH_LIMIT, LINGER_MS, PAUSE_BODY, PAUSE_DRAIN, PAUSE_QUEUE, Wire } from "./wire.ts";
export type { ParserSettings } from "./parser/pool.ts";
export { type ExpiredTimer, expiredTimer, type TimerPhase, type TimerSettings } from "./timers.ts";
export { readRequestHead, type RequestHead, type RequestHeadRules, validHost } from "./request-head.ts";
// The response-head rules: the function, its fact and verdict bits.
export * from "./response-head.ts";
export { LocalProtocolError, RemoteProtocolError, unavailableOption } from "./errors.ts";
export { EventEmitter, type Listener as EmitterListener } from "./_events.ts";
export { STATUS_CODES } from "./status-codes.ts";
export { maxHeaderSize, METHODS } from "./methods.ts";
export {
  httpDate,
  isToken,
  statusLine,
  validateHeaderName,
  validateHeaderValue,
  type HeaderValue,
} from "./serializer.ts";
export { bodyWriter, ChunkedWriter, IdentityWriter, NoBodyWriter, type BodyWriter, type Framing } from "./body-writers.ts";
export {
  CONNECTION,
  CONNECTION_ON,
  type ConnectionEvent,
  type ConnectionState,
  Move,
  next,
  RECEIVE,
  RECEIVE_ON,
  type ReceiveEvent,
  type ReceiveState,
  SEND,
  SEND_ON,
  type SendEvent,
  type SendState,
  type Transitions,
} from "./state.ts";
export {
  loadLlhttp,
  llhttpBuild,
  type LlhttpExports,
  REQUIRED_EXPORTS,
  RequestParser,
  type ExecuteResult,
  type ParserLimits,
} from "./parser/llhttp.ts";
export type {
  AddressInfo,
  Clock,
  ConnectionSink,
  Listener,
  ListenOptions,
  OnConnection,
  TcpHandle,
  TlsSession,
  Transport,
} from "./transport.ts";
export { systemClock } from "./transport.ts";
export {
  createMemoryTransport,
  MemoryClient,
  type MemoryClientOptions,
  type MemoryTransport,
  VirtualClock,
} from "./testing.ts";
