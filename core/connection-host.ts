/**
 * What a connection needs from its server (`server.ts` is the one host): options, the clock,
 * and where to report. The connection reads these on every exchange, so a server's options
 * changed at run time apply to the next request.
 *
 * @module
 */

import type { IncomingMessage } from "./incoming-message.ts";
import type { ResponseOwner, ServerResponse } from "./server-response.ts";
import type { HandOff, Socket } from "./socket.ts";
import type { RemoteProtocolError } from "./errors.ts";
import type { ParserSettings } from "./parser/pool.ts";
import type { Connection } from "./connection.ts";

/** What a connection needs from its server: options, the clock, and where to report. */
export interface ConnectionHost extends ParserSettings {
  /** The host clock's time, ms since the epoch. */
  now(): number;
  /**
   * A time from the host's clock (its creation). Connections keep timestamps as milliseconds
   * since it: small integers V8 keeps unboxed in the field (see `since`).
   */
  readonly epoch: number;
  /** Idle time after a response before a keep-alive connection closes, ms. */
  readonly keepAliveTimeout: number;
  /** Extra idle time before a keep-alive connection is closed, past the advertised timeout. */
  readonly keepAliveTimeoutBuffer: number;
  /** Largest request body accepted (bytes); `Infinity` for no limit. */
  readonly maxRequestBodySize: number;
  /** Requests served per connection before it closes; 0 for no limit. */
  readonly maxRequestsPerSocket: number;
  /** Time allowed to receive a request head, ms. */
  readonly headersTimeout: number;
  /** Time allowed to receive a whole request, ms. */
  readonly requestTimeout: number;
  /** Bytes of request-target + header fields allowed (over it: 431, or 414). */
  readonly maxHeaderSize: number;
  /** Header lines kept per request. */
  readonly maxHeadersCount: number;
  /** Answer HTTP/1.1 requests without `Host` with 400. */
  readonly requireHostHeader: boolean;
  /** Join every duplicate header with `, ` instead of Node's per-field rules. */
  readonly joinDuplicateHeaders: boolean;
  /** True once `close()` was called: finish the current exchange, then close. */
  readonly closing: boolean;
  /**
   * The parser's `acceptUpgrade`: CONNECT always, Upgrade when someone listens for it, or
   * `"ask"`: stop at the head so the connection can call {@link ConnectionHost.shouldUpgrade}.
   */
  readonly acceptUpgrade: (isConnect: boolean) => boolean | "ask";
  /**
   * Whether to hand off a request with `Upgrade` or a CONNECT: `asked` when the parser stopped
   * for it (`"ask"`), which runs user code and may throw.
   */
  takesUpgrade(req: IncomingMessage, asked: boolean): boolean;
  /** Parse with the lenient flags of Node's `insecureHTTPParser` (the safe ones). */
  readonly insecureHTTPParser: boolean;
  /** A request without `Content-Length` or `Transfer-Encoding` is ended and closed at once. */
  readonly optimizeEmptyRequests: boolean;
  /** Request body buffer and response write high-water mark, bytes. */
  readonly highWaterMark: number;
  /**
   * Bytes of responses batched during one read before they are written: {@link BATCH_LIMIT},
   * or an explicit `highWaterMark` below it (so `write()` says wait as soon as the transport does).
   */
  readonly batchLimit: number;
  /** Writes to a bodiless response throw. */
  readonly rejectNonStandardBodyWrites: boolean;
  /** Lower-cased names of response headers whose array values are joined with `; `. */
  readonly uniqueHeaders: ReadonlySet<string> | null;
  /** A new request object for `socket` (the server's `IncomingMessage` class). */
  createRequest(socket: Socket): IncomingMessage;
  /** A new response to `req` written through `conn` (the server's `ServerResponse` class). */
  createResponse(req: IncomingMessage, conn: ResponseOwner): ServerResponse;
  /** How many listeners the server has for `event`. */
  listenerCount(event: string): number;
  /** Emit `event` (`'upgrade'`, `'connect'`, ...) with the exchange's objects. */
  dispatch(event: string, ...args: unknown[]): void;
  /**
   * Hand an exchange to the program: `'request'`, or for an `Expect` head (`expectation`, see
   * `request-head.ts`) `'checkContinue'` / `'checkExpectation'`; `dropped`: over
   * `maxRequestsPerSocket` (`'dropRequest'` and a 503).
   */
  serve(req: IncomingMessage, res: ServerResponse, expectation: string | null, dropped: boolean): void;
  /** Emit `'clientError'` if anyone listens; false means: answer with the canned response. */
  clientError(error: RemoteProtocolError, socket: Socket): boolean;
  /** The connection is gone. */
  removed(conn: Connection): void;
  /** Builds the socket handed to `'upgrade'`/`'connect'` listeners (absent: the core socket). */
  readonly handOff: HandOff | undefined;
}
