/**
 * The response as the handler writes it: Node's `http.ServerResponse` surface.
 *
 * It owns: the outgoing header list and its validation, the status line, the framing decision
 * made when the head is built (Node's `_storeHeader` rules: Content-Length when `end(data)`
 * comes first, chunked for HTTP/1.1, close-delimited for HTTP/1.0, no body for HEAD / 1xx /
 * 204 / 304), the body writer, and `'finish'` / `'close'` / `'drain'`.
 *
 * It must not know: sockets or runtimes. It hands wire bytes to its {@link ResponseOwner} (the
 * connection), which decides when they may go out (responses are sent strictly in order).
 *
 * To Node code it is a `Writable` by duck typing, as Node's own `ServerResponse` is (that one
 * has no `_writableState` either): `write()` returning false and `'drain'`, `end()` with
 * `'finish'` then `'close'`, `writableEnded`/`writableFinished`/`writableNeedDrain`/
 * `writableLength`/`writableHighWaterMark`/`writableCorked`, `closed`, `errored`, `destroy()`.
 * That is what `Readable.prototype.pipe`, `stream.pipeline` and `finished()` look at. The
 * implicit head goes through `this.writeHead()` and `_header`/`_implicitHeader()` exist, as in
 * Node, because middleware (`on-headers`, `compression`) wraps `writeHead` to see the head go.
 * When a framework replaces the prototypes of a request and its response (Express does, per
 * request), the request puts our surface back above the framework's for both (`_surface.ts`).
 *
 * @module
 */

import { encodeHead, encodeHeadText, HeadDraft, type HeadParts, headText, shareHead, shortAscii } from "./_bytes.ts";
import { EventEmitter } from "./_events.ts";
import { type BodyWriter, bodyWriter, type Framing } from "./body-writers.ts";
import { LocalProtocolError, rangeError, typeError } from "./errors.ts";
import type { IncomingMessage } from "./incoming-message.ts";
import {
  chunkBytes,
  type HeaderValue,
  httpDate,
  lowerName,
  statusLine,
  validateHeaderName,
  validateHeaderValue,
} from "./serializer.ts";
import { SEND_ON, type SendState } from "./state.ts";
import * as rh from "./response-head.ts";
import { defer } from "./_tick.ts";

/** What a response needs from the connection that carries it. */
export interface ResponseOwner {
  /** Milliseconds since the epoch (the injected clock). */
  now(): number;
  /** Whether the connection may stay open after this response (request side's verdict). */
  readonly keepAlive: boolean;
  /** The server's options a response reads (the server itself, for a connection). */
  readonly options: ResponseSettings;
  /**
   * Queue wire bytes. Returns false above the transport's high-water mark. `chunks` is handed
   * over: the owner may keep and extend the array (callers pass arrays of their own making).
   */
  send(res: ServerResponse, chunks: Uint8Array[]): boolean;
  /** The response is complete; `close` says the connection must close after it. */
  finished(res: ServerResponse, close: boolean): void;
}

/** The server's options a response reads. */
export interface ResponseSettings {
  /** Server's `keepAliveTimeout` in ms (0: no `Keep-Alive` header). */
  readonly keepAliveTimeout: number;
  /** Server's `maxRequestsPerSocket` (0: none), advertised in `Keep-Alive: max=`. */
  readonly maxRequestsPerSocket: number;
  /** Buffered bytes above which `write()` returns false (the server's `highWaterMark`; 16 KiB). */
  readonly highWaterMark?: number;
  /** Throw on a body write to a response that has none (the server's option). */
  readonly rejectNonStandardBodyWrites?: boolean;
  /** Lower-cased names whose array values are joined with `; ` (the server's `uniqueHeaders`). */
  readonly uniqueHeaders?: ReadonlySet<string> | null;
}

/** Callback of `write()` / `end()`. */
export type WriteCallback = (error?: Error | null) => void;

/**
 * One header as Node stores it under `kOutHeaders`: the name as given and its value. The store
 * is Node's shape (a null-prototype object by lower-cased name) so that the runtime's own
 * `OutgoingMessage.prototype` header methods, which packages call on our responses, work on it
 * (see {@link shareOutgoingHeaders}).
 */
type Field = [name: string, value: HeaderValue];
type Fields = Record<string, Field>;


/**
 * What `writableHighWaterMark` reports without the server's `highWaterMark` option: Node 20's
 * default for sockets. The transport's own mark decides when `write()` returns false (the
 * server passes the option to it through `TcpHandle.setHighWaterMark`).
 */
const HIGH_WATER_MARK = 16 * 1024;

function bodyNotAllowed(): Error {
  return new LocalProtocolError(
    "ERR_HTTP_BODY_NOT_ALLOWED",
    "Cannot write a body: the request method or response status does not allow one",
  );
}

function destroyedError(): Error {
  return new LocalProtocolError("ERR_STREAM_DESTROYED", "Cannot call write after a stream was destroyed");
}

/**
 * An HTTP response being written by a request handler.
 *
 * @example
 * ```ts
 * import { createServer, createMemoryTransport } from "@anyhttp/anyhttp/core";
 * const transport = createMemoryTransport();
 * createServer({ transport }, (_req, res) => {
 *   res.setHeader("Content-Type", "text/plain");
 *   res.writeHead(201, { "X-Id": "7" });
 *   res.end("made");
 * }).listen(0);
 * ```
 */
/**
 * A first body chunk up to this size is copied behind the head (one write); larger ones are not
 * copied. 16 KiB: copying that much costs less than a second syscall or a writev.
 */
const JOIN_LIMIT = 16 * 1024;

/** The empty cork buffer, shared (replaced by an array of its own when something is corked). */
const NO_CHUNKS: Uint8Array[] = [];

// Scratch drafts for #buildHead (see there).
const drafts: HeadDraft[] = [];
let drafting = 0;

// The Keep-Alive value for the last (timeout, max) seen: the same string object every time, so
// consecutive heads compare equal part by part (see encodeHead).
let keepAliveFor = -1;
let keepAliveMax = -1;
let keepAliveText = "";
function keepAliveValue(timeoutMs: number, max: number): string {
  if (timeoutMs !== keepAliveFor || max !== keepAliveMax) {
    keepAliveFor = timeoutMs;
    keepAliveMax = max;
    keepAliveText = `timeout=${Math.floor(timeoutMs / 1000)}${max > 0 ? `, max=${max}` : ""}`;
  }
  return keepAliveText;
}

/** Node's `chunkExpression`: a `chunked` token in a list (TE of the request, TE of the response). */
const CHUNKED_TOKEN = /(?:^|\W)chunked(?:$|\W)/i;
/** Node's `RE_CONN_CLOSE`: a `close` token in a Connection field. */
const CLOSE_TOKEN = /(?:^|\W)close(?:$|\W)/i;

/** A `Date` field met while the head is built (beside the facts of response-head.ts). */
const HAS_DATE = 1 << 20;

/**
 * Store our responses' headers under `key`, the running runtime's own `kOutHeaders` symbol, so
 * that `node:http`'s `OutgoingMessage.prototype.setHeader` (and getHeader, appendHeader,
 * removeHeader, hasHeader, getHeaders) work when called on our responses. Packages do call them
 * so: `cookies` (under `cookie-session`) sets `Set-Cookie` with
 * `http.OutgoingMessage.prototype.setHeader.call(res, ...)` whenever `res.set` exists (Express).
 * Node, Deno and Bun all keep that store in the same shape, which is ours. The adapters pass
 * the symbol; the core cannot name it.
 *
 * @example
 * ```ts
 * import http from "node:http";
 * import { shareOutgoingHeaders } from "@anyhttp/anyhttp/core";
 * const key = Object.getOwnPropertySymbols(new http.OutgoingMessage())
 *   .find((s) => s.description === "kOutHeaders");
 * if (key) shareOutgoingHeaders(key);
 * ```
 */
export let shareOutgoingHeaders: (key: symbol) => void;

/**
 * The response to one request: Node's `http.ServerResponse`, written to the connection. The
 * server makes one per request and passes it to `'request'` listeners.
 *
 * @example
 * ```ts
 * import { createMemoryTransport, createServer } from "@anyhttp/anyhttp/core";
 * const server = createServer({ transport: createMemoryTransport() }, (_req, res) => {
 *   res.setHeader("Content-Type", "text/plain");
 *   res.end("ok");
 * });
 * server.listen(0, () => server.close());
 * ```
 */
export class ServerResponse extends EventEmitter {
  static {
    shareOutgoingHeaders = (key) => {
      Object.defineProperty(ServerResponse.prototype, key, {
        get(this: ServerResponse) {
          return this.#fields;
        },
        set(this: ServerResponse, fields: Fields | null) {
          this.#fields = fields;
        },
        configurable: true,
      });
    };
  }

  /** The status code to send (200 unless set). */
  statusCode = 200;
  /** The reason phrase; Node's table when not set. */
  statusMessage: string | undefined = undefined;
  /** Add a `Date` header when the handler did not set one. */
  sendDate = true;
  /** Throw when the body does not match a set `Content-Length` (Node's option). */
  strictContentLength = false;
  /** The request this response answers. */
  readonly req: IncomingMessage;
  /** True once the body was delimited with chunked encoding. */
  chunkedEncoding = false;
  /** Whether the connection may be reused after this response. */
  shouldKeepAlive: boolean;
  /** Chunked encoding for an unknown length (true for HTTP/1.1 peers, see constructor). */
  useChunkedEncodingByDefault: boolean;
  /**
   * Always `true`, as on Node's `OutgoingMessage` (a field it never clears). Node's
   * `finished()` relies on it: a response whose `writable` turned false before `'close'` would
   * count as finished when its client went away mid-response.
   */
  writable = true;
  /** `true` after `end()`. */
  writableEnded = false;
  /** `true` after `'finish'`. */
  writableFinished = false;
  /** True once `destroy()` was called or the connection closed. */
  destroyed = false;

  #owner: ResponseOwner;
  /** Node's `kOutHeaders`: headers set so far, by lower-cased name; null until one is set. */
  #fields: Fields | null = null;
  /** writeHead's array when no header was set before it: sent exactly as given. */
  #rawList: Field[] | null = null;
  /** writeHead's header object, when no header was set before (sent as given, not stored). */
  #rawObject: Record<string, HeaderValue> | null = null;
  #removed = 0;
  /** The head once built (Node's `_header`), as parts (see `encodeHead`). */
  #head: HeadParts | null = null;
  /** `#head` as text, once `_header` was read. */
  #headString: string | null = null;
  /** end()'s callback, called after 'finish'. */
  #endCallback: WriteCallback | null = null;
  /** SEND (state.ts): `waiting` until the head's bytes go out, `done` after `end()`. */
  #state: SendState = "waiting";
  #writer: BodyWriter | null = null;
  #framing: Framing = "close";
  #hasBody = true;
  #last = false;
  #contentLength: number | null = null;
  #bytesWritten = 0;
  #trailers = "";
  #needDrain = false;
  #closed = false;
  #corked = 0;
  #corkBuffer: Uint8Array[] = NO_CHUNKS;
  #corkBytes = 0;
  /** Bytes handed over since the transport last said it was full (cleared on drain). */
  #pendingBytes = 0;
  #socket: unknown;
  #closeEmitted = false;
  #error: Error | null = null;

  /** The response to `req`, written through `owner` (the connection); the server makes these. */
  constructor(req: IncomingMessage, owner: ResponseOwner) {
    super();
    this.req = req;
    this.#owner = owner;
    // Our own reference: Node's stream.pipeline sets `req.socket = null` on failure.
    this.#socket = req.socket;
    this.shouldKeepAlive = owner.keepAlive;
    if (req.method === "HEAD") this.#hasBody = false;
    // Node: an HTTP/1.0 peer gets chunked only if it announced `TE: chunked`.
    this.useChunkedEncodingByDefault = req.httpVersionMajor > 1 ||
      (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) ||
      CHUNKED_TOKEN.test(String(req.headers.te ?? ""));
  }

  /** True once the head was written (by `writeHead`, `flushHeaders` or the first write). */
  get headersSent(): boolean {
    return this.#head !== null;
  }
  /** Node's deprecated alias of `writableEnded`. */
  get finished(): boolean {
    return this.writableEnded;
  }
  /** The connection's socket-like object (`null` once the response is over, as in Node). */
  get socket(): unknown {
    return this.#closed ? null : this.#socket;
  }
  /** Node's deprecated alias of `socket`. */
  get connection(): unknown {
    return this.socket;
  }
  /** True after a `write()` returned `false`, until `'drain'`. */
  get writableNeedDrain(): boolean {
    return this.#needDrain;
  }
  /** How many `cork()` calls are not yet matched by `uncork()`. */
  get writableCorked(): number {
    return this.#corked;
  }
  /** Always `false`: the body is bytes. */
  get writableObjectMode(): boolean {
    return false;
  }
  /** The server's `highWaterMark` (16 KiB): corked bytes past it make `write()` return `false`. */
  get writableHighWaterMark(): number {
    return this.#owner.options.highWaterMark ?? HIGH_WATER_MARK;
  }
  /**
   * Bytes written but not yet known to be sent: those held by `cork()`, plus those handed to
   * the transport since it last reported being full. (Bytes the transport holds below its
   * high-water mark are not visible through the handle contract, so they are not counted.)
   */
  get writableLength(): number {
    return this.#corkBytes + this.#pendingBytes;
  }
  /** True once `'close'` was emitted. */
  get closed(): boolean {
    return this.#closeEmitted;
  }
  /** The error given to `destroy()`, or `null`. */
  get errored(): Error | null {
    return this.#error;
  }
  /** Node's name for the head once built (`null` before); middleware checks it. */
  get _header(): string | null {
    // Built on first read and kept: middleware checks it on every write.
    if (this.#head !== null && this.#headString === null) this.#headString = headText(this.#head);
    return this.#headString;
  }
  /** @internal The send half's state (`state.ts`). */
  get _sendState(): SendState {
    return this.#state;
  }

  // ---- headers --------------------------------------------------------------------------

  /** Set one header, replacing any value it had. */
  setHeader(name: string, value: HeaderValue): this {
    this.#assertHeadersNotSent("set");
    validateHeaderName(name);
    validateHeaderValue(name, value);
    (this.#fields ??= Object.create(null) as Fields)[lowerName(name)] = [name, value];
    return this;
  }

  /**
   * Add a value to a header, keeping the values it already has. As Node: a header not set yet
   * is set through `this.setHeader()`; otherwise its value becomes an array, pushed to.
   */
  appendHeader(name: string, value: HeaderValue): this {
    this.#assertHeadersNotSent("append");
    validateHeaderName(name);
    validateHeaderValue(name, value);
    const field = this.#fields?.[lowerName(name)];
    if (!field) return this.setHeader(name, value);
    if (!Array.isArray(field[1])) field[1] = [field[1] as string | number];
    const values = field[1] as (string | number)[];
    if (Array.isArray(value)) for (const v of value) values.push(v);
    else values.push(value as string | number);
    return this;
  }

  /** Set several headers from a `Headers` or `Map`. */
  setHeaders(headers: Headers | Map<string, HeaderValue>): this {
    this.#assertHeadersNotSent("set");
    if (typeof Headers !== "undefined" && headers instanceof Headers) {
      const cookies = headers.getSetCookie();
      for (const [k, v] of headers) if (k !== "set-cookie") this.setHeader(k, v);
      if (cookies.length) this.setHeader("set-cookie", cookies);
    } else if (headers instanceof Map) {
      for (const [k, v] of headers) this.setHeader(k, v);
    } else {
      throw typeError("ERR_INVALID_ARG_TYPE", `The "headers" argument must be a Headers or Map. Received ${typeof headers}`);
    }
    return this;
  }

  /** The value set for header `name` (any case), or `undefined`. */
  getHeader(name: string): HeaderValue | undefined {
    return this.#fields?.[lowerName(String(name))]?.[1];
  }
  /** Whether header `name` (any case) is set. */
  hasHeader(name: string): boolean {
    return this.#fields?.[lowerName(String(name))] !== undefined;
  }
  /** Unset header `name`; for `Connection`, `Content-Length`, `Transfer-Encoding` and `Date` the server no longer adds its own. */
  removeHeader(name: string): void {
    this.#assertHeadersNotSent("remove");
    const key = lowerName(String(name));
    // Node's _removedConnection / _removedContLen / _removedTE: removing one of these also
    // stops the server from adding it itself.
    switch (key) {
      case "connection":
        this.#removed |= rh.REMOVED_CONNECTION;
        break;
      case "content-length":
        this.#removed |= rh.REMOVED_LENGTH;
        break;
      case "transfer-encoding":
        this.#removed |= rh.REMOVED_TE;
        break;
      case "date":
        this.sendDate = false;
        break;
    }
    if (this.#fields !== null) delete this.#fields[key];
  }
  /** The names of the headers set, lower-cased. */
  getHeaderNames(): string[] {
    return this.#fields ? Object.keys(this.#fields) : [];
  }
  /** The names of the headers set, in the case they were set with. */
  getRawHeaderNames(): string[] {
    const out: string[] = [];
    if (this.#fields) for (const key in this.#fields) out.push(this.#fields[key][0]);
    return out;
  }
  /** The headers set, by lower-cased name (a null-prototype object, as Node's). */
  getHeaders(): Record<string, HeaderValue> {
    const out: Record<string, HeaderValue> = Object.create(null);
    if (this.#fields) for (const key in this.#fields) out[key] = this.#fields[key][1];
    return out;
  }

  // Node's own fields, which its OutgoingMessage.prototype methods read and set on us.
  /** Node's flag: `Connection` was removed, so the server must not add one. */
  get _removedConnection(): boolean {
    return (this.#removed & rh.REMOVED_CONNECTION) !== 0;
  }
  set _removedConnection(v: boolean) {
    this.#removed = v ? this.#removed | rh.REMOVED_CONNECTION : this.#removed & ~rh.REMOVED_CONNECTION;
  }
  /** Node's flag: `Content-Length` was removed, so the server must not add one. */
  get _removedContLen(): boolean {
    return (this.#removed & rh.REMOVED_LENGTH) !== 0;
  }
  set _removedContLen(v: boolean) {
    this.#removed = v ? this.#removed | rh.REMOVED_LENGTH : this.#removed & ~rh.REMOVED_LENGTH;
  }
  /** Node's flag: `Transfer-Encoding` was removed, so the server must not add one. */
  get _removedTE(): boolean {
    return (this.#removed & rh.REMOVED_TE) !== 0;
  }
  set _removedTE(v: boolean) {
    this.#removed = v ? this.#removed | rh.REMOVED_TE : this.#removed & ~rh.REMOVED_TE;
  }
  /** Bun's `OutgoingMessage.prototype.setHeader` asks this; our validation is strict. */
  _isLenientHeaderValidation(): boolean {
    return false;
  }

  /**
   * Set the status and headers: `writeHead(status[, message][, headers])`, headers as an
   * object, a flat `[name, value, ...]` array or an array of pairs.
   */
  writeHead(
    statusCode: number,
    message?: string | Record<string, HeaderValue> | readonly unknown[],
    headers?: Record<string, HeaderValue> | readonly unknown[],
  ): this {
    if (this.#head !== null) {
      throw new LocalProtocolError("ERR_HTTP_HEADERS_SENT", "Cannot write headers: headers already sent");
    }
    const code = Number(statusCode) | 0;
    if (!(code >= 100 && code <= 999)) {
      throw rangeError("ERR_HTTP_INVALID_STATUS_CODE", `Invalid status code: "${String(statusCode)}"`);
    }
    if (typeof message === "string") {
      if (/[^\t\x20-\x7e\x80-\xff]/.test(message)) {
        throw typeError("ERR_INVALID_CHAR", `Invalid character in statusMessage ["${message}"]`);
      }
      this.statusMessage = message;
    } else if (message !== undefined && headers === undefined) {
      headers = message;
    }
    this.statusCode = code;
    if (headers) this.#applyHeaders(headers);
    this.#buildHead();
    return this;
  }

  #applyHeaders(headers: Record<string, HeaderValue> | readonly unknown[]): void {
    if (Array.isArray(headers)) {
      const flat: unknown[] = headers.length && Array.isArray(headers[0]) ? headers.flat() : headers;
      if (flat.length % 2 !== 0) {
        throw typeError("ERR_INVALID_ARG_VALUE", "Cannot write headers: the header array has an odd length");
      }
      if (this.#fields === null) {
        // Node: with no header set before, writeHead's array is sent as given: its order, its
        // name case and its duplicates, line by line.
        const raw: Field[] = [];
        for (let i = 0; i < flat.length; i += 2) {
          if (!flat[i]) continue;
          const name = String(flat[i]);
          validateHeaderName(name);
          validateHeaderValue(name, flat[i + 1]);
          raw.push([name, flat[i + 1] as HeaderValue]);
        }
        this.#rawList = raw;
        return;
      }
      // Node 22: the array replaces the headers it names and keeps its own duplicates, through
      // the instance's removeHeader/appendHeader (which on-headers-style wrappers may replace).
      for (let i = 0; i < flat.length; i += 2) this.removeHeader(String(flat[i]));
      for (let i = 0; i < flat.length; i += 2) {
        if (flat[i]) this.appendHeader(String(flat[i]), flat[i + 1] as HeaderValue);
      }
    } else {
      const obj = headers as Record<string, HeaderValue>;
      if (this.#fields === null) {
        // Node's writeHead with no header set before writes the object's fields straight into
        // the head without storing them (getHeader() does not see them): no Map, no entries.
        // They are validated as the head is built (#collectHead), in the same pass, as Node's
        // _storeHeader does.
        this.#rawObject = obj;
        return;
      }
      for (const k of Object.keys(obj)) if (k) this.setHeader(k, obj[k]);
    }
  }

  /** Add trailer fields, sent after a chunked body (ignored for other framings, as in Node). */
  addTrailers(headers: Record<string, HeaderValue> | readonly [string, HeaderValue][]): void {
    const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
    for (const [name, value] of pairs) {
      validateHeaderName(name);
      validateHeaderValue(name, value);
      this.#trailers += `${name}: ${value}\r\n`;
    }
  }

  /** Send the head now, before any body (as Node: `_implicitHeader()`, then `_send("")`). */
  flushHeaders(): void {
    if (this.#head === null) this._implicitHeader();
    this._send("");
  }

  /**
   * Node's `_send`: bytes as given, behind the head if it was built and not sent yet, through
   * `this._writeRaw()`. No body framing: `write()` is the way to send a body.
   */
  _send(data: string | Uint8Array, encoding?: string | null | WriteCallback, callback?: WriteCallback): boolean {
    if (typeof encoding === "function") {
      callback = encoding;
      encoding = undefined;
    }
    let bytes = chunkBytes(data, encoding ?? undefined);
    if (this.#state === "waiting" && this.#head !== null) {
      this.#state = SEND_ON["write-head"].next(this.#state);
      bytes = bytes.byteLength ? encodeHead(this.#head, [bytes], bytes.byteLength) : encodeHead(this.#head);
    }
    return this._writeRaw(bytes, null, callback);
  }

  /**
   * Node's `_writeRaw`: bytes onto the connection as given. Every byte of the response goes
   * through it when it is replaced on the instance (a tracer's wrapper sees the wire).
   */
  _writeRaw(data: string | Uint8Array, encoding?: string | null | WriteCallback, callback?: WriteCallback): boolean {
    if (typeof encoding === "function") {
      callback = encoding;
      encoding = undefined;
    }
    const bytes = chunkBytes(data, encoding ?? undefined);
    const ok = bytes.byteLength === 0 ? !this.#needDrain : this.#emitWire([bytes], true);
    if (callback) defer(callback, null);
    return ok;
  }

  /** Node's `_finish`: `'prefinish'`, once `end()` handed over the last bytes. */
  _finish(): void {
    this.emit("prefinish");
  }

  /**
   * Node's `assignSocket`, for code that calls it: `res.socket` becomes `socket`, and
   * `'socket'` is emitted. (The server gives each response its connection when creating it.)
   */
  assignSocket(socket: unknown): void {
    this.#socket = socket;
    this.emit("socket", socket);
  }

  /** Node's `detachSocket`, called before `'finish'`: from then on `res.socket` is null. */
  detachSocket(_socket?: unknown): void {
    this.#socket = null;
  }

  /** Node's hook for a head nobody wrote: `writeHead(statusCode)`, through any wrapper. */
  _implicitHeader(): void {
    this.writeHead(this.statusCode);
  }

  // ---- body -----------------------------------------------------------------------------

  /**
   * Write a body chunk. Returns `false` when the connection is above its high-water mark;
   * wait for `'drain'` before writing more.
   */
  write(chunk: unknown, encoding?: string | null | WriteCallback, callback?: WriteCallback): boolean {
    if (typeof encoding === "function") {
      callback = encoding;
      encoding = undefined;
    }
    if (chunk === null) {
      throw typeError("ERR_STREAM_NULL_VALUES", "Cannot write: chunk is null");
    }
    if (this.writableEnded || this.destroyed) {
      this.#writeError(this.writableEnded ? this.#afterEnd() : destroyedError(), callback);
      return false;
    }
    const data = chunkBytes(chunk, encoding ?? undefined);
    if (this.#head === null) this._implicitHeader();
    // Node's write_: the head is built first, then a body write to a HEAD/204/304 throws.
    if (!this.#hasBody && this.#owner.options.rejectNonStandardBodyWrites) throw bodyNotAllowed();
    const ok = this.#writeBody(data);
    if (callback) defer(() => callback!(null));
    return ok;
  }

  #afterEnd(): Error {
    return new LocalProtocolError("ERR_STREAM_WRITE_AFTER_END", "Cannot write: the response has ended");
  }

  // Node's write_ on an ended or destroyed response: the callback gets the error; an ended
  // (not destroyed) response also emits it.
  #writeError(err: Error, callback?: WriteCallback): void {
    const emit = !this.destroyed;
    defer(() => {
      callback?.(err);
      // Node emits it before 'finish' and 'close'; ours runs after them, so a normal close
      // (finished) does not silence it, a destroy() does.
      if (emit && (!this.destroyed || this.writableFinished)) this.emit("error", err);
    });
  }

  /** Finish the response, optionally with a last chunk. */
  end(chunk?: unknown, encoding?: string | null | WriteCallback, callback?: WriteCallback): this {
    if (typeof chunk === "function") {
      callback = chunk as WriteCallback;
      chunk = undefined;
    } else if (typeof encoding === "function") {
      callback = encoding;
      encoding = undefined;
    }
    if (this.writableEnded) {
      if (chunk !== undefined && chunk !== null && chunk !== "") {
        this.#writeError(this.#afterEnd(), callback);
      } else if (callback) {
        if (!this.writableFinished) this.once("finish", () => callback!(null));
        else {
          const err = new LocalProtocolError("ERR_STREAM_ALREADY_FINISHED", "Cannot call end after a stream was finished");
          defer(() => callback!(err));
        }
      }
      return this;
    }
    if (this.destroyed) {
      // Node: the response counts as ended, but nothing is sent and 'finish' never comes.
      this.writableEnded = true;
      if (chunk !== undefined && chunk !== null) this.#writeError(destroyedError(), callback);
      return this;
    }
    // A short ASCII string (the usual `res.end("text")`) is kept as a string until it is known
    // whether it can be written straight behind the head (see #endWithHead).
    let text: string | null = null;
    let data: Uint8Array | undefined;
    if (typeof chunk === "string" && (encoding === undefined || encoding === null || encoding === "utf8") && shortAscii(chunk)) {
      text = chunk;
    } else if (chunk !== undefined && chunk !== null) {
      data = chunkBytes(chunk, (encoding as string | null | undefined) ?? undefined);
    }
    const size = text !== null ? text.length : data ? data.byteLength : 0;
    if (this.#head === null) {
      // Node: a body given whole to end() before the head gets an exact Content-Length.
      this.#contentLength = size;
      this._implicitHeader();
    }
    // Node's end(chunk) writes a truthy chunk through write_, which throws as write() does.
    if (chunk && !this.#hasBody && this.#owner.options.rejectNonStandardBodyWrites) throw bodyNotAllowed();
    if (this.strictContentLength && this.#framing === "length" && this.#contentLength !== null) {
      const total = this.#bytesWritten + (this.#hasBody ? size : 0);
      if (total !== this.#contentLength) throw this.#lengthMismatch(total);
    }
    this.writableEnded = true;
    if (text === null || !this.#endWithHead(text)) {
      if (text !== null) data = chunkBytes(text);
      const framed = data && this.#hasBody ? this.#frame(data) : NO_CHUNKS;
      const tail = this.#writer!.end(this.#framing === "chunked" ? this.#trailers : undefined);
      const wire = tail.length === 0 ? framed : framed.length === 0 ? tail : [...framed, ...tail];
      if (this.#state === "waiting") this.#sendHead(wire);
      else if (wire.length) this.#emitWire(wire);
    }
    this.#state = SEND_ON["write-end"].next(this.#state);
    if (this.#corked) {
      this.#corked = 0;
      this.#flushCork();
    }
    // Sent fewer bytes than the Content-Length promised: the peer would read the next
    // response as body, so the connection cannot be reused (RFC 9112 §6.3, item 5 for the
    // peer's side of the same rule).
    if (this.#framing === "length" && this.#contentLength !== null && this.#bytesWritten < this.#contentLength) {
      this.#last = true;
    }
    this._finish();
    this.#endCallback = callback ?? null;
    // Queued before the connection dumps the request: 'finish' and 'close' come before the
    // unread request's 'end', as on Node (its resOnFinish dumps it from 'finish').
    defer(ServerResponse.#finish, this);
    this.#owner.finished(this, this.#last || !this.shouldKeepAlive);
    return this;
  }

  // Deferred tasks take their response as the argument: no closure per response.
  static #finish = (res: ServerResponse): void => {
    res.writableFinished = true;
    // Node's resOnFinish, the first 'finish' listener, detaches the socket.
    res.detachSocket(res.#socket);
    res.emit("finish");
    const callback = res.#endCallback;
    res.#endCallback = null;
    callback?.(null);
    res._close();
  };

  /** Buffer writes until `uncork()` (or `end()`), then send them in one go. */
  cork(): void {
    this.#corked++;
  }
  /** Undo one `cork()`; the last one sends what was buffered. */
  uncork(): void {
    if (this.#corked > 0 && --this.#corked === 0) this.#flushCork();
  }

  /** Send `100 Continue` (RFC 9110 §10.1.1). */
  writeContinue(callback?: () => void): void {
    this.#informational();
    this._writeRaw("HTTP/1.1 100 Continue\r\n\r\n", "latin1", callback);
  }

  /** Send `102 Processing`. */
  writeProcessing(callback?: () => void): void {
    this.#informational();
    this._writeRaw("HTTP/1.1 102 Processing\r\n\r\n", "latin1", callback);
  }

  /**
   * Send `103 Early Hints` (RFC 8297). As Node: nothing is sent without a `link` hint; `Link`
   * comes first (an array joined with `, `), then the other hints as given.
   */
  writeEarlyHints(hints: Record<string, HeaderValue>, callback?: () => void): void {
    if (hints === null || typeof hints !== "object") {
      throw typeError("ERR_INVALID_ARG_TYPE", `The "hints" argument must be of type object. Received ${String(hints)}`);
    }
    const link = hints.link;
    if (link === undefined || link === null) return;
    const value = Array.isArray(link) ? link.join(", ") : String(link);
    validateHeaderValue("link", value);
    if (value.length === 0) return;
    let head = `HTTP/1.1 103 Early Hints\r\nLink: ${value}\r\n`;
    for (const [name, v] of Object.entries(hints)) {
      if (name === "link") continue;
      validateHeaderName(name);
      validateHeaderValue(name, v);
      head += `${name}: ${v}\r\n`;
    }
    this.#informational();
    this._writeRaw(head + "\r\n", "latin1", callback);
  }

  /** Abort the response and the connection (`'close'` follows when the connection is gone). */
  destroy(error?: Error | null): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    if (error) this.#error = error;
    const s = this.#socket as { destroy?: (e?: Error) => void } | null;
    s?.destroy?.(error ?? undefined);
    return this;
  }

  /** Node compatibility: a per-response timeout is the socket's. */
  setTimeout(ms: number, callback?: () => void): this {
    const s = this.#socket as { setTimeout?: (ms: number, cb?: () => void) => unknown } | null;
    s?.setTimeout?.(ms, callback);
    return this;
  }

  // ---- called by the connection ---------------------------------------------------------

  /** @internal The transport drained below its high-water mark. */
  _onDrain(): void {
    this.#pendingBytes = 0;
    if (this.#needDrain) {
      this.#needDrain = false;
      this.emit("drain");
    }
  }

  /** @internal The response is over (finished, or the connection died): emit `'close'` once. */
  _close(): void {
    if (this.#closed) return;
    // Ended and 'finish' is queued: 'close' follows it (the 'finish' task calls back here).
    if (this.writableEnded && !this.writableFinished && !this.destroyed) return;
    this.#closed = true;
    // Node's abortIncoming: the request of an unfinished response is aborted ('aborted'
    // before this 'close', its own 'close' after).
    if (!this.writableEnded) this.req._lost?.();
    // Node's emitCloseNT: 'close' at once (from the socket's 'close', or right after 'finish'),
    // and a closed response counts as destroyed, finished or not.
    this.destroyed = true;
    this.#closeEmitted = true;
    this.emit("close");
  }

  // ---- internals ------------------------------------------------------------------------

  #assertHeadersNotSent(action: string): void {
    if (this.#head !== null) {
      throw new LocalProtocolError(
        "ERR_HTTP_HEADERS_SENT",
        `Cannot ${action} headers after they are sent to the client`,
      );
    }
  }

  /** Before a 1xx response goes out: only while no head was built. */
  #informational(): void {
    if (this.#head !== null) {
      throw new LocalProtocolError("ERR_HTTP_HEADERS_SENT", "Cannot write an informational response: headers already sent");
    }
    this.#state = SEND_ON["write-informational"].next(this.#state);
  }

  #lengthMismatch(actual: number): Error {
    return new LocalProtocolError(
      "ERR_HTTP_CONTENT_LENGTH_MISMATCH",
      `Response body's content-length of ${actual} byte(s) does not match the content-length of ${this.#contentLength} byte(s) set in header`,
    );
  }

  /** Node's `_storeHeader`: the head text and the framing decision. */
  #buildHead(): void {
    const code = this.statusCode;
    if (!(code >= 100 && code <= 999) || code !== (code | 0)) {
      throw rangeError("ERR_HTTP_INVALID_STATUS_CODE", `Invalid status code: "${String(code)}"`);
    }
    // RFC 9110 §6.4.1: 1xx, 204 and 304 responses have no content.
    if (code === 204 || code === 304 || (code >= 100 && code <= 199)) this.#hasBody = false;
    // The connection may have lost keep-alive since this response was created.
    if (!this.#owner.keepAlive) this.shouldKeepAlive = false;
    // Parts are collected in a scratch array (one per nesting level: a header value's
    // toString() could build another response's head meanwhile), then shared or copied.
    const head = drafts[drafting] ??= new HeadDraft();
    drafting++;
    try {
      this.#collectHead(head, code);
    } finally {
      drafting--;
    }
    this.#head = shareHead(head);
    if (this.#last) this.shouldKeepAlive = false;
  }

  #collectHead(head: HeadDraft, code: number): void {
    head.begin(statusLine(code, this.statusMessage));
    // The facts of response-head.ts that the fields give (and HAS_DATE).
    let seen = 0;
    const obj = this.#rawObject;
    if (obj !== null) {
      try {
        for (const name in obj) {
          if (!name || !Object.hasOwn(obj, name)) continue;
          const value = obj[name];
          validateHeaderName(name);
          validateHeaderValue(name, value);
          seen |= this.#headLine(head, name, value);
        }
      } catch (err) {
        // As Node: headers that failed validation are not kept for a later head.
        this.#rawObject = null;
        throw err;
      }
    } else {
      const raw = this.#rawList;
      if (raw !== null) {
        for (const [name, value] of raw) seen |= this.#headLine(head, name, value);
      } else {
        const fields = this.#fields;
        if (fields !== null) for (const key in fields) seen |= this.#headLine(head, fields[key][0], fields[key][1]);
      }
    }
    // The rules are response-head.ts's; here the facts go in and the verdict is written out.
    let facts = seen | this.#removed;
    if (this.chunkedEncoding) facts |= rh.HAS_TE_CHUNKED;
    if (!this.#hasBody) facts |= rh.NO_BODY;
    if (this.useChunkedEncodingByDefault) facts |= rh.PEER_CHUNKED;
    if (this.#contentLength !== null) facts |= rh.LENGTH_KNOWN;
    if (this.shouldKeepAlive) facts |= rh.REUSABLE;
    const timeout = this.#owner.options.keepAliveTimeout;
    if (timeout) facts |= rh.ADVERTISE_TIMEOUT;
    const v = rh.responseHead(facts);
    this.#framing = rh.FRAMINGS[v & rh.FRAMING];
    if ((v & rh.CLOSES) !== 0) this.#last = true;
    if ((v & rh.ADD_CHUNKED) !== 0) this.chunkedEncoding = true;
    if ((facts & HAS_DATE) === 0 && this.sendDate) head.add("Date", httpDate(this.#owner.now()));
    if ((v & rh.SAY_KEEP_ALIVE) !== 0) {
      head.add("Connection", "keep-alive");
      if ((v & rh.SAY_TIMEOUT) !== 0) head.add("Keep-Alive", keepAliveValue(timeout, this.#owner.options.maxRequestsPerSocket));
    } else if ((v & rh.SAY_CLOSE) !== 0) {
      head.add("Connection", "close");
    }
    if ((v & rh.ADD_LENGTH) !== 0) head.add("Content-Length", `${this.#contentLength}`);
    else if ((v & rh.ADD_CHUNKED) !== 0) head.add("Transfer-Encoding", "chunked");
    if (this.#framing !== "length") this.#contentLength = null;
    this.#writer = bodyWriter(this.#framing);
  }

  /** One header field of the head being built: its line(s); returns what it tells _storeHeader (fact bits). */
  #headLine(parts: HeadDraft, name: string, value: HeaderValue): number {
    if (Array.isArray(value)) {
      // Node's processHeader: a `Cookie` list, or a list for a name in `uniqueHeaders`, is one
      // field line joined with `; `; any other list is a line per value.
      const unique = this.#owner.options.uniqueHeaders;
      if ((value.length > 1 && name.length === 6 && name.toLowerCase() === "cookie") ||
        (unique != null && unique.has(name.toLowerCase()))) {
        parts.add(name, value.join("; "));
      } else {
        for (const v of value) parts.add(name, `${v}`);
      }
    } else {
      parts.add(name, `${value}`);
    }
    const n = name.length;
    if (n !== 4 && n !== 7 && n !== 10 && n !== 14 && n !== 17) return 0;
    switch (lowerName(name)) {
      case "connection":
        return CLOSE_TOKEN.test(String(value)) ? rh.HAS_CONNECTION | rh.HAS_CLOSE : rh.HAS_CONNECTION;
      case "content-length":
        this.#contentLength = Number(value);
        return rh.HAS_LENGTH;
      case "transfer-encoding":
        if (CHUNKED_TOKEN.test(String(value))) this.chunkedEncoding = true;
        return rh.HAS_TE;
      case "date":
        return HAS_DATE;
      case "keep-alive":
        return rh.HAS_KEEP_ALIVE;
      case "trailer":
        return rh.HAS_TRAILER;
    }
    return 0;
  }

  #frame(data: Uint8Array): Uint8Array[] {
    if (this.#framing === "length" && this.#contentLength !== null) {
      const room = this.#contentLength - this.#bytesWritten;
      if (data.byteLength > room) {
        if (this.strictContentLength) throw this.#lengthMismatch(this.#bytesWritten + data.byteLength);
        // More bytes than Content-Length promised would be read as the next response
        // (response splitting): send what fits and close the connection afterwards.
        data = data.subarray(0, Math.max(0, room));
        this.#last = true;
      }
    }
    this.#bytesWritten += data.byteLength;
    return this.#writer!.write(data);
  }

  #writeBody(data: Uint8Array): boolean {
    if (!this.#hasBody) {
      if (this.#state === "waiting") this.#sendHead([]);
      return true;
    }
    const wire = this.#frame(data);
    if (this.#state === "waiting") return this.#sendHead(wire);
    if (wire.length === 0) return !this.#needDrain;
    return this.#emitWire(wire);
  }

  /**
   * end(text)'s path when `text` is the whole body after a head not yet sent (`shortAscii`):
   * the head and the text in one buffer, encoded there, with no bytes of the text's own and
   * no framing arrays. False, having done nothing, when it does not apply: the head went
   * already, or the body is chunked, not allowed, or past Content-Length. (Corking and a
   * replaced `_writeRaw` are #emitWire's, as for #sendHead.)
   */
  #endWithHead(text: string): boolean {
    if (this.#state !== "waiting" || !this.#hasBody) return false;
    const framing = this.#framing;
    if (framing === "length") {
      if (this.#contentLength === null || this.#bytesWritten + text.length > this.#contentLength) return false;
    } else if (framing !== "close") {
      return false;
    }
    this.#bytesWritten += text.length;
    this.#state = SEND_ON["write-head"].next(this.#state);
    // The bytes may be the last response's own (see encodeHeadText): only for our own
    // _writeRaw, as a replacement could write to what it is given.
    const own = this._writeRaw === ownWriteRaw;
    this.#emitWire([own ? encodeHeadText(this.#head!, text) : encodeHead(this.#head!, text, text.length)]);
    return true;
  }

  #sendHead(body: Uint8Array[]): boolean {
    if (this.#state !== "waiting") return this.#emitWire(body);
    this.#state = SEND_ON["write-head"].next(this.#state);
    // A small first body goes out in the head's buffer (one copy, one write); a large one
    // follows it as chunks of its own (the connection sends them as a writev).
    let size = 0;
    for (const c of body) size += c.byteLength;
    if (size <= JOIN_LIMIT) return this.#emitWire([encodeHead(this.#head!, body, size)]);
    return this.#emitWire([encodeHead(this.#head!), ...body]);
  }

  /** `raw`: from `_writeRaw` itself (otherwise a `_writeRaw` replaced on the instance gets them). */
  #emitWire(chunks: Uint8Array[], raw = false): boolean {
    let size = 0;
    for (const c of chunks) size += c.byteLength;
    if (this.#corked) {
      if (this.#corkBuffer === NO_CHUNKS) this.#corkBuffer = [];
      this.#corkBuffer.push(...chunks);
      this.#corkBytes += size;
      // As a corked Node socket: writes are held, and above the mark write() says wait.
      if (this.#corkBytes >= this.writableHighWaterMark) this.#needDrain = true;
      return !this.#needDrain;
    }
    if (!raw && this._writeRaw !== ownWriteRaw) {
      let ok = true;
      for (const c of chunks) ok = this._writeRaw(c);
      return ok;
    }
    const ok = this.#owner.send(this, chunks);
    if (!ok) this.#needDrain = true;
    if (this.#needDrain) this.#pendingBytes += size;
    return ok;
  }

  #flushCork(): void {
    const chunks = this.#corkBuffer;
    this.#corkBuffer = NO_CHUNKS;
    this.#corkBytes = 0;
    if (!chunks.length) return;
    const promised = this.#needDrain;
    // The transport decides afresh whether it is full.
    this.#needDrain = false;
    // One write: the connection joins small chunks into one buffer, or sends a writev.
    const ok = this.#emitWire(chunks);
    // write() returned false while corked: the transport took everything, so 'drain' is due now.
    if (ok && promised) {
      defer(() => {
        if (this.#needDrain || this.destroyed) return;
        this.emit("drain");
      });
    }
  }
}

// What #emitWire compares `this._writeRaw` with: a replacement on the instance gets the bytes.
const ownWriteRaw = ServerResponse.prototype._writeRaw;
