/**
 * The socket-like object that `req.socket`, `res.socket` and the `'connection'` /
 * `'clientError'` events hand to user code: Node's `net.Socket` surface over a
 * {@link TcpHandle}, for the parts HTTP code uses (addresses, `setTimeout`, `setNoDelay`,
 * `setKeepAlive`, `write`/`end` of raw bytes, `destroy`, `'close'`).
 *
 * After an upgrade hand-off without a {@link HandOff} factory it is also the listener's
 * readable stream: a {@link Readable} made at the hand-off carries the bytes with Node's
 * semantics (`'data'`/`'end'`, `pause`/`resume`, `read()`/`'readable'`, `for await`, `pipe`),
 * and its buffer's high-water mark pauses the transport. An HTTP socket never makes one.
 *
 * It must not know HTTP. What it may do to the connection is limited to {@link SocketHooks}.
 *
 * @module
 */

import { EventEmitter, type Listener } from "./_events.ts";
import { type PipeTarget, Readable } from "./readable.ts";
import { chunkBytes } from "./serializer.ts";
import type { TcpHandle, TlsSession } from "./transport.ts";
import { defer } from "./_tick.ts";

/**
 * What the connection lets its socket do. Method names that say "socket", so that the
 * connection itself can be the hooks object (no closures per connection).
 */
export interface SocketHooks {
  /** Write raw bytes (used by `clientError` handlers and upgrades). */
  socketWrite(chunk: Uint8Array): boolean;
  /** Flush, FIN, close (`socket.end()`). */
  socketEnd(): void;
  /** Close at once (`socket.destroy()`). */
  destroy(error?: Error): void;
  /** Arm or disarm the idle timeout (0 disarms). */
  socketSetTimeout(ms: number): void;
  /** Stop reading from the peer until `socketResume()` (`socket.pause()`). */
  socketPause(): void;
  /** Read from the peer again. */
  socketResume(): void;
  /** Every byte read from the peer on this connection. */
  readonly bytesRead: number;
  /** Every byte handed to the transport on this connection. */
  readonly bytesWritten: number;
  /** The server's `highWaterMark`: the hand-off socket's buffer limit, as a request body's. */
  readonly highWaterMark?: number;
}

/**
 * The socket an `'upgrade'` or `'connect'` listener gets when the server was given a
 * {@link HandOff} factory (the `handOff` option of `createServer`): from the hand-off on, the connection feeds it
 * instead of the core {@link Socket}. The runtime entry points pass one built on the runtime's
 * `node:stream` Duplex, so Node stream code and libraries that read stream state (`ws`,
 * `http-proxy`, `stream.pipeline`) see a real duplex stream.
 */
export interface HandOffSocket {
  /** Bytes arrived from the peer. */
  _onData(chunk: Uint8Array): void;
  /** The peer half-closed. */
  _onEnd(): void;
  /** The transport took everything queued (after a write that returned false). */
  _onDrain(): void;
  /** The idle timeout set through the core socket's {@link Socket.setTimeout} elapsed. */
  _onTimeout(): void;
  /** The connection is gone; `error` when it died abnormally. */
  _onClose(error?: Error): void;
}

/**
 * Builds the hand-off socket over a connection's core socket (see {@link HandOffSocket}).
 *
 * @example
 * ```ts
 * import type { HandOff } from "@anyhttp/anyhttp/core";
 * // The core socket itself, as when no factory is given.
 * const same: HandOff = (socket) => socket;
 * ```
 */
export type HandOff = (socket: Socket) => HandOffSocket;

/**
 * A connection as user code sees it.
 *
 * @example
 * ```ts
 * import { createServer, createMemoryTransport } from "@anyhttp/anyhttp/core";
 * const transport = createMemoryTransport();
 * createServer({ transport }, (req, res) => {
 *   const s = req.socket as { remoteAddress?: string };
 *   res.end(`hello ${s.remoteAddress}`);
 * }).listen(0);
 * ```
 */
export class Socket extends EventEmitter implements HandOffSocket {
  #handle: TcpHandle;
  #hooks: SocketHooks;
  // The next four start as defaults on the prototype (below), becoming own properties only
  // when set: most sockets never change them, and each own field is 8 bytes of every idle
  // keep-alive connection.
  /** True once the connection is closed. */
  declare destroyed: boolean;
  /** Milliseconds of inactivity before `'timeout'` (0: none). */
  declare timeout: number;
  /** Node sets this on sockets handed to `'upgrade'`/`'connect'`; kept for compatibility. */
  declare parser: unknown;
  /** @internal The socket handed to an `'upgrade'`/`'connect'` listener, once there is one. */
  declare _stream: HandOffSocket | null;
  /** @internal This socket's readable side, made when it is itself the hand-off socket. */
  declare _reader: SocketReader | null;
  /** The server that accepted the connection (set by the server). */
  server: unknown = null;

  /** The socket of one connection (the connection makes it). */
  constructor(handle: TcpHandle, hooks: SocketHooks) {
    super();
    this.#handle = handle;
    this.#hooks = hooks;
  }

  /** The peer's address, e.g. `"127.0.0.1"`. */
  get remoteAddress(): string | undefined {
    return this.#handle.remoteAddress;
  }
  /** The peer's port. */
  get remotePort(): number | undefined {
    return this.#handle.remotePort;
  }
  /** `"IPv4"` or `"IPv6"`. */
  get remoteFamily(): string | undefined {
    return this.#handle.remoteFamily;
  }
  /** The address the connection arrived on. */
  get localAddress(): string | undefined {
    return this.#handle.localAddress;
  }
  /** The port the connection arrived on. */
  get localPort(): number | undefined {
    return this.#handle.localPort;
  }
  /**
   * `true` on TLS transports, absent otherwise (as Node's `TLSSocket#encrypted`). Writable, as
   * on Node: a proxy-aware app sets it so that Express's `req.protocol` says `https`.
   */
  get encrypted(): boolean | undefined {
    return this.#handle.encrypted || undefined;
  }
  set encrypted(value: boolean | undefined) {
    // An own data property in front of the accessor: no field in sockets that never set it.
    Object.defineProperty(this, "encrypted", { value, writable: true, enumerable: true, configurable: true });
  }
  /** Bytes received on this connection (request heads and bodies included). */
  get bytesRead(): number {
    return this.#hooks.bytesRead;
  }
  /** Bytes sent on this connection (responses and raw writes). */
  get bytesWritten(): number {
    return this.#hooks.bytesWritten;
  }
  /** True until the connection is closed. */
  get writable(): boolean {
    return !this.destroyed;
  }
  /** True until the connection is closed, or after a hand-off until `'end'`. */
  get readable(): boolean {
    return !this.destroyed && (this._reader?.readable ?? true);
  }

  /** Node's `socket.address()`. */
  address(): { address?: string; port?: number; family?: string } {
    return {
      address: this.#handle.localAddress,
      port: this.#handle.localPort,
      family: this.#handle.remoteFamily,
    };
  }

  /** Write raw bytes to the peer (bypassing HTTP framing). */
  write(chunk: unknown, encoding?: string | null | (() => void), callback?: () => void): boolean {
    if (typeof encoding === "function") {
      callback = encoding;
      encoding = undefined;
    }
    if (this.destroyed) return false;
    const bytes = chunkBytes(chunk, encoding ?? undefined);
    const ok = this.#hooks.socketWrite(bytes);
    if (callback) defer(callback);
    return ok;
  }

  /** Optionally write raw bytes, then close the connection after flushing. */
  end(chunk?: unknown, encoding?: string | null | (() => void), callback?: () => void): this {
    if (typeof chunk === "function") {
      callback = chunk as () => void;
      chunk = undefined;
    }
    if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
    this.#hooks.socketEnd();
    if (callback) defer(callback);
    return this;
  }

  /** Close the connection now. */
  destroy(error?: Error): this {
    if (!this.destroyed) this.#hooks.destroy(error);
    return this;
  }
  /** Node's `destroySoon()`: close after pending writes. */
  destroySoon(): void {
    this.#hooks.socketEnd();
  }

  /** Emit `'timeout'` after `ms` of inactivity (0 disables); `callback` is a one-off listener. */
  setTimeout(ms: number, callback?: () => void): this {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`The value of "msecs" is out of range. It must be a non-negative finite number. Received ${ms}`);
    }
    this.timeout = ms;
    if (callback) {
      if (ms === 0) this.removeListener("timeout", callback);
      else this.once("timeout", callback);
    }
    this.#hooks.socketSetTimeout(ms);
    return this;
  }

  /** Disable (or with `false` enable) Nagle's algorithm, where the transport allows. */
  setNoDelay(noDelay = true): this {
    this.#handle.setNoDelay?.(noDelay);
    return this;
  }

  /** TCP keep-alive probes, where the transport offers them. */
  setKeepAlive(enable = false, initialDelay = 0): this {
    this.#handle.setKeepAlive?.(enable, initialDelay);
    return this;
  }

  /**
   * Stop reading from the peer (held with the connection's own reasons to pause). After a
   * hand-off without a factory, as Node's `readable.pause()`: no more `'data'`; bytes are
   * buffered until the high-water mark, which then stops reading from the peer.
   */
  pause(): this {
    const r = Socket.#reader(this);
    if (r !== null) r.pause();
    else this.#hooks.socketPause();
    return this;
  }
  /** Read from the peer again, once the connection has no reason of its own to wait; after a hand-off, flow again. */
  resume(): this {
    const r = Socket.#reader(this);
    if (r !== null) r.resume();
    else this.#hooks.socketResume();
    return this;
  }
  /** Let this connection keep the process alive (the default). */
  ref(): this {
    this.#handle.ref?.();
    return this;
  }
  /** Let the process exit while this connection is open. */
  unref(): this {
    this.#handle.unref?.();
    return this;
  }
  /** Node compatibility: writes already leave in batches, so this holds nothing. */
  cork(): void {}
  /** Node compatibility (see `cork()`). */
  uncork(): void {}

  // ---- readable side: only after a hand-off without a factory (see Readable) -------------

  /** Listen for `event`; after a hand-off, a `'data'` listener starts the flow, as in Node. */
  override on(event: string | symbol, listener: Listener): this {
    super.on(event, listener);
    Socket.#listenerAdded(this, event);
    return this;
  }
  /** Listen for `event` before the listeners already there, with `on()`'s effects. */
  override prependListener(event: string | symbol, listener: Listener): this {
    super.prependListener(event, listener);
    Socket.#listenerAdded(this, event);
    return this;
  }
  /** Stop listening; after a hand-off, removing the last `'readable'` listener lets `'data'` flow again. */
  override removeListener(event: string | symbol, listener: Listener): this {
    super.removeListener(event, listener);
    if (event === "readable") this._reader?._readableListenersChanged();
    return this;
  }
  /** Remove the listeners of `event` (or all), with `removeListener()`'s effect on `'readable'`. */
  override removeAllListeners(event?: string | symbol): this {
    super.removeAllListeners(event);
    if (event === "readable" || event === undefined) this._reader?._readableListenersChanged();
    return this;
  }
  /** `null` until a reader chose a mode, then `true` while flowing, `false` while paused. */
  get readableFlowing(): boolean | null {
    return this._reader?.readableFlowing ?? null;
  }
  /** Bytes received after the hand-off and not yet read. */
  get readableLength(): number {
    return this._reader?.readableLength ?? 0;
  }
  /** True once `'end'` was emitted (after a hand-off, when the peer half-closed and everything was read). */
  get readableEnded(): boolean {
    return this._reader?.readableEnded ?? false;
  }
  /** True after `pause()`, or while not flowing (after a hand-off). */
  isPaused(): boolean {
    return Socket.#reader(this)?.isPaused() ?? false;
  }
  /** Decode chunks to strings (Node's encoding names); after a hand-off only. */
  setEncoding(encoding: string): this {
    Socket.#mustRead(this).setEncoding(encoding);
    return this;
  }
  /** Take buffered bytes, as Node's `readable.read([size])`; `null` before a hand-off. */
  read(size?: number): Uint8Array | string | null {
    return Socket.#reader(this)?.read(size) ?? null;
  }
  /** Put bytes back at the front of the buffer (Node's `unshift`); after a hand-off only. */
  unshift(chunk: Uint8Array | string): void {
    Socket.#mustRead(this).unshift(chunk);
  }
  /** Send what the peer sends to `dest`, with its backpressure (Node's `pipe`); after a hand-off only. */
  pipe<T extends PipeTarget>(dest: T, options?: { end?: boolean }): T {
    return Socket.#mustRead(this).pipe(dest, options);
  }
  /** Stop piping to `dest` (or to every destination). */
  unpipe(dest?: PipeTarget): this {
    this._reader?.unpipe(dest);
    return this;
  }
  /** `for await (const chunk of socket)` after a hand-off; leaving the loop early destroys the socket. */
  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array | string> {
    return Socket.#mustRead(this)[Symbol.asyncIterator]();
  }

  // Static, not #private instance methods: those would give every socket a brand field.

  /** The readable side: made at the first use after a hand-off to this socket itself, else null. */
  static #reader(s: Socket): SocketReader | null {
    let r = s._reader;
    if (r === null && s._stream === s) {
      r = s._reader = new SocketReader(s, s.#hooks);
      // Listeners added before the hand-off count, as they would on a net.Socket.
      if (s.listenerCount("readable") > 0) r._listenerAdded("readable");
      if (s.listenerCount("data") > 0) r._listenerAdded("data");
    }
    return r;
  }

  static #mustRead(s: Socket): SocketReader {
    const r = Socket.#reader(s);
    if (r === null) throw new Error("Cannot read the socket: HTTP reads it until an 'upgrade' or 'connect' hand-off");
    return r;
  }

  static #listenerAdded(s: Socket, event: string | symbol): void {
    const r = s._reader;
    if (r !== null) r._listenerAdded(event);
    else if (s._stream === s) Socket.#reader(s);
  }

  // ---- HandOffSocket: without a factory, the core socket is what upgrade listeners get ----

  /** @internal */
  _onData(chunk: Uint8Array): void {
    const r = Socket.#reader(this);
    if (r !== null && !r._push(chunk)) this.#hooks.socketPause();
  }
  /** @internal */
  _onEnd(): void {
    Socket.#reader(this)?._pushEnd();
  }
  /** @internal */
  _onDrain(): void {
    this.emit("drain");
  }
  /** @internal */
  _onTimeout(): void {
    this.emit("timeout");
  }
  /** @internal */
  _onClose(error?: Error): void {
    this._closed(error !== undefined);
  }

  /** @internal The connection closed. */
  _closed(hadError: boolean): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this._reader?._destroyState(null);
    this.emit("close", hadError);
  }
}

Object.assign(Socket.prototype, { destroyed: false, timeout: 0, parser: null, _stream: null, _reader: null });

/**
 * The readable side of a core socket that is its own hand-off socket: a {@link Readable} whose
 * events are the socket's, fed by `_onData`/`_onEnd`, resuming the transport through the
 * socket's hooks.
 */
class SocketReader extends Readable {
  #socket: Socket;
  #hooks: SocketHooks;

  constructor(socket: Socket, hooks: SocketHooks) {
    super(socket);
    this.#socket = socket;
    this.#hooks = hooks;
    this.readableHighWaterMark = hooks.highWaterMark ?? this.readableHighWaterMark;
  }

  /** @internal The buffer fell below the high-water mark: read from the peer again. */
  override _pull(): void {
    this.#hooks.socketResume();
  }

  // No _afterEnd: the peer's FIN does not end our side (node:http's sockets are allowHalfOpen).

  /** @internal Node's `destroyer()`: a reader leaving early destroys the socket. */
  override _abandon(error: Error): void {
    this.#socket.destroy(error);
  }
}

/**
 * The socket of a connection over a TLS transport: {@link Socket} plus the members of
 * node:tls's `TLSSocket` that HTTP code reads (`authorized`, `getPeerCertificate()`, ...), each
 * answered from the transport's {@link TlsSession}. Where the runtime cannot tell, the answer is
 * node:tls's for "nothing known": `{}` for the peer certificate, `null` for protocol and cipher.
 *
 * @example
 * ```ts
 * import { TlsSocket } from "@anyhttp/anyhttp/core";
 * const isTls = (s: unknown) => s instanceof TlsSocket;
 * console.log(isTls({})); // false
 * ```
 */
export class TlsSocket extends Socket {
  #tls: TlsSession;

  /** The socket of one TLS connection (the connection makes it). */
  constructor(handle: TcpHandle & { readonly tls: TlsSession }, hooks: SocketHooks) {
    super(handle, hooks);
    this.#tls = handle.tls;
  }

  /** Whether the peer's certificate was signed by a trusted CA (with `requestCert`). */
  get authorized(): boolean {
    return this.#tls.authorized ?? false;
  }
  /** Why the peer's certificate was not trusted, when it was not. */
  get authorizationError(): Error | string | null | undefined {
    return this.#tls.authorizationError ?? undefined;
  }
  /** The protocol ALPN settled (`"http/1.1"`), or `false`. */
  get alpnProtocol(): string | false {
    return this.#tls.alpnProtocol || false;
  }
  /** The SNI name the client asked for, or `false`. */
  get servername(): string | false {
    return this.#tls.servername || false;
  }
  /** The peer's certificate as node:tls describes it; `{}` when there is none (or none known). */
  getPeerCertificate(detailed?: boolean): object {
    return this.#tls.getPeerCertificate?.(detailed) ?? {};
  }
  /** `"TLSv1.3"` and the like; `null` where the runtime does not tell. */
  getProtocol(): string | null {
    return this.#tls.getProtocol?.() ?? null;
  }
  /** The cipher in use; `null` where the runtime does not tell. */
  getCipher(): object | null {
    return this.#tls.getCipher?.() ?? null;
  }
}
