/**
 * One HTTP/1.1 connection: bytes in from a {@link TcpHandle}, requests out to the server's
 * handler, responses back in order.
 *
 * It owns the exchange: the parser while a request is read, the receive half's state (moves
 * from `state.ts`), the keep-alive latch (true → false only) and the one function that decides
 * keep-alive ({@link Connection.keepAlive}), the queue of unparsed bytes (pipelined requests
 * wait there until both halves of the current exchange are done, so responses go out strictly
 * in order), discarding an unread request body up to a bound, canned error responses, the
 * hand-off of an upgrade, and the timeouts checked by the server's sweep. The bytes themselves
 * (lifecycle, flow control, batching, lingering close) are {@link Wire}'s, which it extends.
 * It must not know any runtime: all I/O goes through the handle.
 *
 * @module
 */

import type { IncomingMessage, MessageHooks } from "./incoming-message.ts";
import type { RequestParser } from "./parser/llhttp.ts";
import { giveParser, takeParser } from "./parser/pool.ts";
import type { ResponseOwner, ResponseSettings, ServerResponse } from "./server-response.ts";
import { Socket, TlsSocket } from "./socket.ts";
import { CONNECTION_ON, RECEIVE_ON, type ReceiveState } from "./state.ts";
import { STATUS_CODES } from "./status-codes.ts";
import { RemoteProtocolError } from "./errors.ts";
import { readRequestHead } from "./request-head.ts";
import { latin1Encode } from "./_bytes.ts";
import type { ConnectionSink, TcpHandle, TlsSession } from "./transport.ts";
import { defer, enterRead, leaveRead } from "./_tick.ts";
import type { ConnectionHost } from "./connection-host.ts";
import { PAUSE_BODY, PAUSE_DRAIN, PAUSE_QUEUE, Wire } from "./wire.ts";
import { expiredTimer, type TimerPhase } from "./timers.ts";


// Bits of Connection#flags: one field per connection instead of one per flag.
const KEEP_ALIVE = 1; // the keep-alive latch: on → off only (see keepAlive)
const PROCESSING = 2; // #process is on the stack
const PEER_ENDED = 4; // the peer half-closed
const RES_DONE = 8; // the current response finished
const IN_READ = 16; // onData (or what it deferred) is on the stack: #lastActivity is the time of this read

/**
 * Bytes of an unread request body we read and discard after the response, to keep the
 * connection; past this the connection is closed instead. Arbitrary: covers typical form
 * posts and small uploads a handler rejects, without letting a huge upload pin the server.
 */
export const DRAIN_LIMIT = 256 * 1024;

/**
 * Pipelined requests served in one go from one read; the rest of the read goes on after the
 * events those requests deferred, so at most three slices of exchanges are alive at once.
 * 128: the 100-deep pipeline of `bench/core.ts` stays one go.
 */
export const PIPELINE_SLICE = 128;

/** Build the canned response Node sends for a client error: status line + `Connection: close`. */
export function cannedResponse(status: number): Uint8Array {
  return latin1Encode(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "unknown"}\r\nConnection: close\r\n\r\n`);
}

/**
 * `time` (the host clock's) as milliseconds since the host's epoch, as a small integer when it
 * is one: V8 keeps a small integer unboxed in the field. A fractional or out-of-range value (a
 * custom clock) is kept as is.
 */
function since(host: ConnectionHost, time: number): number {
  const t = time - host.epoch;
  const i = t | 0;
  return i === t && i >= 0 && i < 0x40000000 ? i : t;
}

/**
 * The empty queue every connection shares while it has nothing queued (`#pending`): an idle
 * keep-alive connection then holds no array of its own. Never pushed to: code that queues
 * replaces it with a new array first.
 */
const NONE: Uint8Array[] = [];

/**
 * The server side of one connection. Created by the server for each handle; the transport
 * talks to it through the {@link ConnectionSink} methods.
 *
 * When does it close? When {@link Connection.keepAlive} says no at the end of an exchange
 * (RFC 9112 §9.3, §9.6), on a protocol error (a canned answer, then close), when a timer of
 * {@link Connection.checkTimeouts} fires, or when the peer closes. What states can it be in?
 * `state.ts`: RECEIVE for the request, SEND for the response, CONNECTION for the whole.
 */
export class Connection extends Wire implements ConnectionSink, MessageHooks, ResponseOwner {
  /** The socket handed to user code as `req.socket` and to `'connection'`. */
  readonly socket: Socket;
  /** Requests seen on this connection. */
  requests = 0;
  #host: ConnectionHost;
  /** Only while a request is being read: see `parser/pool.ts`. */
  #parser: RequestParser | null = null;
  #recv: ReceiveState = "idle";
  /** KEEP_ALIVE ... IN_READ, one bit each. */
  #flags = KEEP_ALIVE;
  /** Read bytes waiting to be parsed; NONE when empty. */
  #pending: Uint8Array[] = NONE;
  /** Bytes of #pending[0] already parsed (its rest is a later pipelined request). */
  #pendingStart = 0;
  #req: IncomingMessage | null = null;
  #res: ServerResponse | null = null;
  /** While discarding an unread body: bytes we still read before closing instead. */
  #drainBudget = 0;
  /** The request's Content-Length; -1 when it has none (not NaN: a HeapNumber per connection). */
  #declaredLength = -1;
  #bodyReceived = 0;
  // Timestamps for the sweep: ms since the host's epoch (see ConnectionHost.epoch).
  #headStart: number;
  #requestStart = 0;
  #lastActivity: number;
  #socketTimeout = 0;

  /** Serve HTTP/1.1 on `handle` for `host`; the head timer starts now. */
  constructor(handle: TcpHandle, host: ConnectionHost) {
    super(handle);
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
    return this.writeOut([chunk]);
  }
  /** @internal `socket.end()`. */
  socketEnd(): void {
    this.#end();
  }
  /** @internal A hand-off socket's buffer is full. */
  socketPause(): void {
    this.pauseReading(PAUSE_BODY);
  }
  /** @internal A hand-off socket wants more. */
  socketResume(): void {
    this.resumeReading(PAUSE_BODY);
  }
  /** @internal `socket.setTimeout(ms)`. */
  socketSetTimeout(ms: number): void {
    this.#socketTimeout = ms;
    this.#lastActivity = since(this.#host, this.#host.now());
  }

  /** @internal The server's `highWaterMark`: a hand-off socket's buffer limit. */
  get highWaterMark(): number {
    return this.#host.highWaterMark;
  }

  /** True when no request is in progress and no bytes are queued. */
  get idle(): boolean {
    return this.#recv === "idle" && this.#pending.length === 0 && this.#res === null;
  }

  // ---- ResponseOwner --------------------------------------------------------------------

  /** The time of the read being processed, or the host clock's outside a read. */
  now(): number {
    return (this.#flags & IN_READ) === 0 ? this.#host.now() : this.#lastActivity + this.#host.epoch;
  }
  /** The server's options a response reads: the host's. */
  get options(): ResponseSettings {
    return this.#host;
  }
  /** Whether the connection may be reused after the current response (see #reusable). */
  get keepAlive(): boolean {
    return this.#reusable(false);
  }

  /**
   * The one place keep-alive is decided (RFC 9112 §9.3). No when: the latch is off (the
   * request or the response said `close`, HTTP/1.0 without keep-alive, `maxRequestsPerSocket`
   * reached, a body that broke its framing, a protocol error); the server is closing; the peer
   * half-closed (between exchanges, bytes it sent before its FIN are still served); or the
   * unread rest of the body is over DRAIN_LIMIT (we must read it to reuse the connection).
   */
  #reusable(between: boolean): boolean {
    const flags = this.#flags;
    if ((flags & KEEP_ALIVE) === 0 || this.#host.closing) return false;
    if ((flags & PEER_ENDED) !== 0) return between && this.#pending.length > 0;
    const req = this.#req;
    if (!between && req !== null && !req.complete) {
      const declared = this.#declaredLength;
      if (declared >= 0 && declared - this.#bodyReceived > DRAIN_LIMIT) return false;
    }
    return true;
  }

  /** @internal Queue a response's wire bytes. */
  send(res: ServerResponse, chunks: Uint8Array[]): boolean {
    if (res !== this.#res || this.ended) return false;
    const ok = this.writeOut(chunks);
    if (!ok) this.pauseReading(PAUSE_DRAIN);
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
        this.resumeReading(PAUSE_QUEUE);
        this.#process();
      }
    }
  }

  /** The response is done: the next exchange, discard the rest of the body, or close. */
  #afterResponse(): void {
    if (this.ended) return;
    if (this.#recv === "done") {
      this.#nextExchange();
    } else if (this.#recv !== "discarding") {
      if (this.#reusable(false)) {
        this.#recv = RECEIVE_ON["discard"].next(this.#recv);
        this.#drainBudget = DRAIN_LIMIT;
        this.resumeReading(PAUSE_BODY);
      } else {
        this.#linger();
      }
    }
  }

  /** Both halves are done: reset for the next request, or close (RFC 9112 §9.6). */
  #nextExchange(): void {
    const reuse = this.#reusable(true);
    this.#recv = RECEIVE_ON[reuse ? "next" : "last"].next(this.#recv);
    const parser = this.#parser!;
    if (reuse && this.#pending.length !== 0) {
      parser.resume();
      parser.release();
    } else {
      // Nothing more to read: the connection goes idle without a parser (see parser/pool.ts)
      // and without a queue array.
      giveParser(parser);
      this.#parser = null;
      this.#pending = NONE;
    }
    this.#req = null;
    this.#res = null;
    this.#flags &= ~RES_DONE;
    this.#lastActivity = this.#since();
    this.#headStart = this.#lastActivity;
    if (!reuse) {
      this.#end();
      // Keep reading what the peer still sends, so our close does not reset the connection.
      this.resumeReading(PAUSE_QUEUE);
    }
  }

  /** Close while the request body is still arriving: see {@link Wire.linger}. */
  #linger(): void {
    if (this.life !== "open") return;
    if ((this.#flags & PEER_ENDED) !== 0) {
      this.#end();
      return;
    }
    this.#pending = NONE;
    this.linger(since(this.#host, this.#host.now()));
  }

  // ---- ConnectionSink -------------------------------------------------------------------

  onData(chunk: Uint8Array): void {
    this.bytesRead += chunk.byteLength;
    const stream = this.socket._stream;
    if (stream !== null) {
      if (this.socket.timeout > 0) this.#lastActivity = since(this.#host, this.#host.now());
      stream._onData(chunk);
      return;
    }
    if (this.life !== "open") return;
    this.#lastActivity = since(this.#host, this.#host.now());
    if (chunk.byteLength === 0) return;
    if (this.#pending.length === 0) this.#pendingStart = 0;
    if (this.#pending === NONE) this.#pending = [chunk];
    else this.#pending.push(chunk);
    this.#flags |= IN_READ;
    enterRead();
    try {
      this.#process();
    } finally {
      // What the read deferred runs first, still at the read's time (a response ended from a
      // request's 'end' listener reads no clock for its Date).
      leaveRead();
      this.#flags &= ~IN_READ;
    }
  }

  onEnd(): void {
    const stream = this.socket._stream;
    if (stream !== null) {
      stream._onEnd();
      return;
    }
    if (this.life === "closed") return;
    this.#flags |= PEER_ENDED;
    if (this.life === "ending") return;
    if (this.life === "lingering") {
      this.#end();
      return;
    }
    if (this.#recv === "head" || this.#recv === "body" || this.#recv === "discarding") {
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
    const stream = this.socket._stream;
    if (stream !== null) {
      stream._onDrain();
      return;
    }
    if (this.life === "closed") return;
    this.resumeReading(PAUSE_DRAIN);
    this.#res?._onDrain();
    // Requests held back while the peer was not reading (see #process) go on now.
    if (this.#recv === "idle" && this.#pending.length > 0) this.#process();
  }

  onClose(error?: Error): void {
    if (this.life === "closed") return;
    this.life = CONNECTION_ON["close"].next(this.life);
    this.#pending = NONE;
    this.#recv = RECEIVE_ON["peer-closed"].next(this.#recv);
    if (this.#req && !this.#req.complete) this.#req._abort();
    else this.#req?._dump();
    this.#res?._close();
    const parser = this.#parser;
    if (parser) {
      this.#parser = null;
      // Closed from inside #process (a handler destroying its socket): the loop may still read
      // this parser's results, so it goes back to the pool only after the current code ran.
      if ((this.#flags & PROCESSING) !== 0) defer(giveParser, parser);
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
    this.resumeReading(PAUSE_BODY);
  }

  // ---- control from the server ----------------------------------------------------------

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
    if (this.ended) return;
    const now = since(this.#host, time);
    if (this.life === "lingering") {
      if (this.lingerOver(now)) this.#end();
      return;
    }
    const timer = expiredTimer(this.#host, this.#phase(), now, this.#headStart, this.#requestStart, this.#lastActivity, this.#socketTimeout);
    if (timer === "keep-alive") {
      this.destroy();
    } else if (timer === "headers" || timer === "request") {
      this.#parseError(new RemoteProtocolError("ERR_HTTP_REQUEST_TIMEOUT", "Request timeout", 408));
    } else if (timer === "socket") {
      this.#lastActivity = now;
      const stream = this.socket._stream;
      // After a hand-off the socket is the listener's: as a net.Socket, it only reports.
      if (stream !== null) stream._onTimeout();
      else if (this.socket.listenerCount("timeout") > 0) this.socket.emit("timeout");
      else this.destroy();
    }
  }

  /** Where the connection is, for its timers. */
  #phase(): TimerPhase {
    if (this.life !== "open") return "other";
    const recv = this.#recv;
    if (recv === "idle") {
      if (this.#res !== null || this.#pending.length !== 0) return "other";
      return this.requests > 0 ? "keep-alive" : "first";
    }
    if (recv === "head") return "head";
    return recv === "body" || recv === "discarding" ? "body" : "other";
  }

  // ---- internals ------------------------------------------------------------------------

  /** The server's batch limit (see ConnectionHost.batchLimit). */
  protected override batchLimit(): number {
    return this.#host.batchLimit;
  }

  /** `now()` as milliseconds since the host's epoch. */
  #since(): number {
    return (this.#flags & IN_READ) === 0 ? since(this.#host, this.#host.now()) : this.#lastActivity;
  }

  #process(): void {
    if ((this.#flags & PROCESSING) !== 0) return;
    this.#flags |= PROCESSING;
    this.beginBatch();
    const first = this.requests;
    try {
      while (this.#pending.length > 0 && !this.ended) {
        // Pipelined bytes wait until both halves of this exchange are done.
        if (this.#recv === "done") break;
        // A deep pipeline goes on after the deferred events of this slice (see PIPELINE_SLICE);
        // requests are still taken, and answered, strictly in order (RFC 9112 §9.3.2).
        if (this.#recv === "idle" && this.requests - first >= PIPELINE_SLICE) {
          defer(Connection.#resume, this);
          break;
        }
        // A client that pipelines without reading its responses: start no new request while
        // our writes wait for 'drain', so memory stays bounded by one high-water mark.
        if (this.#recv === "idle" && this.heldFor(PAUSE_DRAIN)) break;
        if (this.#recv === "error" || this.#recv === "closed") {
          this.#pending = NONE;
          break;
        }
        if (!this.#step()) break;
      }
    } finally {
      this.#flags &= ~PROCESSING;
      this.endBatch();
    }
    // After the loop, not inside it: a transport may deliver data synchronously from resume().
    if (this.#pending.length > 0 && !this.ended) this.pauseReading(PAUSE_QUEUE);
    else this.resumeReading(PAUSE_QUEUE);
  }

  static #resume = (conn: Connection): void => conn.#process();

  /** Parse from #pending[0] once and apply what it gave. False: stop the loop. */
  #step(): boolean {
    const chunk = this.#pending[0];
    const start = this.#pendingStart;
    if (this.#recv === "idle") {
      this.#recv = RECEIVE_ON["message-begin"].next("idle");
      if (this.requests > 0) this.#headStart = this.#since();
      this.#requestStart = this.#headStart;
    }
    const parser = (this.#parser ??= takeParser(this.#host));
    const result = parser.execute(chunk, start);
    if (result === "error") {
      this.#pending = NONE;
      this.#parseError(parser.error!);
      return false;
    }
    const end = start + parser.consumed;
    if (result === "upgrade" || result === "ask") {
      // An Upgrade or CONNECT stopped at its head. "ask": for shouldUpgradeCallback (user code,
      // never from inside wasm); declined, llhttp goes on with this request's body and later
      // requests, as for any request. Taken: the rest of the bytes are the new protocol's.
      this.#recv = RECEIVE_ON["head-complete"].next(this.#recv);
      const alive = this.#onHead();
      if (result === "upgrade" || (alive && this.#req !== null && this.#req.upgrade)) {
        this.#pending.shift();
        this.#pendingStart = 0;
        if (alive) this.#handOff(chunk.subarray(end));
        return false;
      }
      if (!alive || this.#recv === "error") return false;
      parser.resume();
      this.#consumed(chunk, end);
      return true;
    }
    this.#consumed(chunk, end);
    if (parser.headJustCompleted) {
      this.#recv = RECEIVE_ON["head-complete"].next(this.#recv);
      if (!this.#onHead()) return false;
    }
    const req = this.#req;
    const discarding = this.#recv === "discarding";
    for (const body of parser.bodyChunks) {
      this.#bodyReceived += body.byteLength;
      if (discarding) {
        this.#drainBudget -= body.byteLength;
      } else if (this.#bodyReceived > this.#host.maxRequestBodySize) {
        this.#parseError(new RemoteProtocolError("ERR_HTTP_BODY_TOO_LARGE", "Request body too large", 413));
        return false;
      } else if (req && !req._push(body)) {
        this.pauseReading(PAUSE_BODY);
      }
    }
    if (discarding && this.#drainBudget < 0) {
      this.#linger();
      return false;
    }
    if (result === "complete") {
      this.#recv = RECEIVE_ON["message-complete"].next(this.#recv);
      req?._pushEnd();
    }
    if ((this.#flags & RES_DONE) !== 0) this.#afterResponse();
    return true;
  }

  /** The parser took #pending[0] up to `end`. */
  #consumed(chunk: Uint8Array, end: number): void {
    if (end >= chunk.byteLength) {
      this.#pending.shift();
      this.#pendingStart = 0;
    } else {
      this.#pendingStart = end;
    }
  }

  /** The head of a request is complete: apply the head rules, build req/res, serve. */
  #onHead(): boolean {
    const p = this.#parser!;
    const host = this.#host;
    this.requests++;
    const req = host.createRequest(this.socket);
    req._attach(p, this, host.joinDuplicateHeaders, host.highWaterMark);
    // The head rules (request-head.ts): the user's `headers` object is built only if asked for.
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
      try {
        req.upgrade = host.takesUpgrade(req, p.upgradeAsked);
      } catch (err) {
        // As a throwing 'request' listener (ConnectionHost.dispatch): the program's bug.
        this.destroy();
        defer(rethrow, err);
        return false;
      }
      // Handed off in #handOff once execute() returns "upgrade" (or "ask" was answered).
      if (req.upgrade) return true;
    }
    // Node 24's optimizeEmptyRequests: no body framing, so nothing will ever be read.
    if (host.optimizeEmptyRequests && !h.framed) req._dumpAndCloseReadable();
    const max = host.maxRequestsPerSocket;
    if (max > 0 && this.requests >= max) this.#flags &= ~KEEP_ALIVE;
    const res = host.createResponse(req, this);
    this.#res = res;
    // Over the max is unreachable through keep-alive (the max-th response closes the
    // connection); passed on for Node's 'dropRequest' contract.
    host.serve(req, res, h.expectation, max > 0 && this.requests > max);
    return this.life !== "closed";
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
    this.life = CONNECTION_ON["hand-off"].next(this.life);
    this.#recv = RECEIVE_ON["hand-off"].next(this.#recv);
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
    const held = this.dropReasons(PAUSE_QUEUE | PAUSE_BODY);
    this.#host.dispatch(event, req, stream, rest);
    for (const chunk of later) if (this.life !== "closed") stream._onData(chunk);
    if (held) this.resumeIfFree();
  }

  #parseError(err: RemoteProtocolError): void {
    this.#recv = RECEIVE_ON["parse-error"].next(this.#recv);
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
      this.writeOut([cannedResponse(err.status)]);
      this.#end();
    } else {
      this.destroy(err);
    }
  }

  #end(): void {
    if (this.ended) return;
    this.#pending = NONE;
    this.endWire();
  }
}

function rethrow(err: unknown): never {
  throw err;
}
