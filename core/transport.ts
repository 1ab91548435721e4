/**
 * The seam between HTTP and a runtime: the TCP handle contract.
 *
 * This module owns the shapes that an adapter (Node `net`, `Deno.listen`, `Bun.listen`, an
 * in-memory pipe, a TLS or unix-socket transport of your own) must keep so that the core can
 * drive it. It knows nothing about HTTP and nothing about any runtime.
 *
 * The contract is push-style with synchronous writes, whatever the runtime underneath does:
 *
 * - adapter → core, per connection: the core hands back a {@link ConnectionSink}; the adapter
 *   calls `onData(chunk)` for every chunk read (the chunk then belongs to the core: an adapter
 *   whose runtime reuses its read buffer copies first), `onEnd()` when the peer half-closes,
 *   `onDrain()` when a `write()` that returned `false` has been flushed below the high-water
 *   mark, and `onClose(error?)` exactly once when the connection is gone (it may come from
 *   inside `destroy()`, as the memory transport's does; the socket adapters call it later).
 * - core → adapter: {@link TcpHandle}. `write()` never throws and never drops bytes; it returns
 *   `false` above the high-water mark. The adapter owns every partial-write queue.
 *
 * @module
 */

/** Callbacks the core gives an adapter for one connection. */
export interface ConnectionSink {
  /** Bytes arrived. The chunk is owned by the core from now on. */
  onData(chunk: Uint8Array): void;
  /** The peer half-closed (FIN). Writes may still go out. */
  onEnd(): void;
  /** Buffered writes fell below the high-water mark after a `write()` returned `false`. */
  onDrain(): void;
  /** The connection is closed (called exactly once). `error` is set when it died abnormally. */
  onClose(error?: Error): void;
}

/** A connected byte stream as the core sees it. */
export interface TcpHandle {
  /**
   * Queue `chunk` for sending. Never throws, never drops: once accepted, the bytes go out
   * unless the connection dies. Returns `false` when the adapter's buffer is above its
   * high-water mark; the core then waits for `onDrain()` before writing more.
   * Writes after `end()` or `destroy()` are ignored. The adapter must not modify or transfer
   * `chunk`: the core may pass the same bytes again (a response equal to the last one).
   */
  write(chunk: Uint8Array): boolean;
  /** Optional: queue several chunks at once (one syscall where the runtime allows). */
  writev?(chunks: Uint8Array[]): boolean;
  /** Flush everything queued, send FIN, then close the connection. Idempotent. */
  end(): void;
  /** Close at once, dropping anything queued. Idempotent. */
  destroy(error?: Error): void;
  /** Stop calling `onData` until `resume()`. */
  pause(): void;
  /** Start calling `onData` again. */
  resume(): void;
  /** Peer address, e.g. `"127.0.0.1"` or `"::1"`. */
  readonly remoteAddress?: string;
  /** Peer port. */
  readonly remotePort?: number;
  /** `"IPv4"` or `"IPv6"`. */
  readonly remoteFamily?: string;
  /** Address of our end of the connection. */
  readonly localAddress?: string;
  /** Port of our end of the connection. */
  readonly localPort?: number;
  /** `true` for transports that encrypt (TLS). */
  readonly encrypted?: boolean;
  /** TLS transports: what the handshake settled (see {@link TlsSession}). */
  readonly tls?: TlsSession;
  /**
   * Optional: disable Nagle's algorithm. The built-in transports start every connection with
   * it disabled (Node's `noDelay: true`); the server calls `setNoDelay(false)` for
   * `noDelay: false`.
   */
  setNoDelay?(noDelay?: boolean): void;
  /** Optional: TCP keep-alive probes, the first after `initialDelayMs` idle (0: the system's). */
  setKeepAlive?(enable?: boolean, initialDelayMs?: number): void;
  /**
   * Optional: the buffered bytes above which `write()` returns `false` (the server's
   * `highWaterMark` option, when given; called once, before any write).
   */
  setHighWaterMark?(bytes: number): void;
  /** Optional: let this connection keep the process alive (the default). */
  ref?(): void;
  /** Optional: let the process exit while this connection is open. */
  unref?(): void;
}

/**
 * What a TLS transport knows about one connection's session, as node:tls's `TLSSocket` names
 * it. Every member is optional: a runtime that cannot tell leaves it out, and the socket user
 * code sees then has no such member either.
 */
export interface TlsSession {
  /** The peer's certificate as node:tls describes it (`{}` when the peer sent none). */
  getPeerCertificate?(detailed?: boolean): object | null;
  /** Whether the peer's certificate was signed by one of the trusted CAs (`requestCert`). */
  readonly authorized?: boolean;
  /** Why the peer's certificate was not trusted, or `null`/absent when it was (or none asked). */
  readonly authorizationError?: Error | string | null;
  /** The protocol ALPN settled, or `false` when none was. */
  readonly alpnProtocol?: string | false | null;
  /** `"TLSv1.3"` and the like. */
  getProtocol?(): string | null;
  /** The cipher in use: `{ name, standardName, version }`. */
  getCipher?(): object | null;
  /** The SNI name the client asked for, or `false`/absent. */
  readonly servername?: string | false | null;
}

/** Called by a transport for each accepted connection; returns the sink for its events. */
export type OnConnection = (handle: TcpHandle) => ConnectionSink;

/**
 * Where to listen. Node's names (`net.Server#listen(options)`).
 *
 * A transport does what each option it is given says, or throws at once a `TypeError` with
 * `code: "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM"` naming the option and why: it never accepts an
 * option and ignores it. The server passes only the options the caller set (an unset one is
 * absent, not `undefined`-valued), after checking that they fit together (`path` never comes
 * with `port`/`host`, `readableAll`/`writableAll` only with `path`).
 */
export interface ListenOptions {
  /** 0 or absent picks a free port. */
  port?: number;
  /** Absent: all interfaces (`"::"` with IPv4 fallback to `"0.0.0.0"`, as Node does). */
  host?: string;
  /** Length of the queue of pending connections. */
  backlog?: number;
  /**
   * A unix domain socket: the file system path to bind instead of a TCP port. Binding fails
   * with `EADDRINUSE` when the file exists; closing the listener removes the file (as libuv).
   */
  path?: string;
  /** With `host: "::"`, accept IPv6 only (no IPv4-mapped peers). */
  ipv6Only?: boolean;
  /**
   * Node's cluster rule: `false` (Node's default) lets cluster workers share the primary's
   * listening handle, `true` makes each process bind its own.
   */
  exclusive?: boolean;
  /** `SO_REUSEPORT`: several listeners on one port, the kernel spreading connections. */
  reusePort?: boolean;
  /** Unix socket only: make the socket file readable by everyone (`chmod a+r`). */
  readableAll?: boolean;
  /** Unix socket only: make the socket file writable by everyone (`chmod a+w`). */
  writableAll?: boolean;
  /** Accept on this already-listening file descriptor (e.g. one inherited from systemd). */
  fd?: number;
  /**
   * Accept on this runtime object's listening handle (Node's `listen(handle)`: a server or
   * socket with a `_handle`). Opaque to the core.
   */
  handle?: unknown;
}

/** What `address()` returns, as Node's `net.Server#address()`. */
export interface AddressInfo {
  /** The bound address, e.g. `"127.0.0.1"` or `"::"`. */
  address: string;
  /** `"IPv4"` or `"IPv6"` (a custom transport may say something else). */
  family: string;
  /** The bound port (the one picked when asked for 0). */
  port: number;
}

/** A bound, accepting listener. */
export interface Listener {
  /** Where it listens: the address and port, or a unix socket's path (as `net.Server#address()`). */
  readonly address: AddressInfo | string;
  /** Stop accepting. Established connections are untouched. */
  close(): Promise<void>;
  /** Optional: let the listener keep the process alive (the default). */
  ref?(): void;
  /** Optional: let the process exit while only this listener is open. */
  unref?(): void;
}

/**
 * A way to accept connections. Implement this to run anyhttp over anything that moves bytes.
 *
 * @example
 * ```ts
 * import { createServer, type Transport } from "@anyhttp/anyhttp/core";
 * // A transport that accepts no connections: enough for the contract.
 * const nowhere: Transport = {
 *   listen: async () => ({ address: { address: "nowhere", family: "none", port: 0 }, close: async () => {} }),
 * };
 * const server = createServer({ transport: nowhere }, (_req, res) => res.end("ok"));
 * server.listen(0, () => server.close());
 * ```
 */
export interface Transport {
  /**
   * Server options this transport cannot honour, each with the reason: `createServer` throws
   * (`ERR_OPTION_NOT_SUPPORTED`) when one is set, instead of accepting it and doing nothing.
   */
  readonly unsupported?: Readonly<Record<string, string>>;
  /**
   * Bind and start accepting. Return the {@link Listener} itself when binding is synchronous
   * (`Deno.listen`, `Bun.listen`, `node:net` on an IP address): then `server.address()` works
   * right after `server.listen()`, as code written for Node expects (supertest does). Return a
   * Promise when it is not (a DNS lookup). Errors may be thrown or rejected.
   */
  listen(options: ListenOptions, onConnection: OnConnection): Listener | Promise<Listener>;
}

/**
 * Time as the core sees it. Injected so tests run timeouts without sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Call `fn` once after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancel a `setTimeout` that has not fired. */
  clearTimeout(handle: unknown): void;
}

/** The real clock: `Date.now` and the global timers every runtime shares. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = globalThis.setTimeout(fn, ms) as unknown as { unref?: () => void };
    // Node and Bun return an object with unref(); a pending timeout must not keep the
    // process alive on its own (the listener does that).
    if (typeof t === "object" && t !== null && typeof t.unref === "function") t.unref();
    return t;
  },
  clearTimeout: (h) => globalThis.clearTimeout(h as number),
};
