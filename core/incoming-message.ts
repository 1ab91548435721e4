/**
 * The request as the handler sees it: Node's `http.IncomingMessage` surface over bytes the
 * connection pushes in.
 *
 * It owns: the head fields (method, url, version, headers with Node's duplicate rules), the
 * trailers, `destroy()` and the `'aborted'`/`'error'`/`'close'` sequence, and what the
 * connection does to a request (`_abort`, `_lost`, `_dump`). The body's flow (`'data'`/`'end'`,
 * `pause`/`resume`/`read`/`'readable'`, `for await`, `setEncoding`, `pipe`/`unpipe`,
 * `toWeb()`) is the {@link Readable} it extends. It must not know: the parser, the response, or
 * any runtime. The connection feeds it through `_push`/`_pushEnd`/`_abort`/`_dump` and is told
 * through {@link MessageHooks} when the reader has drained the buffer (so it can resume
 * reading).
 *
 * It extends {@link Readable} rather than holding one: the stream's state then lives in the
 * request object itself, one allocation per request as before.
 *
 * Node streams interoperate by duck typing (see `readable.ts`); Node's utilities also look at
 * `_consuming`/`_dumped` and `aborted` to recognise a server request. No `_readableState`, so
 * `Readable.toWeb(req)` refuses the request; `req.toWeb()` is there. One consequence: Node's
 * `stream.finished(req)` attached between `'end'` and `'close'` (in an `'end'` listener)
 * reports a premature close, because without `_readableState` it cannot see that `'end'` came
 * first; attached before `'end'` or after `'close'`, it reports success.
 *
 * A framework that replaces the prototype (Express does, per request) first tells the request
 * its response (`req.res = res`); from then on `url` is an own accessor of that instance, which
 * notices the replacement and puts our surface back above the framework's (`_surface.ts`).
 *
 * @module
 */

import { type Listener } from "./_events.ts";
import { type PipeTarget, Readable } from "./readable.ts";
import { restoreSurface } from "./_surface.ts";
import { defer } from "./_tick.ts";

export type { PipeTarget };

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

// What a message has before the connection attaches its head (the parser's arrays): shared
// and frozen, so a constructed message costs no two empty arrays it will never keep.
const NO_FIELDS = Object.freeze([]) as unknown as string[];

const noHooks: MessageHooks = { pull() {}, destroy() {} };

/** What `destroy()` may ask of `req.socket`. */
interface SocketLike {
  destroyed?: boolean;
  destroy?(error?: Error): unknown;
  once?(event: string, listener: Listener): unknown;
  setTimeout?(ms: number, callback?: () => void): unknown;
}

function connReset(): Error {
  return Object.assign(new Error("aborted"), { code: "ECONNRESET" });
}

// Node emits a destroyed request's 'error' and 'close' from process.nextTick, after the
// response's 'close' (emitted synchronously when the socket closes). The response queues its
// 'close' as one microtask, so the request's come one hop later.
function afterResponse(fn: () => void): void {
  defer(() => defer(fn));
}

/** What the parser read of a request head (a `RequestParser` is one). */
export interface ParsedHead {
  /** The method, e.g. `"GET"`. */
  readonly method: string;
  /** The request-target. */
  readonly url: string;
  /** HTTP major version. */
  readonly versionMajor: number;
  /** HTTP minor version. */
  readonly versionMinor: number;
  /** Header names and values, alternating. */
  readonly rawHeaders: string[];
  /** Trailer names and values, alternating (filled in when the body ends). */
  readonly rawTrailers: string[];
}

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
export class IncomingMessage extends Readable {
  /** The request method, e.g. `"GET"`. */
  method = "";
  /**
   * The request-target as received. A plain field until a framework assigns `req.res`; then an
   * own accessor, whose reads notice that the framework replaced the prototype (see `res`).
   */
  url = "";
  /** HTTP major version of the request line. */
  httpVersionMajor = 1;
  /** HTTP minor version of the request line. */
  httpVersionMinor = 1;
  /** The HTTP version as `"major.minor"`. */
  httpVersion = "1.1";
  /** Header names and values, alternating, as received. */
  rawHeaders: string[] = NO_FIELDS;
  /** Trailer names and values of a chunked body, alternating, as received. */
  rawTrailers: string[] = NO_FIELDS;
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
  /** True once the response finished and the unread body was discarded (`_dump()`), as in Node. */
  _dumped = false;

  #joinDuplicates = false;
  #headers?: IncomingHeaders;
  #distinct?: Record<string, string[]>;
  #trailers?: IncomingHeaders;
  #hooks: MessageHooks = noHooks;
  /** Behind the `url` accessor, once there is one. */
  #url = "";
  /** What was assigned to `res` (Node has no such property; Express assigns it). */
  #res: unknown = undefined;
  /** The prototype of our class (or subclass), once the `url` accessor is installed. */
  #classProto: object | null = null;
  /** The prototype seen at the last `url` read (null: no accessor). */
  #home: object | null = null;
  /**
   * The response the framework linked (the first `req.res`) and its prototype then, before the
   * swap: restored along with this message.
   */
  #response: object | null = null;
  #responseProto: object | null = null;

  // Shared by every instance; functions in the class body may use its #fields.
  static #URL: PropertyDescriptor = {
    get(this: IncomingMessage): string {
      if (Object.getPrototypeOf(this) !== this.#home) {
        this.#home = restoreSurface(this, this.#classProto!);
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
  }

  /**
   * The response, as a framework links it: Express's `app.handle` (and Express 4's `init`
   * middleware) assign `req.res = res`, and only then swap both prototypes. That assignment
   * is where `url` becomes an own accessor (about 0.12 µs on V8: `Object.defineProperty` is a
   * runtime call), so requests no framework touches do not pay for it. A framework that swaps
   * the prototypes without assigning `req.res` first is not noticed; none we know of does.
   */
  get res(): unknown {
    return this.#res;
  }
  set res(res: unknown) {
    this.#res = res;
    if (this.#home !== null) return;
    // This setter runs only while our class's prototype is this instance's (an assignment
    // after a swap lands in the framework's chain, which has no `res`): it is the one to keep.
    this.#url = this.url;
    this.#classProto = this.#home = Object.getPrototypeOf(this) as object;
    if (typeof res === "object" && res !== null) {
      this.#response = res;
      this.#responseProto = Object.getPrototypeOf(res) as object;
    }
    Object.defineProperty(this, "url", IncomingMessage.#URL);
  }

  /**
   * @internal Fill in what the parser read of the head, and wire the message to its
   * connection. `head.rawTrailers` is shared: the parser fills it in if a chunked body ends
   * with trailers.
   */
  _attach(head: ParsedHead, hooks: MessageHooks, joinDuplicates: boolean, highWaterMark: number): void {
    this.method = head.method;
    this.url = head.url;
    const major = head.versionMajor;
    const minor = head.versionMinor;
    this.httpVersionMajor = major;
    this.httpVersionMinor = minor;
    this.httpVersion = major === 1 && minor === 1 ? "1.1" : `${major}.${minor}`;
    this.rawHeaders = head.rawHeaders;
    this.rawTrailers = head.rawTrailers;
    this.readableHighWaterMark = highWaterMark;
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

  // ---- fed by the connection ------------------------------------------------------------

  /** @internal A body chunk arrived. Returns false when the buffer is above the high-water mark. */
  override _push(chunk: Uint8Array): boolean {
    if (this._dumped) return true;
    return super._push(chunk);
  }

  /** @internal The body is complete. */
  override _pushEnd(): void {
    this.complete = true;
    super._pushEnd();
  }

  /**
   * @internal The connection died before the body was complete (Node's `abortIncoming`):
   * `'aborted'` now, then `'error'` (only if someone listens, as in Node) and `'close'`.
   */
  _abort(): void {
    if (this.destroyed) return;
    IncomingMessage.#destroy(this, connReset(), false);
  }

  /**
   * @internal The connection died while the response was unfinished. As in Node, a request
   * that was not read to its end is aborted; one that was is already closed.
   */
  _lost(): void {
    if (this.destroyed) return;
    IncomingMessage.#destroy(this, connReset(), false);
  }

  /**
   * @internal The response finished: discard whatever body is left (Node's `_dump`: drop
   * `'data'` listeners and let the rest flow away, so `'end'` and `'close'` still come).
   * Returns true if the body was already complete.
   */
  _dump(): boolean {
    if (!this._dumped) {
      this._dumped = true;
      this._discardBuffered();
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
    this._closeUnread();
  }

  /** @internal The reader drained the body buffer: the connection may read again. */
  override _pull(): void {
    this.#hooks.pull();
  }

  /**
   * @internal Node's autoDestroy: 'close' follows 'end', two ticks later (destroy, then its
   * callback), so a response ended from an 'end' listener gets its 'finish' and 'close' in first.
   */
  override _afterEnd(): void {
    defer(IncomingMessage.#closeLater, this);
  }

  /**
   * @internal A reader left early (`for await` broken off, `toWeb()` cancelled). As Node's
   * `destroyer()` does for a server request, the socket is detached first: the connection is
   * kept so the response can still be sent.
   */
  override _abandon(error: Error): void {
    IncomingMessage.#destroy(this, error, false);
  }

  // ---- Readable surface -----------------------------------------------------------------

  /**
   * Tear the message down, as Node's `IncomingMessage#destroy`: a message not read to its end
   * is `aborted` (`'aborted'` at once) and its socket, and so the connection, is destroyed;
   * then `'error'` (only if someone listens) and `'close'`. With `req.socket` set to `null`
   * first (what `stream.pipeline` does on failure), the connection is left to answer.
   */
  destroy(error?: Error | null): this {
    if (this.destroyed) return this;
    IncomingMessage.#destroy(this, error ?? null, true);
    return this;
  }

  /** Node compatibility: a per-message timeout is the socket's. */
  setTimeout(ms: number, callback?: () => void): this {
    (this.socket as SocketLike | null)?.setTimeout?.(ms, callback);
    return this;
  }

  // ---- internals ------------------------------------------------------------------------

  /**
   * The one teardown path. `killSocket`: destroy `req.socket` as Node's `_destroy` does (user
   * `destroy()`); false when the connection is already gone or must be kept. Static: a
   * `#private` instance method would give every request a brand field.
   */
  static #destroy(msg: IncomingMessage, error: Error | null, killSocket: boolean): void {
    msg._destroyState(error);
    // Node's IncomingMessage#_destroy.
    if (!msg.readableEnded || !msg.complete) {
      msg.aborted = true;
      msg.emit("aborted");
    }
    const finish = () =>
      afterResponse(() => {
        if (error && msg.listenerCount("error") > 0) msg.emit("error", error);
        msg._emitClose();
      });
    const socket = msg.socket as SocketLike | null;
    if (killSocket && msg.aborted && socket && !socket.destroyed) {
      // Node: the request's 'error' and 'close' follow the socket's 'close'.
      if (typeof socket.once === "function") socket.once("close", finish);
      else finish();
      if (typeof socket.destroy === "function") socket.destroy(error ?? undefined);
      else msg.#hooks.destroy(error ?? undefined);
    } else {
      finish();
    }
  }

  static #close = (msg: IncomingMessage): void => msg._emitClose();
  static #closeLater = (msg: IncomingMessage): void => defer(IncomingMessage.#close, msg);
}
