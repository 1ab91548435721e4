/**
 * The Bun transport: anyhttp's {@link Transport} contract on `Bun.listen`.
 *
 * This module owns the translation from Bun's TCP API (one shared handler object per
 * listener, an unbuffered `socket.write()` that returns how many bytes the kernel took) to the
 * core's push-style, synchronous-write contract: a per-connection queue of unsent bytes
 * flushed from Bun's `drain` handler, a high-water mark with `onDrain`, `pause()`/`resume()`,
 * and `onClose` exactly once. Per-connection state lives in Bun's per-socket `data` slot. Bytes
 * only: no HTTP here.
 *
 * It declares the few Bun shapes it uses locally instead of depending on `bun-types`, so it
 * type-checks under plain `tsc` and `deno check`. Referencing `Bun` only inside functions keeps
 * the module importable (not usable) on other runtimes.
 *
 * Bun quirks seen on Bun 1.4.5 (x86_64 Linux):
 * - `data` chunks are safe to keep: with the default `binaryType: "buffer"` every event got a
 *   fresh `Buffer` over its own exactly-sized `ArrayBuffer` (22 chunks of a 10 MiB upload, 22
 *   distinct ArrayBuffers, all still intact after the last event; same with
 *   `"uint8array"`). So the adapter passes them on without copying.
 * - `socket.write()` is unbuffered: a 10 MiB write returned 3 919 872, a following write 0,
 *   and -1 once the socket is closed or shut down.
 * - `drain` also fires once right after `open` (the socket became writable) with nothing to
 *   drain.
 * - `socket.end()` sends FIN **and closes the socket** at once, even with `allowHalfOpen: true`
 *   (the `close` handler runs synchronously inside `end()`, `readyState` -1 afterwards): it is
 *   Node's destroySoon(), not a half-close. `socket.shutdown()` is the half-close;
 *   `socket.close()` behaves like `end()`; `socket.terminate()` resets (RST).
 * - `allowHalfOpen` defaults to `false`: a peer FIN would close the socket. It is set `true`.
 * - `socket.pause()` / `socket.resume()` exist and work (no `data`, and no `end`, while
 *   paused); the adapter still holds back anything that arrives while paused, in case an
 *   event was already on its way.
 * - `socket.remoteAddress` / `localAddress` are created on first read and cached on the socket
 *   (two reads give the same string); read for the first time inside the `close` handler or
 *   later they are `undefined`, and `remotePort` is `undefined` there even if read before. So
 *   the handle snapshots all four at `open`. `remoteFamily` is `undefined` (derived from the
 *   address text instead).
 * - `Bun.listen` requires `hostname` (throws "Expected either "hostname" or "unix"" without
 *   one), throws synchronously on a busy port with `code: "EADDRINUSE"`, and the listener's
 *   `hostname` echoes the argument (`"localhost"`), while its undocumented `getsockname(obj)`
 *   fills `{ address, family, port }` as bound.
 * - `Bun.listen({ unix })` binds a unix socket: `EADDRINUSE` when the file exists (a live
 *   socket, a stale one or a plain file, as Node), the file removed by `stop()`; its sockets'
 *   `remoteAddress`/`remotePort`/`localAddress`/`localPort` are `undefined`, as Node's.
 *   `ipv6Only` and `reusePort` work although bun-types declares them for `connect` only;
 *   `backlog` is accepted and ignored (the queue stays 512: `ss -ltn`), and `fd` fails
 *   ("Failed to listen at"); the adapter refuses both.
 *
 * @module
 */

import type {
  AddressInfo,
  Listener,
  ListenOptions,
  OnConnection,
  TcpHandle,
  TlsSession,
  Transport,
} from "../core/transport.ts";
import { allocateFreshBelow } from "../core/_bytes.ts";
import { unavailableOption } from "../core/errors.ts";
import { alpnWire, HANDSHAKE_TIMEOUT, refuseTlsOptions, type TlsServerOptions } from "./_tls.ts";
import { asError, checkExclusive, chmodAll, familyOf, handOver } from "./_shared.ts";
import { BufferedHandle, CLOSED, ENDING } from "./_buffered-handle.ts";

// ---- The slice of the Bun API this adapter uses (Bun 1.x) ----

interface BunSocket<Data> {
  data: Data;
  /** Bytes the kernel took; may be partial, 0 when full, -1 when closed or shutting down. */
  write(data: Uint8Array): number;
  /** FIN and close (see the module notes). */
  end(): void;
  close(): void;
  pause?(): void;
  resume?(): void;
  setNoDelay?(noDelay?: boolean): boolean;
  setKeepAlive?(enable?: boolean, initialDelay?: number): boolean;
  // TLS sockets only.
  readonly authorized?: boolean;
  readonly alpnProtocol?: string | false | null;
  getPeerCertificate?(detailed?: boolean): object | null | undefined;
  getTLSVersion?(): string | null;
  getCipher?(): object | null;
  ref(): void;
  unref(): void;
  // undefined on a unix socket.
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly remoteFamily?: string;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
}

interface BunSocketHandler<Data> {
  open?(socket: BunSocket<Data>): void;
  /** TLS: the handshake ended (`error`: why the peer's certificate is not trusted). */
  handshake?(socket: BunSocket<Data>, success: boolean, error: Error | null): void;
  data?(socket: BunSocket<Data>, data: Uint8Array): void;
  drain?(socket: BunSocket<Data>): void;
  close?(socket: BunSocket<Data>, error?: Error): void;
  end?(socket: BunSocket<Data>): void;
  error?(socket: BunSocket<Data>, error: Error): void;
  binaryType?: "buffer" | "uint8array";
}

interface BunTCPListener {
  /** undefined on a unix socket listener (which has `unix` instead). */
  readonly hostname: string | undefined;
  readonly port: number;
  readonly unix?: string;
  stop(closeActiveConnections?: boolean): void;
  ref(): void;
  unref(): void;
  /** Undocumented on 1.4.5 (not in bun-types), present on the prototype. */
  getsockname?(out: { address?: string; family?: string; port?: number }): void;
}

/** Where `Bun.listen` binds: a TCP address, or a unix socket's path. */
type BunBindOptions = { hostname: string; port: number; ipv6Only?: boolean; reusePort?: boolean } | { unix: string };

/** `Bun.listen`'s `tls` (Bun.TLSOptions), as made by {@link bunTlsOptions}. */
interface BunTls {
  key?: unknown;
  cert?: unknown;
  ca?: unknown;
  passphrase?: string;
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
  ALPNProtocols: ArrayBuffer;
}

declare const Bun: {
  listen<Data>(options: BunBindOptions & {
    tls?: BunTls;
    allowHalfOpen?: boolean;
    data?: Data;
    socket: BunSocketHandler<Data>;
  }): BunTCPListener;
};

// ---- Helpers ----

/** Bun's errors carry Node's `code` (checked on 1.4.5); fill it in from the message if not. */
function normaliseListenError(e: unknown): Error {
  const err = asError(e) as Error & { code?: string; errno?: number };
  if (err.code === undefined) {
    const m = /EADDRINUSE|in use/i.test(err.message) || err.errno === 98 ? "EADDRINUSE" : undefined;
    if (m !== undefined) {
      try {
        err.code = m;
      } catch {
        // A frozen error keeps its shape.
      }
    }
  }
  return err;
}

/** One Bun socket seen as a {@link TcpHandle}; also the socket's `data` slot. */
class BunTcpHandle extends BufferedHandle {
  readonly encrypted: boolean;
  /** The TLS session (TLS sockets), read from the socket when asked. */
  readonly tls: TlsSession | undefined;
  /** TLS: the handshake timer, until the handshake is done. */
  handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  // Snapshotted at open: read lazily they would be lost after close (module notes), and the
  // strings cost nothing extra, as Bun keeps the ones it handed out on the socket anyway.
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly remoteFamily: string | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;

  /** Error passed to our own destroy(err), reported by the `close` handler. */
  private destroyError: Error | undefined;

  constructor(private readonly socket: BunSocket<BunTcpHandle | undefined>, tls = false) {
    super();
    this.encrypted = tls;
    this.tls = tls ? bunSession(socket) : undefined;
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = socket.remotePort;
    const remote = socket.remoteAddress;
    this.remoteFamily = socket.remoteFamily ?? (remote === undefined ? undefined : familyOf(remote));
    this.localAddress = socket.localAddress;
    this.localPort = socket.localPort;
  }

  // ---- events from the Bun handlers (data and end go to push() and pushEnd()) ----

  /** Sends what the kernel will take of the queue; called from Bun's `drain` handler. */
  handleDrain(): void {
    if ((this.flags & CLOSED) !== 0) return;
    const q = this.queue;
    while (q !== null && q.length > 0) {
      const head = q[0]!;
      const n = this.socket.write(head);
      if (n < 0) {
        this.destroy(); // see send(): the close handler may never come on 1.4.5
        return;
      }
      this.queued -= n;
      if (n < head.byteLength) {
        q[0] = head.subarray(n);
        break; // kernel full: the next `drain` resumes.
      }
      q.shift();
    }
    if (q !== null && q.length === 0 && this.queue === q) this.queue = null;
    this.drained();
    if ((this.flags & CLOSED) !== 0) return;
    if ((this.flags & ENDING) !== 0 && this.queue === null) this.socket.end();
  }

  handleClose(error?: Error): void {
    if (!this.markClosed()) return;
    const reported = this.destroyError ?? error;
    // From a microtask: Bun runs the `close` handler synchronously inside socket.end()/close(),
    // i.e. inside the core's own end()/destroy() call; Node emits 'close' asynchronously.
    queueMicrotask(() => this.callSink(() => this.sink.onClose(reported)));
  }

  // ---- the runtime calls of BufferedHandle ----

  /** Bun's write is unbuffered: what the kernel refuses waits for `drain`. */
  protected send(chunk: Uint8Array): void {
    const n = this.socket.write(chunk);
    if (n < 0) {
      // Closed or reset under us: Bun 1.4.5 does not always run the close handler for a socket
      // reset mid-response, so close it here.
      this.destroy();
      return;
    }
    this.queued -= n;
    if (n < chunk.byteLength) this.queue = [n === 0 ? chunk : chunk.subarray(n)];
  }

  /** Bun's end() is FIN + close (Node's destroySoon()), sent once the queue is empty. */
  protected finish(): void {
    this.socket.end();
  }

  protected pauseReads(): void {
    this.socket.pause?.();
  }

  protected resumeReads(): boolean {
    this.socket.resume?.();
    return false; // the socket reads on its own again
  }

  protected readOn(): void {}

  // ---- TcpHandle ----

  destroy(error?: Error): void {
    if ((this.flags & CLOSED) !== 0) return;
    this.destroyError ??= error;
    this.queue = null;
    this.queued = 0;
    // close() = FIN + close, like Node's destroy() (a plain close(2)); terminate() would RST.
    // The `close` handler runs synchronously inside it on 1.4.5; handleClose() is called here
    // as well in case a version defers it (it acts once either way).
    try {
      this.socket.close();
    } catch {
      // Already closed.
    }
    this.handleClose();
  }

  setNoDelay(noDelay = true): void {
    this.socket.setNoDelay?.(noDelay);
  }

  setKeepAlive(enable = false, initialDelayMs = 0): void {
    this.socket.setKeepAlive?.(enable, initialDelayMs);
  }

  ref(): void {
    if ((this.flags & CLOSED) === 0) this.socket.ref();
  }

  unref(): void {
    if ((this.flags & CLOSED) === 0) this.socket.unref();
  }
}

type Slot = BunTcpHandle | undefined;

/** node:tls's view of a Bun TLS socket (Bun 1.4.5 has these members on it). */
function bunSession(socket: BunSocket<unknown>): TlsSession {
  let authorizationError: Error | null = null;
  return {
    get authorized() {
      return socket.authorized === true;
    },
    get authorizationError() {
      return authorizationError;
    },
    set authorizationError(e: Error | null) {
      authorizationError = e;
    },
    get alpnProtocol() {
      return socket.alpnProtocol ?? false;
    },
    // Bun 1.4.5 throws "Expected abbreviated to be a boolean" for an explicit undefined; its
    // node:tls passes the argument only when given, as here.
    getPeerCertificate: (detailed?: boolean) =>
      (detailed === undefined ? socket.getPeerCertificate?.() : socket.getPeerCertificate?.(detailed)) ?? {},
    getProtocol: () => socket.getTLSVersion?.() ?? null,
    getCipher: () => socket.getCipher?.() ?? null,
  } as TlsSession;
}

/**
 * node:tls server options as `Bun.listen`'s `tls` takes them, refusing by name what Bun 1.4.5
 * cannot do (`pfx`, `SNICallback`) and every setting not wired here.
 */
function bunTlsOptions(tls: TlsServerOptions): { tls: BunTls; handshakeTimeout: number } {
  refuseTlsOptions(tls, "Bun", ["key", "cert", "ca", "passphrase", "requestCert", "rejectUnauthorized", "ALPNProtocols", "handshakeTimeout"], {
    pfx: "Bun.listen takes PEM key and cert only",
    SNICallback: "Bun.listen picks a certificate by server name from a list, not by a callback",
  });
  const { key, cert, ca, passphrase, requestCert, rejectUnauthorized } = tls;
  const out: BunTls = { ALPNProtocols: alpnWire(tls.ALPNProtocols ?? []) };
  if (key !== undefined) out.key = key;
  if (cert !== undefined) out.cert = cert;
  if (ca !== undefined) out.ca = ca;
  if (passphrase !== undefined) out.passphrase = passphrase;
  if (requestCert !== undefined) out.requestCert = requestCert;
  // Bun's default is Node's (true), but only with requestCert does it do anything, as in Node.
  if (rejectUnauthorized !== undefined) out.rejectUnauthorized = rejectUnauthorized;
  return { tls: out, handshakeTimeout: tls.handshakeTimeout ?? HANDSHAKE_TIMEOUT };
}

function bind(
  where: BunBindOptions,
  onConnection: OnConnection,
  tls: { tls: BunTls; handshakeTimeout: number } | undefined,
): BunTCPListener {
  try {
    return Bun.listen<Slot>({
      ...where,
      ...(tls !== undefined ? { tls: tls.tls } : {}),
      allowHalfOpen: true,
      data: undefined,
      socket: {
        // Buffers, as node:net gives: Node code reading a request body or an upgraded socket
        // calls chunk.toString() and other Buffer methods.
        binaryType: "buffer",
        open(socket) {
          const handle = new BunTcpHandle(socket, tls !== undefined);
          socket.data = handle;
          socket.setNoDelay?.(true);
          // TLS: `open` comes before the handshake; the core gets the connection once it is
          // done (`handshake` below), as node:tls's 'secureConnection'.
          if (tls === undefined) handOver(handle, onConnection);
          else handle.handshakeTimer = setTimeout(() => handle.destroy(), tls.handshakeTimeout);
        },
        handshake(socket, success, error) {
          const handle = socket.data;
          if (handle === undefined) return;
          clearTimeout(handle.handshakeTimer);
          handle.handshakeTimer = undefined;
          if (!success) {
            handle.destroy();
            return;
          }
          (handle.tls as { authorizationError: Error | null }).authorizationError = error;
          handOver(handle, onConnection);
        },
        data(socket, chunk) {
          // No copy: Bun 1.4.5 hands out a fresh buffer per event (module notes).
          socket.data?.push(chunk);
        },
        end(socket) {
          socket.data?.pushEnd();
        },
        drain(socket) {
          socket.data?.handleDrain();
        },
        close(socket, error) {
          const handle = socket.data;
          if (handle?.handshakeTimer !== undefined) clearTimeout(handle.handshakeTimer);
          handle?.handleClose(error);
        },
        error(socket, error) {
          // Bun calls this when a handler throws, or on a failed TLS session. The sink calls
          // are already guarded; whatever still lands here kills the connection.
          socket.data?.destroy(error);
        },
      },
    });
  } catch (e) {
    throw normaliseListenError(e);
  }
}

function addressOf(l: BunTCPListener): AddressInfo | string {
  if (l.unix !== undefined) return l.unix;
  const out: { address?: string; family?: string; port?: number } = {};
  try {
    l.getsockname?.(out);
  } catch {
    // Not there: fall back to what the listener echoes.
  }
  const address = out.address ?? l.hostname ?? "";
  return { address, family: out.family ?? familyOf(address), port: out.port ?? l.port };
}

/** Refuses what `Bun.listen` cannot do (Bun 1.4.5), before anything is bound. */
function checkListenOptions(options: ListenOptions): void {
  if (options.backlog !== undefined) {
    throw unavailableOption("backlog", "Bun", "Bun.listen has no backlog option (its queue is always 512)");
  }
  if (options.fd !== undefined) throw unavailableOption("fd", "Bun", "Bun.listen cannot listen on a file descriptor");
  if (options.handle !== undefined) {
    throw unavailableOption("handle", "Bun", "Bun.listen cannot listen on another server's handle");
  }
  // Not Bun.listen's own `exclusive`: that one is about SO_REUSEADDR, not Node's cluster rule.
  checkExclusive(options.exclusive, "Bun");
}

/**
 * A {@link Transport} on `Bun.listen`.
 *
 * Sockets are opened with `allowHalfOpen: true` (a peer FIN becomes `onEnd()` and the
 * connection stays writable) and `setNoDelay(true)`. `write()` sends what the kernel takes at
 * once and queues the rest, returning `false` above 64 KiB queued; `onDrain()` follows when
 * Bun's `drain` has brought the queue back under. Without `options.host` it binds `::`
 * (dual-stack) and falls back to `0.0.0.0`, as Node does. `listen` rejects with Bun's error,
 * whose `code` is Node's (`"EADDRINUSE"` for a busy port or an existing socket file).
 * `options.path` binds a unix socket (`readableAll`/`writableAll` chmod it, as libuv does;
 * closing removes the file); `ipv6Only` and `reusePort` are Bun's own; `backlog`, `fd` and
 * `handle` are refused: Bun has no way to do them.
 *
 * @example
 * ```ts
 * import { bunTransport } from "./adapters/bun-transport.ts";
 * const listener = await bunTransport.listen({ port: 0 }, (handle) => ({
 *   onData: (chunk) => handle.write(chunk), // echo
 *   onEnd: () => handle.end(),
 *   onDrain: () => {},
 *   onClose: () => {},
 * }));
 * await listener.close();
 * ```
 */
export const bunTransport: Transport = createBunTransport();

/**
 * A {@link Transport} on `Bun.listen`, or, given node:tls server options, on
 * `Bun.listen({ tls })`: each connection reaches the core after its handshake (closed if it has
 * not finished within `handshakeTimeout`, 120 s as Node's), its handle `encrypted`, with the
 * peer certificate, `authorized`, ALPN result, protocol and cipher from Bun's socket. Options
 * Bun cannot do throw here, by name.
 *
 * @example
 * ```ts
 * import { createBunTransport } from "./adapters/bun-transport.ts";
 * const plain = createBunTransport(); // the same as bunTransport
 * console.log(typeof plain.listen); // function
 * ```
 */
export function createBunTransport(tlsOptions?: TlsServerOptions): Transport {
  const tls = tlsOptions === undefined ? undefined : bunTlsOptions(tlsOptions);
  return { listen: (options, onConnection) => listen(options, onConnection, tls) };
}

// Synchronous: Bun.listen binds (or throws) at once, so server.address() works right after
// server.listen(), as on Node.
function listen(
  options: ListenOptions,
  onConnection: OnConnection,
  tls: { tls: BunTls; handshakeTimeout: number } | undefined,
): Listener {
  checkListenOptions(options);
  // JSC allocates small typed arrays faster than it makes views of a shared buffer (see
  // core/_bytes.ts): the core's response bytes below 1000 get arrays of their own.
  allocateFreshBelow(1000);
  let listener: BunTCPListener;
  if (options.path !== undefined) {
    listener = bind({ unix: options.path }, onConnection, tls);
    try {
      chmodAll(options.path, options.readableAll, options.writableAll);
    } catch (e) {
      listener.stop(true);
      throw e;
    }
  } else {
    const tcp = (hostname: string): BunBindOptions => ({
      hostname,
      port: options.port ?? 0,
      ...(options.ipv6Only !== undefined ? { ipv6Only: options.ipv6Only } : {}),
      ...(options.reusePort !== undefined ? { reusePort: options.reusePort } : {}),
    });
    if (options.host !== undefined) {
      listener = bind(tcp(options.host), onConnection, tls);
    } else {
      try {
        listener = bind(tcp("::"), onConnection, tls);
      } catch {
        // No IPv6 (as Node's net falls back): any failure on `::` retries on IPv4.
        listener = bind(tcp("0.0.0.0"), onConnection, tls);
      }
    }
  }
  const address = addressOf(listener);
  let closed = false;
  return {
    address,
    close(): Promise<void> {
      if (!closed) {
        closed = true;
        // false: stop accepting, leave established connections alone.
        listener.stop(false);
      }
      return Promise.resolve();
    },
    ref: () => {
      if (!closed) listener.ref();
    },
    unref: () => {
      if (!closed) listener.unref();
    },
  };
}
