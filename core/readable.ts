/**
 * A Node-compatible readable byte stream: the state and the algorithms of `stream.Readable`
 * that HTTP code relies on, written once for the request body and for the core socket after
 * an upgrade hand-off.
 *
 * It owns: the buffer, flowing/paused mode (`'data'`, `pause`/`resume`, `isPaused`), paused
 * reads (`read()`, `'readable'`, `unshift`), `setEncoding`, `pipe`/`unpipe` with the
 * destination's backpressure, async iteration, `toWeb()`, the `'end'` that follows the last
 * byte, and the high-water mark: above it `_push()` returns false, and once a reader takes the
 * buffer below it again `_pull()` asks the source for more. It must not know where the bytes
 * come from (the connection feeds it through `_push`/`_pushEnd`), HTTP, or any runtime.
 *
 * Its events go to an owner: the readable itself (`IncomingMessage` extends it), or the core
 * socket it reads for, which forwards its listener changes here (`_listenerAdded`,
 * `_readableListenersChanged`). What ends a stream's life is the owner's: `_afterEnd()`,
 * `_abandon()` and `destroy()` are its to define.
 *
 * Node streams interoperate by duck typing, not by inheritance: `stream.pipeline`,
 * `finished()`, `Readable.prototype.pipe` and the npm `on-finished` / `destroy` / `unpipe`
 * helpers look at `pipe`/`on`/`pause`/`resume`, the `readable`/`readableEnded`/`destroyed`/
 * `readableErrored` properties and the events named above. We keep that surface, with Node's
 * semantics, and no `_readableState`: Node code that finds one trusts every field of it.
 *
 * @module
 */

import { utf8Encode } from "./_bytes.ts";
import { type ChunkDecoder, concatLike, createChunkDecoder } from "./_chunks.ts";
import { EventEmitter, type Listener } from "./_events.ts";
import { defer } from "./_tick.ts";

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

// Readable#bits: the stream's flags in one field (one field per request instead of ten).
const PAUSED = 1; // pause() was called and resume() not since (Node's kPaused)
const ENDED = 2; // the source pushed its end
const END_EMITTED = 4;
const CLOSE_EMITTED = 8;
const FLOW_SCHEDULED = 16;
const RESUME_EVENT = 32; // 'resume' is due at the next flow
const READABLE_LISTENING = 64;
const READABLE_SCHEDULED = 128;
const TAIL_TAKEN = 256; // the decoder's tail was taken
const DID_READ = 512;

/** Node's `AbortError`, as `stream` utilities raise it when a reader leaves early. */
export function abortError(): Error {
  return Object.assign(new Error("The operation was aborted"), { name: "AbortError", code: "ABORT_ERR" });
}

function prematureClose(): Error {
  return Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" });
}

/**
 * A readable byte stream with Node's `stream.Readable` semantics, fed by its source through
 * `_push`/`_pushEnd`.
 *
 * @example
 * ```ts
 * import { Readable } from "@anyhttp/anyhttp/core";
 * const r = new Readable();
 * r.setEncoding("utf8");
 * r.on("data", (s: string) => console.log(s)); // "hi"
 * r._push(new TextEncoder().encode("hi"));
 * r._pushEnd();
 * ```
 */
export class Readable extends EventEmitter {
  /** Buffered bytes above which `_push()` returns false (the source should stop reading). */
  readableHighWaterMark = 16384;
  /** True once the stream was destroyed (or closed). */
  destroyed = false;
  /** False once `'end'` was emitted or the stream was destroyed. */
  readable = true;
  /** True once `'end'` was emitted. */
  readableEnded = false;
  /**
   * True once a reader asked for data. Node's `IncomingMessage` flag: with it (and `_dumped`)
   * Node's stream utilities recognise a server request (`isServerRequest` in
   * lib/internal/streams/utils.js).
   */
  _consuming = false;

  /** Whose events these are: this stream, or the socket it reads for. */
  #owner: EventEmitter;
  // Shared empty arrays until something is buffered or piped (most requests never are).
  #buffer: Uint8Array[] = NO_CHUNKS;
  #buffered = 0;
  /** Node's `readableFlowing`: null (no consumer yet), true (flowing) or false (paused). */
  #flowing: boolean | null = null;
  #bits = 0;
  #decoder: ChunkDecoder | null = null;
  #pipes: Pipe[] = NO_PIPES;
  #wake: (() => void) | null = null;
  #error: Error | null = null;

  /** A stream whose events are emitted on `owner` (by default, on itself). */
  constructor(owner?: EventEmitter) {
    super();
    this.#owner = owner ?? this;
  }

  /** `null` until a reader chose a mode, then `true` while flowing, `false` while paused. */
  get readableFlowing(): boolean | null {
    return this.#flowing;
  }
  /** Bytes buffered and not yet read. */
  get readableLength(): number {
    return this.#buffered;
  }
  /** Always `false`: the stream is bytes. */
  get readableObjectMode(): boolean {
    return false;
  }
  /** The encoding given to `setEncoding()`, or `null`. */
  get readableEncoding(): string | null {
    return this.#decoder?.encoding ?? null;
  }
  /** True once any bytes were handed to a reader. */
  get readableDidRead(): boolean {
    return (this.#bits & DID_READ) !== 0;
  }
  /** True if the stream was destroyed or errored before `'end'`. */
  get readableAborted(): boolean {
    return (this.destroyed || this.#error !== null) && (this.#bits & END_EMITTED) === 0;
  }
  /** The error the stream was destroyed with, or `null`. */
  get errored(): Error | null {
    return this.#error;
  }
  /** The error the stream was destroyed with, or `null` (Node's alias of `errored`). */
  get readableErrored(): Error | null {
    return this.#error;
  }

  // ---- fed by the source ----------------------------------------------------------------

  /** @internal A chunk arrived. Returns false when the buffer is above the high-water mark. */
  _push(chunk: Uint8Array): boolean {
    if (this.destroyed || chunk.byteLength === 0) return true;
    if (this.#flowing && this.#buffered === 0 && (this.#bits & FLOW_SCHEDULED) === 0 && this.#owner.listenerCount("data") > 0) {
      this.#emitData(chunk);
      return true;
    }
    if (this.#buffer === NO_CHUNKS) this.#buffer = [];
    this.#buffer.push(chunk);
    this.#buffered += chunk.byteLength;
    this.#wakeUp();
    this.#announce();
    return this.#buffered < this.readableHighWaterMark;
  }

  /** @internal The source has no more bytes. */
  _pushEnd(): void {
    if ((this.#bits & ENDED) !== 0) return;
    this.#bits |= ENDED;
    this.#wakeUp();
    if (this.destroyed) return;
    this.#announce();
  }

  /** Bytes or the end arrived: flow them to 'data', or tell a 'readable' listener. */
  #announce(): void {
    if (this.#flowing) this.#scheduleFlow();
    else if ((this.#bits & READABLE_LISTENING) !== 0) this.#scheduleReadable();
  }

  // ---- for the owner --------------------------------------------------------------------

  /** @internal A reader took the buffer below the high-water mark: the source may read again. */
  _pull(): void {}

  /** @internal `'end'` was emitted. Node's `autoDestroy` is the owner's call. */
  _afterEnd(): void {}

  /**
   * @internal A reader left before the end: an async iterator returned early or a web stream
   * was cancelled. Node's `destroyer()` destroys the stream.
   */
  _abandon(error: Error): void {
    this._destroyState(error);
  }

  /** @internal Mark the stream destroyed: drop the buffer, keep the first error, wake a waiting iterator. */
  _destroyState(error: Error | null): void {
    this.destroyed = true;
    this.readable = false;
    if (error && !this.#error) this.#error = error;
    this.#buffer = NO_CHUNKS;
    this.#buffered = 0;
    this.#wakeUp();
  }

  /** @internal Drop what is buffered without telling the source. */
  _discardBuffered(): void {
    this.#buffer = NO_CHUNKS;
    this.#buffered = 0;
  }

  /** @internal Ended, closed and destroyed at once, with no `'data'`, `'end'` or `'close'`. */
  _closeUnread(): void {
    this.#bits |= ENDED | END_EMITTED | CLOSE_EMITTED;
    this.destroyed = true;
    this.readable = false;
    this.readableEnded = true;
  }

  /** @internal Emit `'close'` (once), marking the stream destroyed. */
  _emitClose(): void {
    if ((this.#bits & CLOSE_EMITTED) !== 0) return;
    this.#bits |= CLOSE_EMITTED;
    this.destroyed = true;
    this.readable = false;
    this.#owner.emit("close");
  }

  /**
   * @internal The owner got a listener: a `'data'` one starts the flow, a `'readable'` one
   * pauses it (Node's docs: "Adding a 'readable' event handler automatically makes the stream
   * stop flowing").
   */
  _listenerAdded(event: string | symbol): void {
    if (event === "data") {
      this.#setReadableListening(this.#owner.listenerCount("readable") > 0);
      if (this.#flowing !== false) this.resume();
    } else if (event === "readable" && (this.#bits & (END_EMITTED | READABLE_LISTENING)) === 0) {
      this.#bits |= READABLE_LISTENING;
      this.#flowing = false;
      this._consuming = true;
      if (this.#buffered > 0 || (this.#bits & ENDED) !== 0) this.#scheduleReadable();
    }
  }

  /** @internal The owner lost `'readable'` listeners (Node's `updateReadableListening`). */
  _readableListenersChanged(): void {
    defer(Readable.#readableListenersChanged, this);
  }

  // ---- Readable surface -----------------------------------------------------------------

  /** Listen for `event`; a `'data'` listener starts the flow, a `'readable'` one pauses it, as in Node. */
  override on(event: string | symbol, listener: Listener): this {
    super.on(event, listener);
    this._listenerAdded(event);
    return this;
  }
  /** The same as `on()`. */
  override addListener(event: string | symbol, listener: Listener): this {
    return this.on(event, listener);
  }
  /** Listen for `event` before the listeners already there, with `on()`'s effects. */
  override prependListener(event: string | symbol, listener: Listener): this {
    super.prependListener(event, listener);
    this._listenerAdded(event);
    return this;
  }
  /** Stop listening; removing the last `'readable'` listener lets `'data'` flow again. */
  override removeListener(event: string | symbol, listener: Listener): this {
    super.removeListener(event, listener);
    if (event === "readable") this._readableListenersChanged();
    return this;
  }
  /** The same as `removeListener()`. */
  override off(event: string | symbol, listener: Listener): this {
    return this.removeListener(event, listener);
  }
  /** Remove the listeners of `event` (or all), with `removeListener()`'s effect on `'readable'`. */
  override removeAllListeners(event?: string | symbol): this {
    super.removeAllListeners(event);
    if (event === "readable" || event === undefined) this._readableListenersChanged();
    return this;
  }

  /** Switch to flowing mode: buffered and future chunks are emitted as `'data'`. */
  resume(): this {
    if (!this.#flowing) {
      // Node's docs: "readable.resume() has no effect if there is a 'readable' event listener"
      // (it still emits 'resume').
      this.#flowing = (this.#bits & READABLE_LISTENING) === 0;
      this._consuming = true;
      this.#bits |= RESUME_EVENT;
      this.#scheduleFlow();
    }
    this.#bits &= ~PAUSED;
    return this;
  }

  /** Stop emitting `'data'` until `resume()`. */
  pause(): this {
    if (this.#flowing !== false) {
      this.#flowing = false;
      this.#owner.emit("pause");
    }
    this.#bits |= PAUSED;
    return this;
  }

  /** True after `pause()`, or while not flowing. */
  isPaused(): boolean {
    return (this.#bits & PAUSED) !== 0 || this.#flowing === false;
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
   * Take buffered bytes, as Node's `readable.read([size])`: all of them (the first chunk in
   * flowing mode) or exactly `size`, or `null` when that much is not buffered yet. The result
   * is also emitted as `'data'`. With an encoding set, `size` still counts bytes.
   */
  read(size?: number): Uint8Array | string | null {
    this._consuming = true;
    const ended = (this.#bits & ENDED) !== 0;
    if (size === 0) {
      if (ended && this.#buffered === 0) this.#scheduleEnd();
      else if (this.#buffered > 0 && (this.#bits & READABLE_LISTENING) !== 0) this.#scheduleReadable();
      return null;
    }
    if (this.#buffered === 0) {
      if (ended && !this.destroyed) {
        const tail = this.#tail();
        this.#scheduleEnd();
        if (tail) {
          this.#owner.emit("data", tail);
          return tail;
        }
      }
      return null;
    }
    let n: number;
    if (size === undefined || !(size > 0)) {
      n = this.#flowing ? this.#buffer[0].byteLength : this.#buffered;
    } else if (size > this.#buffered) {
      // Node's docs: null unless the stream has ended, then whatever is left.
      if (!ended) return null;
      n = this.#buffered;
    } else {
      n = size;
    }
    const bytes = this.#take(n);
    if (ended && this.#buffered === 0) this.#scheduleEnd();
    this.#bits |= DID_READ;
    const value = this.#decoder ? this.#decoder.write(bytes) : bytes;
    this.#owner.emit("data", value);
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
   * Send the stream to `dest`, honouring its backpressure (pause on `write() === false`, resume
   * on its `'drain'`), and `end()` it after the last chunk unless `{ end: false }`. Node's
   * `Readable.prototype.pipe`: several destinations at once, `'pipe'`/`'unpipe'` events,
   * unpiped when the destination closes, finishes or errors.
   */
  pipe<T extends PipeTarget>(dest: T, options?: { end?: boolean }): T {
    const src = this;
    const owner = this.#owner;
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
      if (readable === owner && info && info.hasUnpiped === false) {
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
      owner.removeListener("end", endFn);
      owner.removeListener("data", ondata);
      const i = src.#pipes.indexOf(pipe);
      if (i !== -1) src.#pipes.splice(i, 1);
      if (pipe.waiting) {
        pipe.waiting = false;
        src.#resumeIfDrained();
      }
    }

    dest.on?.("unpipe", onunpipe);
    if ((this.#bits & END_EMITTED) !== 0) defer(endFn);
    else owner.once("end", endFn);
    owner.on("data", ondata);
    if (dest.prependListener) dest.prependListener("error", onerror);
    else dest.on?.("error", onerror);
    dest.once?.("close", onclose);
    dest.once?.("finish", onfinish);
    dest.emit?.("pipe", owner);
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
    for (const p of targets) p.dest.emit?.("unpipe", this.#owner, { hasUnpiped: false });
    return this;
  }

  /**
   * Iterate over the chunks (Node's `readable.iterator()`). Leaving the loop early gives the
   * stream up (`_abandon()`) unless `destroyOnReturn` is false.
   */
  iterator(options?: { destroyOnReturn?: boolean }): AsyncIterableIterator<Uint8Array | string> {
    return this.#iterate(options?.destroyOnReturn !== false);
  }

  /** `for await (const chunk of stream)`: leaving the loop early gives the stream up. */
  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array | string> {
    return this.#iterate(true);
  }

  /**
   * The stream as a web `ReadableStream` of bytes, read only as fast as its consumer pulls
   * (Node's `Readable.toWeb()` needs `_readableState`, which this class does not have).
   * Cancelling the web stream gives this one up.
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
        if (!this.destroyed) this._abandon(reason instanceof Error ? reason : abortError());
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
          this.#bits |= DID_READ;
          if (!this.#decoder) {
            yield bytes;
            continue;
          }
          const s = this.#decoder.write(bytes);
          if (s) yield s;
          continue;
        }
        if (this.#error) throw this.#error;
        if ((this.#bits & END_EMITTED) !== 0 || ((this.#bits & ENDED) !== 0 && !this.destroyed)) {
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
        // when it had not finished).
        if (destroyOnReturn && !this.destroyed) this._abandon(abortError());
      }
    }
  }

  #setReadableListening(on: boolean): void {
    if (on) this.#bits |= READABLE_LISTENING;
    else this.#bits &= ~READABLE_LISTENING;
  }

  // Node's updateReadableListening.
  static #readableListenersChanged = (r: Readable): void => {
    const owner = r.#owner;
    const listening = owner.listenerCount("readable") > 0;
    r.#setReadableListening(listening);
    if (listening) return;
    const paused = (r.#bits & PAUSED) !== 0;
    if (owner.listenerCount("data") > 0 && !paused) r.resume();
    else if (!paused) r.#flowing = null;
  };

  #resumeIfDrained(): void {
    if (this.#pipes.some((p) => p.waiting)) return;
    if (this.#owner.listenerCount("data") > 0) {
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
    if (wasAbove && this.#buffered < this.readableHighWaterMark) defer(Readable.#pull, this);
    return out;
  }

  /** What the decoder still holds once the stream is over (taken once). */
  #tail(): string {
    if (!this.#decoder || (this.#bits & TAIL_TAKEN) !== 0) return "";
    this.#bits |= TAIL_TAKEN;
    return this.#decoder.end();
  }

  #emitData(chunk: Uint8Array): void {
    this.#bits |= DID_READ;
    if (!this.#decoder) {
      this.#owner.emit("data", chunk);
      return;
    }
    const s = this.#decoder.write(chunk);
    if (s) this.#owner.emit("data", s);
  }

  #scheduleFlow(): void {
    this.#scheduleOnce(FLOW_SCHEDULED, Readable.#flow);
  }

  /** Defer `task` unless it is already waiting (its `bit` set; the task clears it). */
  #scheduleOnce(bit: number, task: (r: Readable) => void): void {
    if ((this.#bits & bit) !== 0) return;
    this.#bits |= bit;
    defer(task, this);
  }

  // Deferred tasks take their stream as the argument: no closure per stream.
  static #flow = (r: Readable): void => {
    r.#bits &= ~FLOW_SCHEDULED;
    if ((r.#bits & RESUME_EVENT) !== 0) {
      r.#bits &= ~RESUME_EVENT;
      if (!r.destroyed) r.#owner.emit("resume");
    }
    while (r.#flowing && r.#buffered > 0 && !r.destroyed) {
      r.#emitData(r.#take(r.#buffer[0].byteLength));
    }
    if (r.#flowing && r.#buffered === 0 && (r.#bits & ENDED) !== 0 && !r.destroyed) {
      const tail = r.#tail();
      if (tail) r.#owner.emit("data", tail);
      r.#emitEnd();
    }
  };
  static #end = (r: Readable): void => r.#emitEnd();
  static #pull = (r: Readable): void => r._pull();

  #scheduleReadable(): void {
    this.#scheduleOnce(READABLE_SCHEDULED, Readable.#readable);
  }

  static #readable = (r: Readable): void => {
    r.#bits &= ~READABLE_SCHEDULED;
    if (r.destroyed || (r.#bits & END_EMITTED) !== 0) return;
    const ended = (r.#bits & ENDED) !== 0;
    if (r.#buffered > 0 || ended) r.#owner.emit("readable");
    // A 'readable' handler that read everything, or none at all at the end: Node ends the
    // stream when read() finds nothing left.
    if ((r.#bits & ENDED) !== 0 && r.#buffered === 0) r.#emitEnd();
  };

  #scheduleEnd(): void {
    defer(Readable.#end, this);
  }

  // Node's docs: "The 'end' event will not be emitted unless the data is completely consumed."
  #emitEnd(): void {
    if ((this.#bits & (END_EMITTED | ENDED)) !== ENDED || this.destroyed || this.#buffered > 0) return;
    this.#bits |= END_EMITTED;
    this.readableEnded = true;
    this.readable = false;
    this.#owner.emit("end");
    this._afterEnd();
  }

  #wakeUp(): void {
    const w = this.#wake;
    if (w) {
      this.#wake = null;
      w();
    }
  }
}
