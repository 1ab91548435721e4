/**
 * The request as the handler sees it: Node's `http.IncomingMessage` surface over bytes the
 * connection pushes in.
 *
 * It owns: the head fields (method, url, version, headers with Node's duplicate rules), the
 * body buffer and its flow (`'data'`/`'end'`, `pause`/`resume`/`read`/`'readable'`,
 * `for await`, `setEncoding`, `pipe`/`unpipe`, `toWeb()`), `destroy()` and the
 * `'aborted'`/`'error'`/`'close'` sequence. It must not know: the parser, the response, or any
 * runtime. The connection feeds it through `_push`/`_pushEnd`/`_abort`/`_dump` and is told
 * through {@link MessageHooks} when the reader has drained the buffer (so it can resume
 * reading).
 *
 * Node streams interoperate by duck typing, not by inheritance: Node's `stream.pipeline`,
 * `finished()` (end-of-stream), `Readable.prototype.pipe`, `Readable.from` and the npm
 * `on-finished` / `destroy` / `unpipe` helpers look at `pipe`/`on`/`pause`/`resume`, the
 * `readable`/`readableEnded`/`destroyed`/`aborted`/`readableErrored` properties and the events
 * named above, and at `_consuming`/`_dumped` to recognise a server request. We keep that
 * surface, with Node's semantics, and no `_readableState`: Node code that finds one trusts
 * every field of it. (So `Readable.toWeb(req)` refuses the request; `req.toWeb()` is there.)
 * One consequence: Node's `stream.finished(req)` attached between `'end'` and `'close'` (in
 * an `'end'` listener) reports a premature close, because without `_readableState` it cannot
 * see that `'end'` came first; attached before `'end'` or after `'close'`, it reports success.
 *
 * `url` is an own accessor of each instance: it notices when a framework has replaced the
 * prototype (Express does, per request) and puts our surface back above the framework's
 * (`_surface.ts`).
 *
 * @module
 */

import { utf8Encode } from "./_bytes.ts";
import { type ChunkDecoder, concatLike, createChunkDecoder } from "./_chunks.ts";
import { EventEmitter, type Listener } from "./_events.ts";
import { restoreSurface } from "./_surface.ts";
import { defer } from "./_tick.ts";

/** Incoming header values: one string, or an array for `set-cookie`. */
export type IncomingHeaders = Record<string, string | string[] | undefined>;

/** What the connection lets a message ask of it. */
export interface MessageHooks {
  /** The reader took bytes out of the buffer; reading from the peer may resume. */
  pull(): void;
  /**
   * Close the connection. Used by `destroy()` only when the request has no socket object to
   * destroy (Node destroys `req.socket`, and so do we when there is one).
   */
  destroy(error?: Error): void;
}

// Node's `matchKnownFields` (lib/_http_incoming.js): for these a duplicate is dropped and the
// first value wins.
const DROP_DUPLICATES = new Set([
  "age", "authorization", "content-length", "content-type", "etag", "expires", "from", "host",
  "if-modified-since", "if-unmodified-since", "last-modified", "location", "max-forwards",
  "proxy-authorization", "referer", "retry-after", "server", "user-agent",
]);

/** Build Node's `headers` object from a flat `[name, value, ...]` list. */
export function headersFromRaw(raw: readonly string[], joinDuplicates: boolean): IncomingHeaders {
  const out: IncomingHeaders = {};
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i].toLowerCase();
    const value = raw[i + 1];
    const prev = out[key];
    if (prev === undefined) {
      out[key] = key === "set-cookie" ? [value] : value;
    } else if (key === "set-cookie") {
      (prev as string[]).push(value);
    } else if (joinDuplicates) {
      out[key] = `${prev}, ${value}`;
    } else if (DROP_DUPLICATES.has(key)) {
      // first one wins
    } else if (key === "cookie") {
      // RFC 6265 §5.4: cookie pairs are joined with "; ".
      out[key] = `${prev}; ${value}`;
    } else {
      // RFC 9110 §5.3: repeated fields combine into a comma-separated list.
      out[key] = `${prev}, ${value}`;
    }
  }
  return out;
}

/** Every value of every header, as arrays (Node's `headersDistinct`). */
export function distinctFromRaw(raw: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i].toLowerCase();
    (out[key] ??= []).push(raw[i + 1]);
  }
  return out;
}

const noHooks: MessageHooks = { pull() {}, destroy() {} };

/** What `destroy()` may ask of `req.socket`. */
interface SocketLike {
  destroyed?: boolean;
  destroy?(error?: Error): unknown;
  once?(event: string, listener: Listener): unknown;
  setTimeout?(ms: number, callback?: () => void): unknown;
}

/** What `pipe()` needs of a destination: Node's `Writable` shape. */
export interface PipeTarget {
  /** Write a chunk; `false` asks the source to wait for `'drain'`. */
  write(chunk: unknown): boolean | void;
  /** No more chunks. */
  end(): unknown;
  /** Listen for `'drain'`, `'unpipe'` and `'error'`. */
  on?(event: string, listener: Listener): unknown;
  /** Listen for the next `'close'` or `'finish'` only. */
  once?(event: string, listener: Listener): unknown;
  /** Listen for `event` before the listeners already there (Node's pipe does so for `'error'`). */
  prependListener?(event: string, listener: Listener): unknown;
  /** Stop listening, on `unpipe()` or the end of the source. */
  removeListener?(event: string, listener: Listener): unknown;
  /** Listeners of `event`: a source error the destination has no other listener for is passed on to it, as in Node. */
  listenerCount?(event: string): number;
  /** Emit `'pipe'`, `'unpipe'`, or a source error nobody else handles. */
  emit?(event: string, ...args: unknown[]): unknown;
  /** Destroy a Node `Writable` destination with a source error nobody else handles. */
  destroy?(error?: Error): unknown;
  /** `true` while the destination waits for `'drain'`: piping waits too. */
  readonly writableNeedDrain?: boolean;
}

interface Pipe {
  dest: PipeTarget;
  /** This destination's `write()` returned false and its `'drain'` has not come yet. */
  waiting: boolean;
  cleanup(): void;
}

const NO_CHUNKS: Uint8Array[] = [];
const NO_PIPES: Pipe[] = [];

function connReset(): Error {
  return Object.assign(new Error("aborted"), { code: "ECONNRESET" });
}

function abortError(): Error {
  return Object.assign(new Error("The operation was aborted"), { name: "AbortError", code: "ABORT_ERR" });
}

function prematureClose(): Error {
  return Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" });
}

// Node emits a destroyed request's 'error' and 'close' from process.nextTick, after the
// response's 'close' (emitted synchronously when the socket closes). The response queues its
// 'close' as one microtask, so the request's come one hop later.
function afterResponse(fn: () => void): void {
  defer(() => defer(fn));
}

/**
 * @internal Tell a request which response answers it (the response's constructor calls this),
 * so the request can restore both when a framework swaps their prototypes.
 */
export let linkResponse: (req: IncomingMessage, res: object) => void;

/**
 * An HTTP request received by the server.
 *
 * @example
 * ```ts
 * import { createServer, createMemoryTransport } from "@anyhttp/anyhttp/core";
 * const transport = createMemoryTransport();
 * const server = createServer({ transport }, async (req, res) => {
 *   let body = "";
 *   for await (const chunk of req) body += new TextDecoder().decode(chunk);
 *   res.end(`${req.method} ${req.url} ${req.headers.host} ${body}`);
 * });
 * server.listen(0);
 * const client = await transport.connect();
 * client.send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi");
 * ```
 */
export class IncomingMessage extends EventEmitter {
  /** The request method, e.g. `"GET"`. */
  method = "";
  /**
   * The request-target as received. An own accessor of each instance, not a field: reading it
   * is how the message notices that a framework replaced its prototype (see `_surface.ts`).
   */
  declare url: string;
  /** HTTP major version of the request line. */
  httpVersionMajor = 1;
  /** HTTP minor version of the request line. */
  httpVersionMinor = 1;
  /** The HTTP version as `"major.minor"`. */
  httpVersion = "1.1";
  /** Header names and values, alternating, as received. */
  rawHeaders: string[] = [];
  /** Trailer names and values of a chunked body, alternating, as received. */
  rawTrailers: string[] = [];
  /** True once the whole body was received. */
  complete = false;
  /** True if the message was destroyed before it was complete and read to the end. */
  aborted = false;
  /** True for requests that the server handed off as an upgrade. */
  upgrade = false;
  /** Always `null` on a request (Node keeps it for responses of its client). */
  statusCode: number | null = null;
  /** Always `null` on a request (Node keeps it for responses of its client). */
  statusMessage: string | null = null;
  /**
   * The connection's socket-like object. Node's `stream.pipeline` sets it to `null` before
   * destroying a server request, so that the connection survives to answer; so does
   * `destroy()` here when it is `null`.
   */
  socket: unknown = null;
  /** Buffered bytes above which the connection stops reading from the peer. */
  readableHighWaterMark = 16384;
  /** True once `destroy()` was called. */
  destroyed = false;
  /** False once `'end'` was emitted or the message was destroyed. */
  readable = true;
  /** True once `'end'` was emitted. */
  readableEnded = false;
  /**
   * Node's own flags: with them Node's stream utilities recognise a server request
   * (`isServerRequest` in lib/internal/streams/utils.js).
   */
  _consuming = false;
  /** True once the response finished and the unread body was discarded (`_dump()`), as in Node. */
  _dumped = false;

  #joinDuplicates = false;
  #headers?: IncomingHeaders;
  #distinct?: Record<string, string[]>;
  #trailers?: IncomingHeaders;
  #hooks: MessageHooks = noHooks;
  // Shared empty arrays until something is buffered or piped (most requests never are).
  #buffer: Uint8Array[] = NO_CHUNKS;
  #buffered = 0;
  /** Node's `readableFlowing`: null (no consumer yet), true (flowing) or false (paused). */
  #flowing: boolean | null = null;
  #paused = false;
  #ended = false;
  #endEmitted = false;
  #closeEmitted = false;
  #flowScheduled = false;
  #resumeEvent = false;
  #readableListening = false;
  #readableScheduled = false;
  #decoder: ChunkDecoder | null = null;
  #tailTaken = false;
  #pipes: Pipe[] = NO_PIPES;
  #wake: (() => void) | null = null;
  #error: Error | null = null;
  #didRead = false;
  #url = "";
  /** The prototype of our class (or subclass) this instance was made with. */
  #classProto: object;
  /** The prototype seen at the last `url` read. */
  #home: object;
  /** The response to this request and its class's prototype, restored along with this one. */
  #response: object | null = null;
  #responseProto: object | null = null;

  static {
    linkResponse = (req, res) => {
      if (!(#response in req)) return;
      req.#response = res;
      req.#responseProto = Object.getPrototypeOf(res) as object;
    };
  }

  // Shared by every instance; functions in the class body may use its #fields.
  static #URL: PropertyDescriptor = {
    get(this: IncomingMessage): string {
      if (Object.getPrototypeOf(this) !== this.#home) {
        this.#home = restoreSurface(this, this.#classProto);
        if (this.#response) restoreSurface(this.#response, this.#responseProto!);
      }
      return this.#url;
    },
    set(this: IncomingMessage, url: string) {
      this.#url = url;
    },
    enumerable: true,
    configurable: true,
  };

  /** A request on `socket`; the connection fills it in (user code does not construct requests). */
  constructor(socket: unknown = null) {
    super();
    this.socket = socket;
    this.#classProto = this.#home = Object.getPrototypeOf(this) as object;
    Object.defineProperty(this, "url", IncomingMessage.#URL);
  }

  /** @internal Wire the message to its connection. */
  _attach(hooks: MessageHooks, joinDuplicates: boolean): void {
    this.#hooks = hooks;
    this.#joinDuplicates = joinDuplicates;
  }

  /** Alias of `socket` (Node's deprecated name). */
  get connection(): unknown {
    return this.socket;
  }

  /** Lower-cased header names to values, with Node's duplicate rules. */
  get headers(): IncomingHeaders {
    return (this.#headers ??= headersFromRaw(this.rawHeaders, this.#joinDuplicates));
  }
  set headers(v: IncomingHeaders) {
    this.#headers = v;
  }

  /** Lower-cased header names to every value received. */
  get headersDistinct(): Record<string, string[]> {
    return (this.#distinct ??= distinctFromRaw(this.rawHeaders));
  }

  /** Trailer fields of a chunked body (empty until `'end'`). */
  get trailers(): IncomingHeaders {
    if (!this.complete) return this.#trailers ?? {};
    return (this.#trailers ??= headersFromRaw(this.rawTrailers, this.#joinDuplicates));
  }
  set trailers(v: IncomingHeaders) {
    this.#trailers = v;
  }

  /** Lower-cased trailer names to every value received. */
  get trailersDistinct(): Record<string, string[]> {
    return distinctFromRaw(this.rawTrailers);
  }

  /** `null` until a reader chose a mode, then `true` while flowing, `false` while paused. */
  get readableFlowing(): boolean | null {
    return this.#flowing;
  }
  /** Bytes buffered and not yet read. */
  get readableLength(): number {
    return this.#buffered;
  }
  /** Always `false`: the body is bytes. */
  get readableObjectMode(): boolean {
    return false;
  }
  /** The encoding given to `setEncoding()`, or `null`. */
  get readableEncoding(): string | null {
    return this.#decoder?.encoding ?? null;
  }
  /** True once any body bytes were handed to a reader. */
  get readableDidRead(): boolean {
    return this.#didRead;
  }
  /** True if the message was destroyed or errored before `'end'`. */
  get readableAborted(): boolean {
    return (this.destroyed || this.#error !== null) && !this.#endEmitted;
  }
  /** The error the message was destroyed with, or `null`. */
  get errored(): Error | null {
    return this.#error;
  }
  /** The error the message was destroyed with, or `null` (Node's alias of `errored`). */
  get readableErrored(): Error | null {
    return this.#error;
  }

  // ---- fed by the connection ------------------------------------------------------------

  /** @internal A body chunk arrived. Returns false when the buffer is above the high-water mark. */
  _push(chunk: Uint8Array): boolean {
    if (this.destroyed || this._dumped || chunk.byteLength === 0) return true;
    if (this.#flowing && this.#buffered === 0 && !this.#flowScheduled && this.listenerCount("data") > 0) {
      this.#emitData(chunk);
      return true;
    }
    if (this.#buffer === NO_CHUNKS) this.#buffer = [];
    this.#buffer.push(chunk);
    this.#buffered += chunk.byteLength;
    this.#wakeUp();
    if (this.#flowing) this.#scheduleFlow();
    else if (this.#readableListening) this.#scheduleReadable();
    return this.#buffered < this.readableHighWaterMark;
  }

  /** @internal The body is complete. */
  _pushEnd(): void {
    this.complete = true;
    if (this.#ended) return;
    this.#ended = true;
    this.#wakeUp();
    if (this.destroyed) return;
    if (this.#flowing) this.#scheduleFlow();
    else if (this.#readableListening) this.#scheduleReadable();
  }

  /**
   * @internal The connection died before the body was complete (Node's `abortIncoming`):
   * `'aborted'` now, then `'error'` (only if someone listens, as in Node) and `'close'`.
   */
  _abort(): void {
    if (this.destroyed) return;
    this.#destroy(connReset(), false);
  }

  /**
   * @internal The connection died while the response was unfinished. As in Node, a request
   * that was not read to its end is aborted; one that was is already closed.
   */
  _lost(): void {
    if (this.destroyed) return;
    this.#destroy(connReset(), false);
  }

  /**
   * @internal The response finished: discard whatever body is left (Node's `_dump`: drop
   * `'data'` listeners and let the rest flow away, so `'end'` and `'close'` still come).
   * Returns true if the body was already complete.
   */
  _dump(): boolean {
    if (!this._dumped) {
      this._dumped = true;
      this.#buffer = NO_CHUNKS;
      this.#buffered = 0;
      this.#hooks.pull();
      this.removeAllListeners("data");
      this.resume();
    }
    return this.complete;
  }

  /**
   * @internal Node 24's `optimizeEmptyRequests` (`_dumpAndCloseReadable`): a request that has
   * no body is ended, closed and dumped at once, and never emits `'data'`, `'end'` or `'close'`.
   */
  _dumpAndCloseReadable(): void {
    this._dumped = true;
    this.#ended = true;
    this.#endEmitted = true;
    this.#closeEmitted = true;
    this.destroyed = true;
    this.readable = false;
    this.readableEnded = true;
  }

  // ---- Readable surface -----------------------------------------------------------------

  /** Listen for `event`; a `'data'` listener starts the flow, a `'readable'` one pauses it, as in Node. */
  override on(event: string | symbol, listener: Listener): this {
    super.on(event, listener);
    this.#listenerAdded(event);
    return this;
  }
  /** The same as `on()`. */
  override addListener(event: string | symbol, listener: Listener): this {
    return this.on(event, listener);
  }
  /** Listen for `event` before the listeners already there, with `on()`'s effects. */
  override prependListener(event: string | symbol, listener: Listener): this {
    super.prependListener(event, listener);
    this.#listenerAdded(event);
    return this;
  }
  /** Stop listening; removing the last `'readable'` listener lets `'data'` flow again. */
  override removeListener(event: string | symbol, listener: Listener): this {
    super.removeListener(event, listener);
    if (event === "readable") this.#readableListenersChanged();
    return this;
  }
  /** The same as `removeListener()`. */
  override off(event: string | symbol, listener: Listener): this {
    return this.removeListener(event, listener);
  }
  /** Remove the listeners of `event` (or all), with `removeListener()`'s effect on `'readable'`. */
  override removeAllListeners(event?: string | symbol): this {
    super.removeAllListeners(event);
    if (event === "readable" || event === undefined) this.#readableListenersChanged();
    return this;
  }

  /** Switch to flowing mode: buffered and future chunks are emitted as `'data'`. */
  resume(): this {
    if (!this.#flowing) {
      // Node: a 'readable' listener keeps the stream paused; resume() then only emits 'resume'.
      this.#flowing = !this.#readableListening;
      this._consuming = true;
      this.#resumeEvent = true;
      this.#scheduleFlow();
    }
    this.#paused = false;
    return this;
  }

  /** Stop emitting `'data'` until `resume()`. */
  pause(): this {
    if (this.#flowing !== false) {
      this.#flowing = false;
      this.emit("pause");
    }
    this.#paused = true;
    return this;
  }

  /** True after `pause()`, or while not flowing. */
  isPaused(): boolean {
    return this.#paused || this.#flowing === false;
  }

  /**
   * Decode chunks to strings with this encoding (Node's names: utf8, utf16le, latin1, ascii,
   * hex, base64, base64url). A character split across chunks is held back until it is whole.
   */
  setEncoding(encoding: string): this {
    this.#decoder = createChunkDecoder(encoding);
    return this;
  }

  /**
   * Take buffered body bytes, as Node's `readable.read([size])`: all of them (the first chunk
   * in flowing mode) or exactly `size`, or `null` when that much is not buffered yet. The
   * result is also emitted as `'data'`. With an encoding set, `size` still counts bytes.
   */
  read(size?: number): Uint8Array | string | null {
    this._consuming = true;
    if (size === 0) {
      if (this.#ended && this.#buffered === 0) this.#scheduleEnd();
      else if (this.#buffered > 0 && this.#readableListening) this.#scheduleReadable();
      return null;
    }
    if (this.#buffered === 0) {
      if (this.#ended && !this.destroyed) {
        const tail = this.#tail();
        this.#scheduleEnd();
        if (tail) {
          this.emit("data", tail);
          return tail;
        }
      }
      return null;
    }
    let n: number;
    if (size === undefined || !(size > 0)) {
      n = this.#flowing ? this.#buffer[0].byteLength : this.#buffered;
    } else if (size > this.#buffered) {
      if (!this.#ended) return null;
      n = this.#buffered;
    } else {
      n = size;
    }
    const bytes = this.#take(n);
    if (this.#ended && this.#buffered === 0) this.#scheduleEnd();
    this.#didRead = true;
    const value = this.#decoder ? this.#decoder.write(bytes) : bytes;
    this.emit("data", value);
    return value;
  }

  /** Put bytes back at the front of the buffer (Node's `unshift`). */
  unshift(chunk: Uint8Array | string): void {
    const bytes = typeof chunk === "string" ? utf8Encode(chunk) : chunk;
    if (bytes.byteLength === 0) return;
    if (this.#buffer === NO_CHUNKS) this.#buffer = [];
    this.#buffer.unshift(bytes);
    this.#buffered += bytes.byteLength;
  }

  /**
   * Send the body to `dest`, honouring its backpressure (pause on `write() === false`, resume
   * on its `'drain'`), and `end()` it after the body unless `{ end: false }`. Node's
   * `Readable.prototype.pipe`: several destinations at once, `'pipe'`/`'unpipe'` events,
   * unpiped when the destination closes, finishes or errors.
   */
  pipe<T extends PipeTarget>(dest: T, options?: { end?: boolean }): T {
    const src = this;
    const pipe: Pipe = { dest, waiting: false, cleanup };
    if (this.#pipes === NO_PIPES) this.#pipes = [];
    this.#pipes.push(pipe);

    // Named `ondata`, as in Node: the npm `unpipe` helper looks for it.
    function ondata(chunk: unknown): void {
      if (dest.write(chunk) === false && !pipe.waiting) {
        pipe.waiting = true;
        dest.on?.("drain", ondrain);
        src.pause();
      }
    }
    function ondrain(): void {
      dest.removeListener?.("drain", ondrain);
      if (!pipe.waiting) return;
      pipe.waiting = false;
      src.#resumeIfDrained();
    }
    function onerror(err: unknown): void {
      unpipe();
      dest.removeListener?.("error", onerror);
      // Node: an error nobody else handles is the destination's to raise.
      if ((dest.listenerCount?.("error") ?? 0) === 0) {
        const d = dest as PipeTarget & { _writableState?: unknown };
        if (d._writableState && typeof d.destroy === "function") d.destroy(err as Error);
        else dest.emit?.("error", err);
      }
    }
    function onclose(): void {
      dest.removeListener?.("finish", onfinish);
      unpipe();
    }
    function onfinish(): void {
      dest.removeListener?.("close", onclose);
      unpipe();
    }
    function onunpipe(readable: unknown, info?: { hasUnpiped: boolean }): void {
      if (readable === src && info && info.hasUnpiped === false) {
        info.hasUnpiped = true;
        cleanup();
      }
    }
    function onend(): void {
      dest.end();
    }
    function unpipe(): void {
      src.unpipe(dest);
    }
    const endFn = options?.end === false ? unpipe : onend;
    function cleanup(): void {
      dest.removeListener?.("close", onclose);
      dest.removeListener?.("finish", onfinish);
      dest.removeListener?.("drain", ondrain);
      dest.removeListener?.("error", onerror);
      dest.removeListener?.("unpipe", onunpipe);
      src.removeListener("end", endFn);
      src.removeListener("data", ondata);
      const i = src.#pipes.indexOf(pipe);
      if (i !== -1) src.#pipes.splice(i, 1);
      if (pipe.waiting) {
        pipe.waiting = false;
        src.#resumeIfDrained();
      }
    }

    dest.on?.("unpipe", onunpipe);
    if (this.#endEmitted) defer(endFn);
    else this.once("end", endFn);
    this.on("data", ondata);
    if (dest.prependListener) dest.prependListener("error", onerror);
    else dest.on?.("error", onerror);
    dest.once?.("close", onclose);
    dest.once?.("finish", onfinish);
    dest.emit?.("pipe", src);
    if (dest.writableNeedDrain === true) {
      pipe.waiting = true;
      dest.on?.("drain", ondrain);
      this.pause();
    } else if (!this.#flowing) {
      this.resume();
    }
    return dest;
  }

  /** Stop piping to `dest` (or to every destination); the source pauses when none is left. */
  unpipe(dest?: PipeTarget): this {
    if (this.#pipes.length === 0) return this;
    const targets = dest ? this.#pipes.filter((p) => p.dest === dest) : this.#pipes.slice();
    if (targets.length === 0) return this;
    for (const p of targets) p.cleanup();
    if (this.#pipes.length === 0) this.pause();
    for (const p of targets) p.dest.emit?.("unpipe", this, { hasUnpiped: false });
    return this;
  }

  /**
   * Tear the message down, as Node's `IncomingMessage#destroy`: a message not read to its end
   * is `aborted` (`'aborted'` at once) and its socket, and so the connection, is destroyed;
   * then `'error'` (only if someone listens) and `'close'`. With `req.socket` set to `null`
   * first (what `stream.pipeline` does on failure), the connection is left to answer.
   */
  destroy(error?: Error | null): this {
    if (this.destroyed) return this;
    this.#destroy(error ?? null, true);
    return this;
  }

  /** Node compatibility: a per-message timeout is the socket's. */
  setTimeout(ms: number, callback?: () => void): this {
    (this.socket as SocketLike | null)?.setTimeout?.(ms, callback);
    return this;
  }

  /**
   * Iterate over the body (Node's `readable.iterator()`). Leaving the loop early destroys the
   * message unless `destroyOnReturn` is false; as with Node's `stream.pipeline`, the connection
   * is kept so the response can still be sent.
   */
  iterator(options?: { destroyOnReturn?: boolean }): AsyncIterableIterator<Uint8Array | string> {
    return this.#iterate(options?.destroyOnReturn !== false);
  }

  /** `for await (const chunk of req)`: the body's chunks; leaving the loop early destroys the message. */
  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array | string> {
    return this.#iterate(true);
  }

  /**
   * The body as a web `ReadableStream` of bytes, read only as fast as its consumer pulls
   * (Node's `Readable.toWeb(req)` needs `_readableState`, which this class does not have).
   * Cancelling the stream destroys the message, keeping the connection.
   */
  toWeb(): ReadableStream<Uint8Array> {
    const it = this.#iterate(false);
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { value, done } = await it.next();
        if (done) controller.close();
        else controller.enqueue(typeof value === "string" ? utf8Encode(value) : value);
      },
      cancel: (reason) => {
        if (!this.destroyed) this.#destroy(reason instanceof Error ? reason : abortError(), false);
      },
    });
  }

  // ---- internals ------------------------------------------------------------------------

  async *#iterate(destroyOnReturn: boolean): AsyncGenerator<Uint8Array | string, void, undefined> {
    this._consuming = true;
    if (this.#flowing) this.pause();
    else this.#flowing = false;
    let finished = false;
    try {
      while (true) {
        if (this.#buffered > 0) {
          const bytes = this.#take(this.#buffer[0].byteLength);
          this.#didRead = true;
          if (!this.#decoder) {
            yield bytes;
            continue;
          }
          const s = this.#decoder.write(bytes);
          if (s) yield s;
          continue;
        }
        if (this.#error) throw this.#error;
        if (this.#endEmitted || (this.#ended && !this.destroyed)) {
          const tail = this.#tail();
          if (tail) yield tail;
          this.#emitEnd();
          finished = true;
          return;
        }
        if (this.destroyed) throw prematureClose();
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      if (!finished) {
        this.#wake = null;
        // Node's createAsyncIterator: leaving early destroys the stream (with an AbortError
        // when it had not finished); for a server request the socket is detached first.
        if (destroyOnReturn && !this.destroyed) this.#destroy(abortError(), false);
      }
    }
  }

  /**
   * The one teardown path. `killSocket`: destroy `req.socket` as Node's `_destroy` does (user
   * `destroy()`); false when the connection is already gone or must be kept.
   */
  #destroy(error: Error | null, killSocket: boolean): void {
    this.destroyed = true;
    this.readable = false;
    if (error && !this.#error) this.#error = error;
    this.#buffer = NO_CHUNKS;
    this.#buffered = 0;
    this.#wakeUp();
    // Node's IncomingMessage#_destroy.
    if (!this.readableEnded || !this.complete) {
      this.aborted = true;
      this.emit("aborted");
    }
    const finish = () =>
      afterResponse(() => {
        if (error && this.listenerCount("error") > 0) this.emit("error", error);
        this.#emitClose();
      });
    const socket = this.socket as SocketLike | null;
    if (killSocket && this.aborted && socket && !socket.destroyed) {
      // Node: the request's 'error' and 'close' follow the socket's 'close'.
      if (typeof socket.once === "function") socket.once("close", finish);
      else finish();
      if (typeof socket.destroy === "function") socket.destroy(error ?? undefined);
      else this.#hooks.destroy(error ?? undefined);
    } else {
      finish();
    }
  }

  #listenerAdded(event: string | symbol): void {
    if (event === "data") {
      this.#readableListening = this.listenerCount("readable") > 0;
      if (this.#flowing !== false) this.resume();
    } else if (event === "readable" && !this.#endEmitted && !this.#readableListening) {
      this.#readableListening = true;
      this.#flowing = false;
      this._consuming = true;
      if (this.#buffered > 0 || this.#ended) this.#scheduleReadable();
    }
  }

  // Node's updateReadableListening.
  #readableListenersChanged(): void {
    defer(() => {
      this.#readableListening = this.listenerCount("readable") > 0;
      if (this.#readableListening) return;
      if (this.listenerCount("data") > 0 && !this.#paused) this.resume();
      else if (!this.#paused) this.#flowing = null;
    });
  }

  #resumeIfDrained(): void {
    if (this.#pipes.some((p) => p.waiting)) return;
    if (this.listenerCount("data") > 0) {
      this.#flowing = true;
      this.#scheduleFlow();
    }
  }

  #take(n: number): Uint8Array {
    const first = this.#buffer[0];
    let out: Uint8Array;
    if (n === first.byteLength) {
      this.#buffer.shift();
      out = first;
    } else if (n < first.byteLength) {
      out = first.subarray(0, n);
      this.#buffer[0] = first.subarray(n);
    } else {
      const parts: Uint8Array[] = [];
      let left = n;
      while (left > 0) {
        const c = this.#buffer[0];
        if (c.byteLength <= left) {
          parts.push(c);
          this.#buffer.shift();
          left -= c.byteLength;
        } else {
          parts.push(c.subarray(0, left));
          this.#buffer[0] = c.subarray(left);
          left = 0;
        }
      }
      out = concatLike(parts, n);
    }
    const wasAbove = this.#buffered >= this.readableHighWaterMark;
    this.#buffered -= n;
    // Reading resumes after the bytes taken here were handed on, never from inside: a
    // transport may deliver the next read synchronously from resume(), and that chunk, pushed
    // while this one is still on its way to 'data', would overtake it.
    if (wasAbove && this.#buffered < this.readableHighWaterMark) defer(IncomingMessage.#pull, this);
    return out;
  }

  /** What the decoder still holds once the body is over (taken once). */
  #tail(): string {
    if (!this.#decoder || this.#tailTaken) return "";
    this.#tailTaken = true;
    return this.#decoder.end();
  }

  #emitData(chunk: Uint8Array): void {
    this.#didRead = true;
    if (!this.#decoder) {
      this.emit("data", chunk);
      return;
    }
    const s = this.#decoder.write(chunk);
    if (s) this.emit("data", s);
  }

  #scheduleFlow(): void {
    if (this.#flowScheduled) return;
    this.#flowScheduled = true;
    defer(IncomingMessage.#flow, this);
  }

  // Deferred tasks take their message as the argument: no closure per request.
  static #flow = (msg: IncomingMessage): void => {
    msg.#flowScheduled = false;
    if (msg.#resumeEvent) {
      msg.#resumeEvent = false;
      if (!msg.destroyed) msg.emit("resume");
    }
    while (msg.#flowing && msg.#buffered > 0 && !msg.destroyed) {
      msg.#emitData(msg.#take(msg.#buffer[0].byteLength));
    }
    if (msg.#flowing && msg.#buffered === 0 && msg.#ended && !msg.destroyed) {
      const tail = msg.#tail();
      if (tail) msg.emit("data", tail);
      msg.#emitEnd();
    }
  };
  static #end = (msg: IncomingMessage): void => msg.#emitEnd();
  static #pull = (msg: IncomingMessage): void => msg.#hooks.pull();
  static #close = (msg: IncomingMessage): void => msg.#emitClose();
  // Node's 'close' of an ended request comes two ticks after its 'end' (see #emitEnd).
  static #closeLater = (msg: IncomingMessage): void => defer(IncomingMessage.#close, msg);

  #scheduleReadable(): void {
    if (this.#readableScheduled) return;
    this.#readableScheduled = true;
    defer(() => {
      this.#readableScheduled = false;
      if (this.destroyed || this.#endEmitted) return;
      if (this.#buffered > 0 || this.#ended) this.emit("readable");
      // A 'readable' handler that read everything, or none at all at the end: Node ends the
      // stream when read() finds nothing left.
      if (this.#ended && this.#buffered === 0) this.#emitEnd();
    });
  }

  #scheduleEnd(): void {
    defer(IncomingMessage.#end, this);
  }

  #emitEnd(): void {
    if (this.#endEmitted || this.destroyed || !this.#ended || this.#buffered > 0) return;
    this.#endEmitted = true;
    this.readableEnded = true;
    this.readable = false;
    this.emit("end");
    // Node's autoDestroy: 'close' follows 'end', two ticks later (destroy, then its callback),
    // so a response ended from an 'end' listener gets its 'finish' and 'close' in first.
    defer(IncomingMessage.#closeLater, this);
  }

  #emitClose(): void {
    if (this.#closeEmitted) return;
    this.#closeEmitted = true;
    this.destroyed = true;
    this.readable = false;
    this.emit("close");
  }

  #wakeUp(): void {
    const w = this.#wake;
    if (w) {
      this.#wake = null;
      w();
    }
  }
}
