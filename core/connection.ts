/**
 * One HTTP/1.1 connection: bytes in from a {@link TcpHandle}, requests out to the server's
 * handler, responses back in order.
 *
 * It owns: the parser for this connection, the receive half's state (moves from
 * `state.ts`), the keep-alive latch (true → false only), the queue of unparsed bytes
 * (pipelined requests wait there until both halves of the current exchange are done, so
 * responses go out strictly in order), inbound flow control (`pause`/`resume` while a body
 * buffer is full, a response waits on drain, or requests are queued), draining an unread
 * request body up to a bound, canned error responses, and the timeouts checked by the server's
 * sweep. It must not know any runtime: all I/O goes through the handle.
 *
 * @module
 */

import { IncomingMessage, type MessageHooks } from "./incoming-message.ts";
import { RequestParser } from "./parser/llhttp.ts";
import type { ServerResponse } from "./server-response.ts";
import { type HandOff, type HandOffSocket, Socket, TlsSocket } from "./socket.ts";
import { next, RECEIVE, type ReceiveState } from "./state.ts";
import { STATUS_CODES } from "./status-codes.ts";
import { RemoteProtocolError } from "./errors.ts";
import { readRequestHead } from "./request-head.ts";
import { joinWire, latin1Encode } from "./_bytes.ts";
import type { ConnectionSink, TcpHandle, TlsSession } from "./transport.ts";
import { defer } from "./_tick.ts";

/** What a connection needs from its server: options, the clock, and where to report. */
export interface ConnectionHost {
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
  /** Whether to hand off an Upgrade request the parser stopped at (`"ask"`); may run user code. */
  shouldUpgrade(req: IncomingMessage): boolean;
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
  /** A new response to `req` on `conn` (the server's `ServerResponse` class). */
  createResponse(req: IncomingMessage, conn: Connection): ServerResponse;
  /** How many listeners the server has for `event`. */
  listenerCount(event: string): number;
  /** Emit `event` (`'request'`, `'checkContinue'`, ...) with the exchange's objects. */
  dispatch(event: string, ...args: unknown[]): void;
  /** Emit `'clientError'` if anyone listens; false means: answer with the canned response. */
  clientError(error: RemoteProtocolError, socket: Socket): boolean;
  /** The connection is gone. */
  removed(conn: Connection): void;
  /** Builds the socket handed to `'upgrade'`/`'connect'` listeners (absent: the core socket). */
  readonly handOff: HandOff | undefined;
}

// Connection states, bits of Connection#flags: one field per connection instead of eight.
const KEEP_ALIVE = 1; // the keep-alive latch: true -> false only
const PROCESSING = 2; // #process is on the stack
const PEER_ENDED = 4; // the peer half-closed
const ENDING = 8; // #end() or destroy() called
const CLOSED = 16; // onClose ran
const DRAINING = 32; // reading and discarding an unread request body
const RES_DONE = 64; // the current response finished
const UPGRADED = 128; // after an upgrade or CONNECT hand-off: bytes go straight to the socket's listeners

// Inbound flow control: reading stops while any reason holds.
const PAUSE_BODY = 1; // the request body buffer is above its high-water mark
const PAUSE_QUEUE = 2; // bytes of a later request wait behind the current exchange
const PAUSE_DRAIN = 4; // the response waits for 'drain'

/**
 * Bytes of an unread request body we read and discard after the response, to keep the
 * connection; past this the connection is closed instead. Arbitrary: covers typical form
 * posts and small uploads a handler rejects, without letting a huge upload pin the server.
 */
export const DRAIN_LIMIT = 256 * 1024;

/**
 * How long a connection closing with request bytes still arriving keeps reading and discarding
 * them (see #linger). 2 s: Apache's lingering-close read timeout.
 */
export const LINGER_MS = 2_000;

// Writes batched while parsing one read are sent once they reach this size, or at the end of
// the read. 64 KiB: the usual socket high-water mark, and what one read can ask of us.
export const BATCH_LIMIT = 64 * 1024;
/**
 * Pipelined requests served in one go from one read; the rest of the read goes on after the
 * 'finish' and 'close' events those requests deferred, so at most three slices of exchanges are
 * alive at once (a whole 64 KiB read of small GETs kept ~2 000 alive). 128: the 100-deep
 * pipeline of `bench/core.ts` stays one go.
 */
export const PIPELINE_SLICE = 128;

// Up to this size several chunks of one write are copied into one buffer; above it they go as
// a writev. 16 KiB: copying is cheaper than a second syscall well past a typical head + body.
const COALESCE_LIMIT = 16 * 1024;

/** Build the canned response Node sends for a client error: status line + `Connection: close`. */
export function cannedResponse(status: number): Uint8Array {
  return latin1Encode(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "unknown"}\r\nConnection: close\r\n\r\n`);
}

/**
 * Parsers of idle connections, waiting for the next connection that reads. An idle keep-alive
 * connection holds no parser (issue 6: no state kept while idle, parser state reused): its JS
 * object and llhttp's state in wasm memory serve whichever connection reads next. A parser is
 * taken when bytes arrive at a message boundary and given back when an exchange ends with
 * nothing more read, or when its connection closes. Bounded: past POOL_MAX the rest are freed.
 */
const parserPool: RequestParser[] = [];
const POOL_MAX = 256;

/**
 * `time` (the host clock's) as milliseconds since the host's epoch, as a small integer when it
 * is one (`| 0`): a stored HeapNumber would box that field in every connection. A fractional or
 * out-of-range value (a custom clock) is kept as is: the same arithmetic, only boxed.
 */
function since(host: ConnectionHost, time: number): number {
  const t = time - host.epoch;
  const i = t | 0;
  return i === t && i >= 0 && i < 0x40000000 ? i : t;
}

/**
 * The empty queue every connection shares while it has nothing queued (`#pending`, `#batch`):
 * an idle keep-alive connection then holds no array of its own (a JSArray is 32 bytes on
 * 64-bit V8). Never pushed to: code that queues replaces it with a new array first.
 */
const NONE: Uint8Array[] = [];

function takeParser(host: ConnectionHost): RequestParser {
  const p = parserPool.pop() ?? new RequestParser(host);
  // The host carries maxHeaderSize and maxHeadersCount itself: no limits object per parser.
  p.setLimits(host);
  p.acceptUpgrade = host.acceptUpgrade;
  // Pooled parsers serve every server: the leniency is set per connection (a no-op when same).
  p.setLenient(host.insecureHTTPParser);
  return p;
}

function giveParser(p: RequestParser): void {
  if (parserPool.length >= POOL_MAX) {
    p.free();
    return;
  }
  // Back to a fresh message, with no error and nothing of the last request held.
  p.reset();
  p.release();
  parserPool.push(p);
}

/**
 * The server side of one connection. Created by the server for each handle; the transport
 * talks to it through the {@link ConnectionSink} methods.
 */
export class Connection implements ConnectionSink, MessageHooks {
  /** The socket handed to user code as `req.socket` and to `'connection'`. */
  readonly socket: Socket;
  #handle: TcpHandle;
  #host: ConnectionHost;
  /** Only while a request is being read: see takeParser. */
  #parser: RequestParser | null = null;
  #recv: ReceiveState = "idle";
  /** The states below (KEEP_ALIVE ... UPGRADED), one bit each: one field instead of eight. */
  #flags = KEEP_ALIVE;
  /** Read bytes waiting to be parsed; NONE when empty. */
  #pending: Uint8Array[] = NONE;
  /** Bytes of #pending[0] already parsed (its rest is a later pipelined request). */
  #pendingStart = 0;
  #req: IncomingMessage | null = null;
  #res: ServerResponse | null = null;
  #paused = 0;
  #drainBudget = 0;
  /** While lingering (see #linger): when to close at the latest. */
  #lingerUntil = 0;
  /** The request's Content-Length; -1 when it has none (not NaN: a HeapNumber per connection). */
  #declaredLength = -1;
  /** Writes batched during one read; NONE when empty. */
  #batch: Uint8Array[] = NONE;
  #batchBytes = 0;
  #bodyReceived = 0;
  /** Requests seen on this connection. */
  requests = 0;
  /** Bytes read from the peer (the socket's `bytesRead`). */
  bytesRead = 0;
  /** Bytes handed to the transport (the socket's `bytesWritten`). */
  bytesWritten = 0;
  // Timestamps for the sweep: ms since the host's epoch (see ConnectionHost.epoch).
  #headStart: number;
  #requestStart = 0;
  #lastActivity: number;
  #socketTimeout = 0;
  /** The time of the read being processed (since the epoch), 0 outside onData: one clock
   * read per read. */
  #readTime = 0;

  /** Serve HTTP/1.1 on `handle` for `host`; the head timer starts now. */
  constructor(handle: TcpHandle, host: ConnectionHost) {
    this.#handle = handle;
    this.#host = host;
    // The connection is its socket's hooks (methods below): no closures per connection.
    this.socket = handle.tls ? new TlsSocket(handle as TcpHandle & { tls: TlsSession }, this) : new Socket(handle, this);
    // The first request's head timer starts at accept: a client that connects and sends
    // nothing is held to headersTimeout too.
    this.#headStart = since(host, host.now());
    this.#lastActivity = this.#headStart;
  }

  // ---- SocketHooks (what the socket may do to the connection) ---------------------------

  /** @internal Raw bytes from `socket.write()`. */
  socketWrite(chunk: Uint8Array): boolean {
    return this.#write([chunk]);
  }
  /** @internal `socket.end()`. */
  socketEnd(): void {
    this.#end();
  }
  /** @internal A hand-off socket's buffer is full. */
  socketPause(): void {
    this.#pause(PAUSE_BODY);
  }
  /** @internal A hand-off socket wants more. */
  socketResume(): void {
    this.#resume(PAUSE_BODY);
  }
  /** @internal `socket.setTimeout(ms)`. */
  socketSetTimeout(ms: number): void {
    this.#socketTimeout = ms;
    this.#lastActivity = since(this.#host, this.#host.now());
  }

  /** True when no request is in progress and no bytes are queued. */
  get idle(): boolean {
    return this.#recv === "idle" && this.#pending.length === 0 && this.#res === null;
  }

  // ---- ResponseOwner --------------------------------------------------------------------

  /** The time of the read being processed, or the host clock's outside a read. */
  now(): number {
    return this.#readTime === 0 ? this.#host.now() : this.#readTime + this.#host.epoch;
  }
  /** The host's `keepAliveTimeout`, ms. */
  get keepAliveTimeout(): number {
    return this.#host.keepAliveTimeout;
  }
  /** The host's `maxRequestsPerSocket` (0: no limit). */
  get maxRequestsPerSocket(): number {
    return this.#host.maxRequestsPerSocket;
  }
  /** The host's `highWaterMark`, bytes. */
  get highWaterMark(): number {
    return this.#host.highWaterMark;
  }
  /** The host's `rejectNonStandardBodyWrites`. */
  get rejectNonStandardBodyWrites(): boolean {
    return this.#host.rejectNonStandardBodyWrites;
  }
  /** The host's `uniqueHeaders`. */
  get uniqueHeaders(): ReadonlySet<string> | null {
    return this.#host.uniqueHeaders;
  }
  /** Whether the connection may be reused after the current response. */
  get keepAlive(): boolean {
    if ((this.#flags & KEEP_ALIVE) === 0 || this.#host.closing || (this.#flags & PEER_ENDED) !== 0) return false;
    const req = this.#req;
    if (req && !req.complete) {
      // RFC 9112 §9.3: to reuse the connection we must read the rest of the body; past
      // DRAIN_LIMIT we close instead.
      const declared = this.#declaredLength;
      if (declared >= 0 && declared - this.#bodyReceived > DRAIN_LIMIT) return false;
    }
    return true;
  }

  /** @internal Queue a response's wire bytes. */
  send(res: ServerResponse, chunks: Uint8Array[]): boolean {
    if (res !== this.#res || (this.#flags & (CLOSED | ENDING)) !== 0) return false;
    const ok = this.#write(chunks);
    if (!ok) this.#pause(PAUSE_DRAIN);
    return ok;
  }

  /** @internal The current response is complete. */
  finished(res: ServerResponse, close: boolean): void {
    if (res !== this.#res) return;
    if (close) this.#flags &= ~KEEP_ALIVE;
    this.#flags |= RES_DONE;
    // Node's _dump: whatever body the handler did not read is discarded from here on.
    this.#req!._dump();
    // When #process is on the stack (the handler answered synchronously), it continues
    // from here once the current chunk is applied.
    if ((this.#flags & PROCESSING) === 0) {
      this.#afterResponse();
      if (this.#recv === "idle") {
        this.#resume(PAUSE_QUEUE);
        this.#process();
      }
    }
  }

  /** The response is done: keep the connection for the next request, drain, or close. */
  #afterResponse(): void {
    if ((this.#flags & (ENDING | CLOSED)) !== 0) return;
    if (this.#recv === "done") {
      if ((this.#flags & KEEP_ALIVE) !== 0) this.#startNext();
      else this.#end();
      return;
    }
    if ((this.#flags & DRAINING) !== 0) return;
    // The rest of the body is read and discarded (up to DRAIN_LIMIT, see keepAlive), or we close.
    if ((this.#flags & KEEP_ALIVE) !== 0 && this.keepAlive) {
      this.#flags |= DRAINING;
      this.#drainBudget = DRAIN_LIMIT;
      this.#resume(PAUSE_BODY);
    } else {
      this.#linger();
    }
  }

  /**
   * Close a connection whose request body is still arriving. Closing at once makes the peer's
   * TCP answer its next segment with a reset, which discards our response before the client
   * read it (seen with curl on all three runtimes by `npm run abuse`). So, as Apache's
   * lingering close and RFC 9112 §9.6 advise: keep reading and discarding until the peer
   * half-closes or LINGER_MS pass, then close.
   */
  #linger(): void {
    if ((this.#flags & (ENDING | CLOSED)) !== 0 || this.#lingerUntil) return;
    if ((this.#flags & PEER_ENDED) !== 0) {
      this.#end();
      return;
    }
    this.#flush();
    this.#lingerUntil = since(this.#host, this.#host.now()) + LINGER_MS;
    this.#pending = NONE;
    this.#flags &= ~DRAINING;
    if (this.#paused !== 0) {
      this.#paused = 0;
      this.#handle.resume();
    }
  }

  // ---- ConnectionSink -------------------------------------------------------------------

  onData(chunk: Uint8Array): void {
    this.bytesRead += chunk.byteLength;
    if ((this.#flags & UPGRADED) !== 0) {
      if (this.socket.timeout > 0) this.#lastActivity = since(this.#host, this.#host.now());
      this.socket._stream!._onData(chunk);
      return;
    }
    if ((this.#flags & (CLOSED | ENDING)) !== 0 || this.#lingerUntil) return;
    const now = since(this.#host, this.#host.now());
    this.#lastActivity = now;
    if (chunk.byteLength === 0) return;
    if (this.#pending.length === 0) this.#pendingStart = 0;
    if (this.#pending === NONE) this.#pending = [chunk];
    else this.#pending.push(chunk);
    this.#readTime = now;
    try {
      this.#process();
    } finally {
      this.#readTime = 0;
    }
  }

  onEnd(): void {
    if ((this.#flags & UPGRADED) !== 0) {
      this.socket._stream!._onEnd();
      return;
    }
    if ((this.#flags & CLOSED) !== 0) return;
    this.#flags |= PEER_ENDED;
    if ((this.#flags & ENDING) !== 0) return;
    if (this.#lingerUntil) {
      this.#end();
      return;
    }
    if (this.#recv === "head" || this.#recv === "body") {
      if (this.#pending.length === 0) {
        // The peer closed in the middle of a request (Node's socketOnEnd → parser.finish()).
        const err = this.#parser?.finish() ??
          new RemoteProtocolError("HPE_INVALID_EOF_STATE", "Invalid EOF state", 400);
        this.#parseError(err);
      }
      return;
    }
    // Node's socketOnEnd (httpAllowHalfOpen false): the peer's FIN ends the connection. What was
    // written still goes out; a response not ended is aborted at the close, so its handler sees
    // the client leave ('aborted', 'close') instead of waiting forever on a half-open socket.
    this.#end();
  }

  onDrain(): void {
    if ((this.#flags & UPGRADED) !== 0) {
      this.socket._stream!._onDrain();
      return;
    }
    if ((this.#flags & CLOSED) !== 0) return;
    this.#resume(PAUSE_DRAIN);
    this.#res?._onDrain();
    // Requests held back while the peer was not reading (see #process) go on now.
    if (this.#recv === "idle" && this.#pending.length > 0) this.#process();
  }

  onClose(error?: Error): void {
    if ((this.#flags & CLOSED) !== 0) return;
    this.#flags |= CLOSED;
    this.#pending = NONE;
    this.#recv = next(RECEIVE, this.#recv, "peer-closed");
    if (this.#req && !this.#req.complete) this.#req._abort();
    else this.#req?._dump();
    this.#res?._close();
    const parser = this.#parser;
    if (parser) {
      this.#parser = null;
      // Closed from inside #process (a handler destroying its socket): the loop may still read
      // this parser's results, so it goes back to the pool only after the current code ran.
      if ((this.#flags & PROCESSING) !== 0) defer(() => giveParser(parser));
      else giveParser(parser);
    }
    const stream = this.socket._stream;
    if (stream !== null && stream !== this.socket) stream._onClose(error);
    this.socket._closed(error !== undefined);
    this.#host.removed(this);
  }

  // ---- MessageHooks (the request being read) ---------------------------------------------

  /** @internal The request's reader drained its buffer: read from the peer again. */
  pull(): void {
    this.#resume(PAUSE_BODY);
  }

  // ---- control from the server ----------------------------------------------------------

  /** Close at once. */
  destroy(error?: Error): void {
    if ((this.#flags & CLOSED) !== 0) return;
    this.#flags |= ENDING;
    this.#handle.destroy(error);
  }

  /** Close if nothing is in progress; otherwise finish the current exchange, then close. */
  closeIfIdle(): boolean {
    if (this.idle) {
      this.#end();
      return true;
    }
    return false;
  }

  /** Called by the server's sweep with the current time (the clock's). */
  checkTimeouts(time: number): void {
    if ((this.#flags & (CLOSED | ENDING)) !== 0) return;
    const now = since(this.#host, time);
    if (this.#lingerUntil) {
      if (now >= this.#lingerUntil) this.#end();
      return;
    }
    const host = this.#host;
    if ((this.#flags & UPGRADED) !== 0) {
      this.#checkSocketTimeout(now);
      return;
    }
    if (this.#recv === "idle" && this.#res === null && this.#pending.length === 0) {
      if (this.requests > 0) {
        // Keep-alive idle.
        // Node's keepAliveTimeoutBuffer: close a little after the advertised timeout so a
        // client that reuses the connection just before its own timer does not race our close.
        if (host.keepAliveTimeout > 0 && now - this.#lastActivity >= host.keepAliveTimeout + host.keepAliveTimeoutBuffer) {
          this.destroy();
          return;
        }
      } else if (host.headersTimeout > 0 && now - this.#headStart >= host.headersTimeout) {
        this.#timeout();
        return;
      }
    }
    if (this.#recv === "head" && host.headersTimeout > 0 && now - this.#headStart >= host.headersTimeout) {
      this.#timeout();
      return;
    }
    if ((this.#recv === "head" || this.#recv === "body") && host.requestTimeout > 0 &&
      now - this.#requestStart >= host.requestTimeout) {
      this.#timeout();
      return;
    }
    this.#checkSocketTimeout(now);
  }

  #checkSocketTimeout(now: number): void {
    if (this.#socketTimeout > 0 && now - this.#lastActivity >= this.#socketTimeout) {
      this.#lastActivity = now;
      const stream = this.socket._stream;
      // After a hand-off the socket is the listener's: as a net.Socket, it only reports.
      if (stream !== null) stream._onTimeout();
      else if (this.socket.listenerCount("timeout") > 0) this.socket.emit("timeout");
      else this.destroy();
    }
  }

  // ---- internals ------------------------------------------------------------------------

  /** `now()` as milliseconds since the host's epoch. */
  #since(): number {
    return this.#readTime === 0 ? since(this.#host, this.#host.now()) : this.#readTime;
  }

  #timeout(): void {
    const err = new RemoteProtocolError("ERR_HTTP_REQUEST_TIMEOUT", "Request timeout", 408);
    this.#parseError(err);
  }

  #process(): void {
    if ((this.#flags & PROCESSING) !== 0) return;
    this.#flags |= PROCESSING;
    const first = this.requests;
    try {
      while (this.#pending.length > 0 && (this.#flags & (CLOSED | ENDING)) === 0) {
        // Pipelined bytes wait until both halves of this exchange are done.
        if (this.#recv === "done") break;
        // A deep pipeline goes on after the deferred events of this slice (see PIPELINE_SLICE);
        // requests are still taken, and answered, strictly in order (RFC 9112 §9.3.2).
        if (this.#recv === "idle" && this.requests - first >= PIPELINE_SLICE) {
          defer(() => this.#process());
          break;
        }
        // A client that pipelines without reading its responses: start no new request while
        // our writes wait for 'drain', so memory stays bounded by one high-water mark.
        if (this.#recv === "idle" && (this.#paused & PAUSE_DRAIN) !== 0) break;
        if (this.#recv === "error" || this.#recv === "closed") {
          this.#pending = NONE;
          break;
        }
        const chunk = this.#pending[0];
        const start = this.#pendingStart;
        if (this.#recv === "idle") {
          this.#recv = next(RECEIVE, "idle", "message-begin");
          if (this.requests > 0) this.#headStart = this.#since();
          this.#requestStart = this.#headStart;
        }
        const parser = (this.#parser ??= takeParser(this.#host));
        const result = parser.execute(chunk, start);
        if (result === "error") {
          this.#pending = NONE;
          this.#parseError(parser.error!);
          break;
        }
        if (result === "ask") {
          // An Upgrade stopped at its head for shouldUpgradeCallback (user code: never from
          // inside wasm). Taken: the rest of the bytes are the new protocol's. Declined: llhttp
          // goes on with this request's body and later requests, as for any request.
          const end = start + parser.consumed;
          this.#recv = next(RECEIVE, this.#recv, "head-complete");
          const alive = this.#onHead();
          if (alive && this.#req !== null && this.#req.upgrade) {
            this.#pending.shift();
            this.#pendingStart = 0;
            this.#handOff(chunk.subarray(end));
            break;
          }
          if (!alive || this.#recv === "error") break;
          parser.resume();
          if (end >= chunk.byteLength) {
            this.#pending.shift();
            this.#pendingStart = 0;
          } else {
            this.#pendingStart = end;
          }
          continue;
        }
        if (result === "upgrade") {
          this.#pending.shift();
          this.#pendingStart = 0;
          this.#recv = next(RECEIVE, this.#recv, "head-complete");
          if (this.#onHead()) this.#handOff(chunk.subarray(start + parser.consumed));
          break;
        }
        const end = start + parser.consumed;
        if (end >= chunk.byteLength) {
          this.#pending.shift();
          this.#pendingStart = 0;
        } else {
          this.#pendingStart = end;
        }

        if (parser.headJustCompleted) {
          this.#recv = next(RECEIVE, this.#recv, "head-complete");
          if (!this.#onHead()) break;
        }
        const req = this.#req;
        for (const body of parser.bodyChunks) {
          this.#bodyReceived += body.byteLength;
          if (this.#bodyReceived > this.#host.maxRequestBodySize && (this.#flags & DRAINING) === 0) {
            this.#parseError(new RemoteProtocolError("ERR_HTTP_BODY_TOO_LARGE", "Request body too large", 413));
            break;
          }
          if ((this.#flags & DRAINING) !== 0) this.#drainBudget -= body.byteLength;
          else if (req && !req._push(body)) this.#pause(PAUSE_BODY);
        }
        if (this.#recv === "error") break;
        if ((this.#flags & DRAINING) !== 0 && this.#drainBudget < 0) {
          this.#linger();
          break;
        }
        if (result === "complete") {
          this.#recv = next(RECEIVE, this.#recv, "message-complete");
          req?._pushEnd();
        }
        if ((this.#flags & RES_DONE) !== 0) this.#afterResponse();
      }
    } finally {
      this.#flags &= ~PROCESSING;
      this.#flush();
    }
    // After the loop, not inside it: a transport may deliver data synchronously from resume().
    if (this.#pending.length > 0 && (this.#flags & (ENDING | CLOSED)) === 0) this.#pause(PAUSE_QUEUE);
    else this.#resume(PAUSE_QUEUE);
  }

  /** The head of a request is complete: validate, build req/res, emit 'request'. */
  #onHead(): boolean {
    const p = this.#parser!;
    const host = this.#host;
    this.requests++;
    const req = host.createRequest(this.socket);
    req.method = p.method;
    req.url = p.url;
    req.httpVersionMajor = p.versionMajor;
    req.httpVersionMinor = p.versionMinor;
    req.httpVersion = p.versionMajor === 1 && p.versionMinor === 1 ? "1.1" : `${p.versionMajor}.${p.versionMinor}`;
    req.rawHeaders = p.rawHeaders;
    req.rawTrailers = p.rawTrailers;
    req.readableHighWaterMark = host.highWaterMark;
    req._attach(this, host.joinDuplicateHeaders);
    // The head rules (request-head.ts): the user's `headers` object is built only if the user
    // asks for it.
    const h = readRequestHead(p.rawHeaders, p.versionMajor, p.versionMinor, p.shouldKeepAlive, host);
    this.#declaredLength = h.declaredLength;
    if (h.error !== null) {
      this.#parseError(h.error);
      return false;
    }
    if (!h.keepAlive) this.#flags &= ~KEEP_ALIVE;
    this.#req = req;
    this.#bodyReceived = 0;
    if (p.upgrade) {
      let take: boolean;
      if (p.upgradeAsked) {
        // Node: req.upgrade = CONNECT || !!server.shouldUpgradeCallback(req).
        try {
          take = host.shouldUpgrade(req);
        } catch (err) {
          // As a throwing 'request' listener (ConnectionHost.dispatch): the program's bug.
          this.destroy();
          defer(() => {
            throw err;
          });
          return false;
        }
      } else {
        take = p.method === "CONNECT" || host.listenerCount("upgrade") > 0;
      }
      if (take) {
        // Handed off in #handOff once execute() returns "upgrade" (or "ask" was answered).
        req.upgrade = true;
        return true;
      }
    }
    // Node 24's optimizeEmptyRequests: no body framing, so nothing will ever be read.
    if (host.optimizeEmptyRequests && !h.framed) req._dumpAndCloseReadable();
    const max = host.maxRequestsPerSocket;
    if (max > 0 && this.requests >= max) this.#flags &= ~KEEP_ALIVE;
    const res = host.createResponse(req, this);
    this.#res = res;
    if (max > 0 && this.requests > max) {
      // Unreachable through keep-alive (the max-th response closes the connection, as RFC
      // 9112 §9.6 requires after Connection: close); kept for Node's 'dropRequest' contract.
      host.dispatch("dropRequest", req, this.socket);
      res.writeHead(503);
      res.end();
      return (this.#flags & CLOSED) === 0;
    }
    if (h.expectation !== null) {
      // RFC 9110 §10.1.1: 100-continue is the only expectation defined; others get 417.
      if (h.expectation === "continue") {
        if (host.listenerCount("checkContinue") > 0) {
          host.dispatch("checkContinue", req, res);
        } else {
          res.writeContinue();
          host.dispatch("request", req, res);
        }
      } else if (host.listenerCount("checkExpectation") > 0) {
        host.dispatch("checkExpectation", req, res);
      } else {
        res.writeHead(417);
        res.end();
      }
      return (this.#flags & CLOSED) === 0;
    }
    host.dispatch("request", req, res);
    return (this.#flags & CLOSED) === 0;
  }

  /**
   * Give the connection to an 'upgrade' or 'connect' listener. As in Node, `head` is the rest
   * of the read that ended the head; bytes of later reads follow as the socket's data.
   */
  #handOff(rest: Uint8Array): void {
    const req = this.#req!;
    const event = req.method === "CONNECT" ? "connect" : "upgrade";
    const later = this.#pending;
    this.#pending = NONE;
    const core = this.socket;
    core._stream = core;
    this.#flags |= UPGRADED;
    this.#recv = next(RECEIVE, this.#recv, "hand-off");
    req._pushEnd();
    if (this.#host.listenerCount(event) === 0) {
      // Node: a CONNECT nobody listens for closes the connection without an answer.
      this.destroy();
      return;
    }
    const stream = this.#host.handOff?.(core) ?? core;
    core._stream = stream;
    // Node: the request's socket is the one the listener gets.
    req.socket = stream;
    // Reading was held for the head; from here on the stream's own pause decides.
    const wasPaused = this.#paused !== 0;
    this.#paused &= ~(PAUSE_QUEUE | PAUSE_BODY);
    this.#host.dispatch(event, req, stream, rest);
    for (const chunk of later) if ((this.#flags & CLOSED) === 0) stream._onData(chunk);
    if (wasPaused && this.#paused === 0 && (this.#flags & CLOSED) === 0) this.#handle.resume();
  }

  #startNext(): void {
    this.#recv = next(RECEIVE, this.#recv, "next");
    const parser = this.#parser!;
    if (this.#pending.length === 0) {
      // Nothing more was read: the connection goes idle without a parser (see takeParser) and
      // without a queue array.
      giveParser(parser);
      this.#parser = null;
      this.#pending = NONE;
    } else {
      parser.resume();
      parser.release();
    }
    this.#req = null;
    this.#res = null;
    this.#flags &= ~(DRAINING | RES_DONE);
    this.#lastActivity = this.#since();
    this.#headStart = this.#lastActivity;
    if (this.#host.closing || ((this.#flags & PEER_ENDED) !== 0 && this.#pending.length === 0)) this.#end();
  }

  #parseError(err: RemoteProtocolError): void {
    this.#recv = next(RECEIVE, this.#recv, "parse-error");
    this.#flags &= ~KEEP_ALIVE;
    this.#pending = NONE;
    const res = this.#res;
    const req = this.#req;
    if (req && !req.complete) req._abort();
    if (this.#host.clientError(err, this.socket)) return;
    if (!res || res._sendState === "waiting") {
      // Before any response byte: answer with the canned status and close (Node's
      // socketOnError). Afterwards the response is broken: destroy (below).
      if (res) res._close();
      this.#res = null;
      this.#write([cannedResponse(err.status)]);
      this.#end();
    } else {
      this.destroy(err);
    }
  }

  #write(chunks: Uint8Array[]): boolean {
    if ((this.#flags & (CLOSED | ENDING)) !== 0) return false;
    let size = 0;
    for (const c of chunks) size += c.byteLength;
    this.bytesWritten += size;
    if ((this.#flags & PROCESSING) !== 0) {
      // Responses written while we parse one read (synchronous handlers, pipelined requests)
      // leave in one write at the end of it: one syscall for a whole pipeline.
      // The array is ours (see ResponseOwner.send): a batch of one response, the common case,
      // then needs no array of its own.
      if (this.#batch === NONE) {
        if (chunks.length !== 0) this.#batch = chunks;
      } else {
        for (const c of chunks) this.#batch.push(c);
      }
      this.#batchBytes += size;
      return this.#batchBytes < this.#host.batchLimit || this.#flush();
    }
    return this.#writeNow(chunks);
  }

  /** Send what #write batched. Returns the transport's verdict (false: wait for drain). */
  #flush(): boolean {
    if (this.#batch.length === 0) return true;
    const chunks = this.#batch;
    const size = this.#batchBytes;
    this.#batch = NONE;
    this.#batchBytes = 0;
    if ((this.#flags & CLOSED) !== 0) return false;
    const ok = chunks.length > 1 && size <= BATCH_LIMIT ? this.#handle.write(joinWire(chunks, size)) : this.#writeNow(chunks);
    if (!ok) this.#pause(PAUSE_DRAIN);
    return ok;
  }

  #writeNow(chunks: Uint8Array[]): boolean {
    const h = this.#handle;
    if (chunks.length === 1) return h.write(chunks[0]);
    let size = 0;
    for (const c of chunks) size += c.byteLength;
    // Small pieces (a head and its body) leave as one write: one syscall, one packet.
    if (size <= COALESCE_LIMIT) return h.write(joinWire(chunks, size));
    if (h.writev) return h.writev(chunks);
    let ok = true;
    for (const c of chunks) ok = h.write(c) && ok;
    return ok;
  }

  #end(): void {
    if ((this.#flags & (ENDING | CLOSED)) !== 0) return;
    this.#flush();
    this.#flags |= ENDING;
    this.#pending = NONE;
    this.#handle.end();
  }

  #pause(reason: number): void {
    if (this.#lingerUntil) return;
    if (this.#paused === 0) this.#handle.pause();
    this.#paused |= reason;
  }

  #resume(reason: number): void {
    if ((this.#paused & reason) === 0) return;
    this.#paused &= ~reason;
    if (this.#paused === 0 && (this.#flags & CLOSED) === 0) this.#handle.resume();
  }
}
