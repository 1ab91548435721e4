/**
 * The socket `'upgrade'` and `'connect'` listeners get: the runtime's own `node:stream`
 * Duplex over a connection's core {@link Socket}, with `net.Socket`'s surface on top.
 *
 * Libraries that take over an upgraded connection are written against `net.Socket`: `ws` reads
 * `socket._readableState.endEmitted` and calls `socket.read()` when the socket closes,
 * `http-proxy` and the CONNECT tunnel in Node's docs `pipe()` it both ways, and
 * `stream.pipeline` and `finished()` trust every field of `_readableState`/`_writableState`.
 * Writing that state ourselves would mean copying Node's stream machinery, so the stream part
 * is Node's own: `node:stream` is the same code on Node, and the same API on Deno and Bun.
 * This module owns only the wiring: `_read`/`_write`/`_final`/`_destroy` to the connection,
 * and bytes, end, drain, timeout and close from it. It makes no HTTP decision.
 *
 * It is built per hand-off, not per connection: an HTTP connection keeps the light core socket
 * (a Duplex costs its two state objects on every idle keep-alive connection).
 *
 * @module
 */
import { Duplex } from "node:stream";
import { type HandOff, type HandOffSocket, type Socket as CoreSocket, TlsSocket } from "../core/mod.ts";

export type { HandOff, HandOffSocket };

type Callback = (error?: Error | null) => void;

/**
 * A connection after `'upgrade'`/`'connect'`, as a `net.Socket`-like Duplex.
 *
 * @example
 * ```ts
 * import { createServer } from "@anyhttp/anyhttp";
 * const server = createServer();
 * server.on("upgrade", (_req, socket, head) => {
 *   // socket is a StreamSocket: a real Duplex, so pipe() works both ways.
 *   socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n");
 *   socket.unshift(head);
 *   socket.pipe(socket);
 * });
 * server.listen(0, () => server.close());
 * ```
 */
export class StreamSocket extends Duplex implements HandOffSocket {
  #core: CoreSocket;
  /** The `_write` callback held until the transport drains. */
  #writeCb: Callback | null = null;
  /** The `_destroy` callback held until the connection has really closed. */
  #destroyCb: (() => void) | null = null;
  #closed = false;
  #hadError = false;
  /** As `net.Socket`: never connecting, the connection is established. */
  readonly connecting = false;
  /** As `net.Socket`: false once connected. */
  readonly pending = false;
  /** The server that accepted the connection. */
  readonly server: unknown;
  /** Node's older name for `server`. */
  readonly _server: unknown;
  /** Node's field on a socket after the hand-off: no parser. */
  parser: unknown = null;
  /** Node's field on a socket after the hand-off: no message. */
  _httpMessage: unknown = null;

  /** Wrap a connection's core socket (the server does this at the hand-off). */
  constructor(core: CoreSocket) {
    // allowHalfOpen: as node:http's sockets (the server's net options): a peer FIN does not end
    // our side; the listener decides.
    super({ allowHalfOpen: true });
    this.#core = core;
    this.server = this._server = core.server;
  }

  // ---- net.Socket surface ---------------------------------------------------------------

  /** The peer's address, e.g. `"127.0.0.1"`. */
  get remoteAddress(): string | undefined {
    return this.#core.remoteAddress;
  }
  /** The peer's port. */
  get remotePort(): number | undefined {
    return this.#core.remotePort;
  }
  /** `"IPv4"` or `"IPv6"`. */
  get remoteFamily(): string | undefined {
    return this.#core.remoteFamily;
  }
  /** The address the connection arrived on. */
  get localAddress(): string | undefined {
    return this.#core.localAddress;
  }
  /** The port the connection arrived on. */
  get localPort(): number | undefined {
    return this.#core.localPort;
  }
  /** `true` on TLS transports (or when the app set it on the core socket before the hand-off). */
  get encrypted(): boolean | undefined {
    return this.#core.encrypted;
  }
  set encrypted(value: boolean | undefined) {
    this.#core.encrypted = value;
  }
  /** Every byte read on the connection, the HTTP request included, as Node counts. */
  get bytesRead(): number {
    return this.#core.bytesRead;
  }
  /** Every byte sent on the connection plus what waits in this stream's buffer, as Node. */
  get bytesWritten(): number {
    return this.#core.bytesWritten + this.writableLength;
  }
  /** Milliseconds of inactivity before `'timeout'` (0: none). */
  get timeout(): number {
    return this.#core.timeout;
  }
  /** `net.Socket#readyState`. */
  get readyState(): "open" | "readOnly" | "writeOnly" | "closed" {
    if (this.readable && this.writable) return "open";
    if (this.readable) return "readOnly";
    if (this.writable) return "writeOnly";
    return "closed";
  }

  /** `net.Socket#address()`: the local end. */
  address(): { address?: string; port?: number; family?: string } {
    return this.#core.address();
  }

  /** Emit `'timeout'` after `ms` without reads or writes (0 disables); it does not close. */
  setTimeout(ms: number, callback?: () => void): this {
    // The core socket validates and arms the sweep; 'timeout' comes here (see _onTimeout).
    this.#core.setTimeout(ms);
    if (callback) {
      if (ms === 0) this.removeListener("timeout", callback);
      else this.once("timeout", callback);
    }
    return this;
  }

  /** Disable (or with `false` enable) Nagle's algorithm. */
  setNoDelay(noDelay = true): this {
    this.#core.setNoDelay(noDelay);
    return this;
  }

  /** TCP keep-alive probes, where the transport offers them. */
  setKeepAlive(enable = false, initialDelay = 0): this {
    this.#core.setKeepAlive(enable, initialDelay);
    return this;
  }

  /** Let this connection keep the process alive (the default). */
  ref(): this {
    this.#core.ref();
    return this;
  }

  /** Let the process exit while this connection is open. */
  unref(): this {
    this.#core.unref();
    return this;
  }

  /** `net.Socket#destroySoon()`: end, then destroy once everything is flushed. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once("finish", () => this.destroy());
  }

  /** `net.Socket#resetAndDestroy()`; the transport contract has no RST, so a plain close. */
  resetAndDestroy(): this {
    return this.destroy();
  }

  /** `'close'` carries `hadError`, as `net.Socket`'s does. */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === "close" && args.length === 0) return super.emit("close", this.#hadError);
    return super.emit(event, ...args);
  }

  // ---- Duplex internals -----------------------------------------------------------------

  /** Duplex: the reader wants more; reading from the peer resumes. */
  override _read(): void {
    this.#core.resume();
  }

  /** Duplex: send one chunk; `callback` once the transport took it. */
  override _write(chunk: Uint8Array, _encoding: string, callback: (error?: Error | null) => void): void {
    // The core's write is the transport's: false means "held above the high-water mark";
    // the next write waits for the drain, so the stream's own buffer carries backpressure.
    if (this.#core.write(chunk)) callback();
    else this.#writeCb = callback;
  }

  /** Duplex: the writer ended: flush, FIN, close. */
  override _final(callback: (error?: Error | null) => void): void {
    this.#core.end();
    callback();
  }

  /** Duplex: close the connection; `callback` once it is closed. */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const cb = this.#writeCb;
    this.#writeCb = null;
    if (cb) cb(error ?? undefined);
    if (this.#closed) {
      callback(error);
      return;
    }
    // 'close' comes once the connection has closed, as net.Socket's comes from the handle.
    this.#destroyCb = () => callback(error);
    this.#core.destroy(error ?? undefined);
  }

  // ---- HandOffSocket: the connection feeds the stream ------------------------------------

  /** @internal */
  _onData(chunk: Uint8Array): void {
    if (!this.push(chunk)) this.#core.pause();
  }
  /** @internal */
  _onEnd(): void {
    this.push(null);
  }
  /** @internal */
  _onDrain(): void {
    const cb = this.#writeCb;
    this.#writeCb = null;
    cb?.();
  }
  /** @internal */
  _onTimeout(): void {
    this.emit("timeout");
  }
  /** @internal */
  _onClose(error?: Error): void {
    this.#closed = true;
    this.#hadError = error !== undefined;
    const done = this.#destroyCb;
    if (done) {
      this.#destroyCb = null;
      done();
      return;
    }
    // The peer went away. As net.Socket, with the error when there was one; but only to a
    // listener: a reset peer must not crash a server whose listener did not expect one.
    this.destroy(error !== undefined && this.listenerCount("error") > 0 ? error : undefined);
  }
}

/**
 * The {@link HandOff} the runtime entry points pass to the core.
 *
 * @example
 * ```ts
 * import { streamHandOff } from "./adapters/stream-socket.ts";
 * import { createMemoryTransport, createServer } from "@anyhttp/anyhttp/core";
 * createServer({ transport: createMemoryTransport(), handOff: streamHandOff });
 * ```
 */
export const streamHandOff: HandOff = (core: CoreSocket): StreamSocket =>
  core instanceof TlsSocket ? new TlsStreamSocket(core) : new StreamSocket(core);

/**
 * The hand-off socket of a TLS connection: {@link StreamSocket} plus node:tls's `TLSSocket`
 * members, read from the connection's core {@link TlsSocket}.
 *
 * @example
 * ```ts
 * import { TlsStreamSocket } from "./adapters/stream-socket.ts";
 * // An 'upgrade' listener on an https server: (req, socket) => socket instanceof TlsStreamSocket
 * console.log(typeof TlsStreamSocket); // function
 * ```
 */
export class TlsStreamSocket extends StreamSocket {
  #tls: TlsSocket;

  /** Wrap a TLS connection's core socket. */
  constructor(core: TlsSocket) {
    super(core);
    this.#tls = core;
  }
  /** Whether the peer's certificate was signed by a trusted CA (with `requestCert`). */
  get authorized(): boolean {
    return this.#tls.authorized;
  }
  /** Why the peer's certificate was not trusted, when it was not. */
  get authorizationError(): Error | string | null | undefined {
    return this.#tls.authorizationError;
  }
  /** The protocol ALPN settled, or `false`. */
  get alpnProtocol(): string | false {
    return this.#tls.alpnProtocol;
  }
  /** The SNI name the client asked for, or `false`. */
  get servername(): string | false {
    return this.#tls.servername;
  }
  /** The peer's certificate as node:tls describes it (`{}` when none). */
  getPeerCertificate(detailed?: boolean): object {
    return this.#tls.getPeerCertificate(detailed);
  }
  /** `"TLSv1.3"` and the like, or `null`. */
  getProtocol(): string | null {
    return this.#tls.getProtocol();
  }
  /** The cipher in use, or `null`. */
  getCipher(): object | null {
    return this.#tls.getCipher();
  }
}
