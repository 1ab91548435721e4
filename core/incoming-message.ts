/**
 * The request as the handler sees it: Node's `http.IncomingMessage` surface over bytes the
 * connection pushes in.
 *
 * It owns: the head fields (method, url, version, headers with Node's duplicate rules), the
 * body buffer and its flow (`'data'`/`'end'`, `pause`/`resume`/`read`, `for await`,
 * `setEncoding`, `pipe`), and its `'close'`. It must not know: sockets, the parser, or the
 * response. The connection feeds it through `_push`/`_pushEnd`/`_abort` and is told through
 * {@link MessageHooks} when the reader has drained the buffer (so it can resume reading).
 *
 * @module
 */

import { latin1Decode } from "./_bytes.ts";
import { EventEmitter, type Listener } from "./_events.ts";

/** Incoming header values: one string, or an array for `set-cookie`. */
export type IncomingHeaders = Record<string, string | string[] | undefined>;

/** What the connection lets a message ask of it. */
export interface MessageHooks {
  /** The reader took bytes out of the buffer; reading from the peer may resume. */
  pull(): void;
  /** `destroy()` was called on the message: the connection goes too (as in Node). */
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
  method = "";
  url = "";
  httpVersionMajor = 1;
  httpVersionMinor = 1;
  httpVersion = "1.1";
  rawHeaders: string[] = [];
  rawTrailers: string[] = [];
  /** True once the whole body was received. */
  complete = false;
  /** True if the connection closed before the message was complete. */
  aborted = false;
  /** True for requests that the server handed off as an upgrade. */
  upgrade = false;
  /** Always `null` on a request (Node keeps it for responses of its client). */
  statusCode: number | null = null;
  statusMessage: string | null = null;
  /** The connection's socket-like object. */
  socket: unknown = null;
  readableHighWaterMark = 16384;
  destroyed = false;
  readable = true;
  readableEnded = false;

  #joinDuplicates = false;
  #headers?: IncomingHeaders;
  #distinct?: Record<string, string[]>;
  #trailers?: IncomingHeaders;
  #hooks: MessageHooks = noHooks;
  #buffer: Uint8Array[] = [];
  #buffered = 0;
  #flowing: boolean | null = null;
  #ended = false;
  #endEmitted = false;
  #closeEmitted = false;
  #dumped = false;
  #flowScheduled = false;
  #decoder?: (b: Uint8Array, end: boolean) => string;
  #wake: (() => void) | null = null;
  #error: Error | null = null;

  constructor(socket: unknown = null) {
    super();
    this.socket = socket;
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

  get readableFlowing(): boolean | null {
    return this.#flowing;
  }
  get readableLength(): number {
    return this.#buffered;
  }

  // ---- fed by the connection ------------------------------------------------------------

  /** @internal A body chunk arrived. Returns false when the buffer is above the high-water mark. */
  _push(chunk: Uint8Array): boolean {
    if (this.destroyed || this.#dumped) return true;
    if (this.#flowing && this.#buffered === 0 && !this.#flowScheduled) {
      this.#emitData(chunk);
      return true;
    }
    this.#buffer.push(chunk);
    this.#buffered += chunk.byteLength;
    this.#wakeUp();
    if (this.#flowing) this.#scheduleFlow();
    else if (this.listenerCount("readable") > 0) this.#scheduleReadable();
    return this.#buffered < this.readableHighWaterMark;
  }

  /** @internal The body is complete. */
  _pushEnd(): void {
    this.complete = true;
    this.#ended = true;
    this.#wakeUp();
    if (this.#dumped) {
      this.#finishDump();
      return;
    }
    if (this.#flowing) this.#scheduleFlow();
    else if (this.listenerCount("readable") > 0) this.#scheduleReadable();
  }

  /** @internal The connection died before the body was complete. */
  _abort(): void {
    if (this.complete || this.destroyed) {
      this.#emitClose();
      return;
    }
    this.aborted = true;
    this.emit("aborted");
    const err = Object.assign(new Error("aborted"), { code: "ECONNRESET" });
    this.#error = err;
    this.destroyed = true;
    this.#wakeUp();
    if (this.listenerCount("error") > 0) this.emit("error", err);
    this.#emitClose();
  }

  /**
   * @internal The response finished: discard whatever body is left (Node's `_dump`).
   * Returns true if the body was already complete.
   */
  _dump(): boolean {
    if (!this.#dumped) {
      this.#dumped = true;
      this.#buffer = [];
      this.#buffered = 0;
      this.#hooks.pull();
    }
    if (this.complete) this.#finishDump();
    return this.complete;
  }

  #finishDump(): void {
    if (this.#endEmitted) {
      this.#emitClose();
      return;
    }
    this.readableEnded = true;
    this.#emitClose();
  }

  // ---- Readable surface -----------------------------------------------------------------

  override on(event: string | symbol, listener: Listener): this {
    super.on(event, listener);
    if (event === "data" && this.#flowing !== false) this.resume();
    if (event === "readable") {
      this.#flowing = false;
      if (this.#buffered > 0 || this.#ended) this.#scheduleReadable();
    }
    return this;
  }
  override addListener(event: string | symbol, listener: Listener): this {
    return this.on(event, listener);
  }

  /** Switch to flowing mode: buffered and future chunks are emitted as `'data'`. */
  resume(): this {
    this.#flowing = true;
    this.#scheduleFlow();
    return this;
  }

  /** Stop emitting `'data'` until `resume()`. */
  pause(): this {
    this.#flowing = false;
    return this;
  }

  isPaused(): boolean {
    return this.#flowing === false;
  }

  /** Decode `'data'` chunks to strings with this encoding. */
  setEncoding(encoding: string): this {
    const enc = encoding.toLowerCase();
    if (enc === "latin1" || enc === "binary") {
      this.#decoder = (b) => latin1Decode(b);
    } else if (enc === "utf8" || enc === "utf-8") {
      const d = new TextDecoder("utf-8");
      this.#decoder = (b, end) => d.decode(b, { stream: !end });
    } else {
      throw new TypeError(`Unknown encoding: "${encoding}"`);
    }
    return this;
  }

  /**
   * Take buffered body bytes (all of them, or `size`), or `null` when none are buffered.
   */
  read(size?: number): Uint8Array | string | null {
    if (this.#buffered === 0) {
      if (this.#ended) this.#scheduleEnd();
      return null;
    }
    let out: Uint8Array;
    if (size === undefined || size >= this.#buffered) {
      out = this.#take(this.#buffered);
    } else {
      out = this.#take(size);
    }
    if (this.#buffered === 0 && this.#ended) this.#scheduleEnd();
    return this.#decoder ? this.#decoder(out, false) : out;
  }

  /** Send the body to `dest`, honouring its backpressure; ends `dest` at the end. */
  pipe<T extends PipeTarget>(dest: T, options?: { end?: boolean }): T {
    const onData = (chunk: unknown) => {
      if (dest.write(chunk) === false) this.pause();
    };
    this.on("data", onData);
    dest.on?.("drain", () => this.resume());
    if (options?.end !== false) this.once("end", () => dest.end());
    dest.emit?.("pipe", this);
    return dest;
  }

  /** Stop piping (all destinations). */
  unpipe(): this {
    this.removeAllListeners("data");
    return this;
  }

  /** Tear the message down; as in Node, the connection goes with it. */
  destroy(error?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.#buffer = [];
    this.#buffered = 0;
    this.#error = error ?? null;
    this.#wakeUp();
    this.#hooks.destroy(error);
    if (error) queueMicrotask(() => this.emit("error", error));
    queueMicrotask(() => this.#emitClose());
    return this;
  }

  /** Node compatibility: a per-message timeout is the socket's. */
  setTimeout(ms: number, callback?: () => void): this {
    const s = this.socket as { setTimeout?: (ms: number, cb?: () => void) => unknown } | null;
    s?.setTimeout?.(ms, callback);
    return this;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array | string, void, undefined> {
    this.#flowing = false;
    while (true) {
      if (this.#buffered > 0) {
        const chunk = this.#take(this.#buffer[0].byteLength);
        yield this.#decoder ? this.#decoder(chunk, false) : chunk;
        continue;
      }
      if (this.#error) throw this.#error;
      if (this.destroyed) return;
      if (this.#ended) {
        this.#emitEnd();
        return;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** The body as a web `ReadableStream` of bytes. */
  toWeb(): ReadableStream<Uint8Array> {
    const it = this[Symbol.asyncIterator]();
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { value, done } = await it.next();
        if (done) controller.close();
        else controller.enqueue(typeof value === "string" ? new TextEncoder().encode(value) : value);
      },
      cancel: () => {
        this.destroy();
      },
    });
  }

  // ---- internals ------------------------------------------------------------------------

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
      out = new Uint8Array(n);
      let o = 0;
      while (o < n) {
        const c = this.#buffer[0];
        const k = Math.min(c.byteLength, n - o);
        out.set(c.subarray(0, k), o);
        o += k;
        if (k === c.byteLength) this.#buffer.shift();
        else this.#buffer[0] = c.subarray(k);
      }
    }
    const wasAbove = this.#buffered >= this.readableHighWaterMark;
    this.#buffered -= n;
    if (wasAbove && this.#buffered < this.readableHighWaterMark) this.#hooks.pull();
    return out;
  }

  #emitData(chunk: Uint8Array): void {
    this.emit("data", this.#decoder ? this.#decoder(chunk, false) : chunk);
  }

  #scheduleFlow(): void {
    if (this.#flowScheduled) return;
    this.#flowScheduled = true;
    queueMicrotask(() => {
      this.#flowScheduled = false;
      while (this.#flowing && this.#buffered > 0 && !this.destroyed) {
        this.#emitData(this.#take(this.#buffer[0].byteLength));
      }
      if (this.#flowing && this.#buffered === 0 && this.#ended) this.#emitEnd();
    });
  }

  #scheduleReadable(): void {
    queueMicrotask(() => {
      if (this.destroyed) return;
      this.emit("readable");
      if (this.#ended && this.#buffered === 0) this.#emitEnd();
    });
  }

  #scheduleEnd(): void {
    queueMicrotask(() => this.#emitEnd());
  }

  #emitEnd(): void {
    if (this.#endEmitted || this.destroyed) return;
    this.#endEmitted = true;
    this.readableEnded = true;
    this.readable = false;
    this.emit("end");
    // Node's autoDestroy: 'close' follows 'end'.
    queueMicrotask(() => this.#emitClose());
  }

  #emitClose(): void {
    if (this.#closeEmitted) return;
    this.#closeEmitted = true;
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

/** What `pipe()` needs of a destination: Node's `Writable` shape. */
export interface PipeTarget {
  write(chunk: unknown): boolean | void;
  end(): unknown;
  on?(event: string, listener: Listener): unknown;
  emit?(event: string, ...args: unknown[]): unknown;
}
