/**
 * The socket-like object that `req.socket`, `res.socket` and the `'connection'` /
 * `'clientError'` events hand to user code: Node's `net.Socket` surface over a
 * {@link TcpHandle}, for the parts HTTP code uses (addresses, `setTimeout`, `setNoDelay`,
 * `setKeepAlive`, `write`/`end` of raw bytes, `destroy`, `'close'`).
 *
 * It must not know HTTP. What it may do to the connection is limited to {@link SocketHooks}.
 *
 * @module
 */

import { EventEmitter } from "./_events.ts";
import { chunkBytes } from "./serializer.ts";
import type { TcpHandle } from "./transport.ts";
import { defer } from "./_tick.ts";

/**
 * What the connection lets its socket do. Method names that say "socket", so that the
 * connection itself can be the hooks object (no closures per connection).
 */
export interface SocketHooks {
  /** Write raw bytes (used by `clientError` handlers and upgrades). */
  socketWrite(chunk: Uint8Array): boolean;
  socketEnd(): void;
  destroy(error?: Error): void;
  /** Arm or disarm the idle timeout (0 disarms). */
  socketSetTimeout(ms: number): void;
}

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
export class Socket extends EventEmitter {
  #handle: TcpHandle;
  #hooks: SocketHooks;
  // The next four start as defaults on the prototype (below), becoming own properties only
  // when set: most sockets never change them, and each own field is 8 bytes of every idle
  // keep-alive connection.
  /** True once the connection closed. */
  declare destroyed: boolean;
  /** Milliseconds of inactivity before `'timeout'` (0: none). */
  declare timeout: number;
  /** Bytes written through this socket's own `write()` (raw, after an upgrade). */
  declare bytesWritten: number;
  /** Node sets this on sockets handed to `'upgrade'`/`'connect'`; kept for compatibility. */
  declare parser: unknown;
  /** The server that accepted the connection (set by the server). */
  server: unknown = null;

  /** The socket of the connection on `handle`; the connection makes it. */
  constructor(handle: TcpHandle, hooks: SocketHooks) {
    super();
    this.#handle = handle;
    this.#hooks = hooks;
  }

  /** The peer's address, from the transport. */
  get remoteAddress(): string | undefined {
    return this.#handle.remoteAddress;
  }
  /** The peer's port, from the transport. */
  get remotePort(): number | undefined {
    return this.#handle.remotePort;
  }
  /** `"IPv4"` or `"IPv6"`, from the transport. */
  get remoteFamily(): string | undefined {
    return this.#handle.remoteFamily;
  }
  /** Our end's address, from the transport. */
  get localAddress(): string | undefined {
    return this.#handle.localAddress;
  }
  /** Our end's port, from the transport. */
  get localPort(): number | undefined {
    return this.#handle.localPort;
  }
  /** `true` on TLS transports, absent otherwise (as Node's `TLSSocket#encrypted`). */
  get encrypted(): boolean | undefined {
    return this.#handle.encrypted || undefined;
  }
  /** True until the connection closes. */
  get writable(): boolean {
    return !this.destroyed;
  }
  /** True until the connection closes. */
  get readable(): boolean {
    return !this.destroyed;
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
    this.bytesWritten += bytes.byteLength;
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

  /** Disable Nagle's algorithm, where the transport can. */
  setNoDelay(noDelay = true): this {
    this.#handle.setNoDelay?.(noDelay);
    return this;
  }

  /** TCP keep-alive probes, where the transport can. */
  setKeepAlive(enable = false, initialDelay = 0): this {
    this.#handle.setKeepAlive?.(enable, initialDelay);
    return this;
  }

  /** Stop reading from the peer (the transport stops calling `onData`). */
  pause(): this {
    this.#handle.pause();
    return this;
  }
  /** Read from the peer again. */
  resume(): this {
    this.#handle.resume();
    return this;
  }
  /** Accepted for Node compatibility; does nothing. */
  ref(): this {
    return this;
  }
  /** Accepted for Node compatibility; does nothing. */
  unref(): this {
    return this;
  }
  /** Accepted for Node compatibility; does nothing. */
  cork(): void {}
  /** Accepted for Node compatibility; does nothing. */
  uncork(): void {}

  /** @internal The connection closed. */
  _closed(hadError: boolean): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit("close", hadError);
  }
}

Object.assign(Socket.prototype, { destroyed: false, timeout: 0, bytesWritten: 0, parser: null });
