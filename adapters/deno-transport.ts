/**
 * The Deno transport: anyhttp's {@link Transport} contract on `Deno.listen`.
 *
 * This module owns the translation from Deno's pull-style, promise-based TCP API
 * (`listener.accept()`, `conn.read(buf)`, `conn.write(buf)` which may write partially) to the
 * core's push-style, synchronous-write contract: an accept loop per listener, a read loop per
 * connection that honours `pause()` / `resume()`, and a per-connection write queue with a
 * high-water mark and `onDrain`. Bytes only: no HTTP here.
 *
 * It declares the few Deno shapes it uses locally instead of depending on a types package, so
 * it type-checks under plain `tsc` as well as `deno check`. Referencing `Deno` only inside
 * functions keeps the module importable (not usable) on other runtimes.
 *
 * Deno quirks seen on Deno 2.9.6 (x86_64 Linux):
 * - `Deno.listen()` throws synchronously (`Deno.errors.AddrInUse`, which already carries
 *   `code: "EADDRINUSE"`), and defaults `hostname` to `"0.0.0.0"`, not Node's `"::"`.
 * - `conn.write()` writes partially: one 10 MiB write resolved with 3 919 872.
 * - After `close()`, `accept()` rejects with `BadResource` ("Listener has been closed") and
 *   `conn.write()` with `BadResource`; a read issued after EOF resolves `null` even when
 *   `close()` follows it; calling `close()` twice throws `BadResource`. The adapter ignores
 *   whatever settles after its own close.
 * - A `"::"` listener is dual-stack; IPv4 peers then show up as `::ffff:127.0.0.1`, as in
 *   Node.
 * - `NetAddr` has no `family`; it is derived from the address text.
 * - Every idle connection pins its pending read's buffer, so the adapter reads with
 *   `conn.read()` into a buffer sized to the traffic (see MIN_READ); `conn.readable` pins
 *   64 KiB per pending read.
 * - Deno's `node:net` holds less memory per idle connection than `Deno.Conn` but costs more
 *   CPU per request, hence this adapter.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type {
  AddressInfo,
  Listener,
  ListenOptions,
  OnConnection,
  TcpHandle,
  TlsSession,
  Transport,
} from "../core/transport.ts";
import { createPrivateKey } from "node:crypto";
import { unavailableOption } from "../core/errors.ts";
import { alpnList, HANDSHAKE_TIMEOUT, pemText, refuseTlsOptions, type TlsServerOptions } from "./_tls.ts";
import { asError, checkExclusive, chmodAll, familyOf, handOver } from "./_shared.ts";
import { BufferedHandle, CLOSED, ENDING, PAUSED, WRITING } from "./_buffered-handle.ts";

// ---- The slice of the Deno namespace this adapter uses (Deno 2.x) ----

/** A `NetAddr` (`tcp`) or a `UnixAddr` (`unix`: a path, `null` for an unnamed peer). */
interface DenoNetAddr {
  transport: "tcp" | "udp" | "unix";
  hostname?: string;
  port?: number;
  path?: string | null;
}

interface DenoConn {
  readonly localAddr: DenoNetAddr;
  readonly remoteAddr: DenoNetAddr;
  /** Resolves with the number of bytes read, or `null` at EOF. */
  read(p: Uint8Array): Promise<number | null>;
  /** Resolves with the number of bytes written: may be fewer than `p.byteLength`. */
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  /** A `Deno.TlsConn` only: runs the handshake (at most once). */
  handshake?(): Promise<{ alpnProtocol: string | null }>;
  setNoDelay?(noDelay?: boolean): void;
  setKeepAlive?(keepAlive?: boolean): void;
  ref(): void;
  unref(): void;
}

interface DenoListener {
  readonly addr: DenoNetAddr;
  accept(): Promise<DenoConn>;
  close(): void;
  ref(): void;
  unref(): void;
}

declare const Deno: {
  listen(
    options:
      | { port: number; hostname?: string; transport?: "tcp"; tcpBacklog?: number; reusePort?: boolean }
      | { transport: "unix"; path: string },
  ): DenoListener;
  listenTls(
    options: {
      port: number;
      hostname?: string;
      transport?: "tcp";
      tcpBacklog?: number;
      reusePort?: boolean;
      cert: string;
      key: string;
      alpnProtocols?: string[];
    },
  ): DenoListener;
  /** Present only with `--unstable-net`: how the adapter tells whether `reusePort` is allowed. */
  listenDatagram?: unknown;
};

// ---- Tunables ----

/**
 * Read sizes. The buffer of the read that is always pending is what an idle keep-alive
 * connection pins, so the size follows the traffic: a read that fills the buffer makes the
 * next one 4× larger (up to 64 KiB, for uploads and large heads), and a read that used less
 * than a quarter makes the next one just fit twice what came (down to 256 bytes, which a
 * typical API client's request fits in one read).
 *
 * The first read is that small too: a larger first buffer, dropped after the first request,
 * leaves malloc fragmentation behind a burst of connections. The price: a first head over
 * 256 bytes takes two reads (256, then 1 KiB).
 */
const MIN_READ = 256;
const FIRST_READ = MIN_READ;
const MAX_READ = 64 * 1024;

/** The next read's size after a read of `n` bytes into `size`. */
/** @internal Exported for tests. */
export function nextReadSize(n: number, size: number, lastFull: boolean): number {
  if (n === size) return size >= MAX_READ ? MAX_READ : Math.min(MAX_READ, size * 4);
  // A short read right after a full one is the tail of the same burst (the rest of a request
  // that did not fit), not a sign of small traffic: keep the size, or steady uploads cycle
  // through sizes and take several reads per request.
  if (lastFull || n >= size >>> 2 || size <= MIN_READ) return size;
  let next = MIN_READ;
  while (next < 2 * n) next *= 2;
  return next;
}

// ---- Helpers ----

/** Deno's errors already carry Node's `code` (checked on 2.9.6); fill it in if one does not. */
function normaliseListenError(e: unknown): Error {
  const err = asError(e) as Error & { code?: string };
  if (err.code === undefined) {
    const byName: Record<string, string> = {
      AddrInUse: "EADDRINUSE",
      AddrNotAvailable: "EADDRNOTAVAIL",
      PermissionDenied: "EACCES",
    };
    const code = byName[err.name];
    if (code !== undefined) {
      try {
        err.code = code;
      } catch {
        // A frozen error keeps its shape.
      }
    }
  }
  return err;
}

// DenoTcpHandle's own states, bits of BufferedHandle's `flags` (whose bits are below 128).
const READING = 128; // a conn.read() is pending
const EOF = 256; // the peer's FIN was read
const LAST_FULL = 512; // the last read filled the buffer (see nextReadSize)

/**
 * One `Deno.Conn` seen as a {@link TcpHandle}.
 *
 * Kept small, since every idle keep-alive connection holds one: its states are bits of one
 * field, and the addresses are read from the `Deno.Conn` when asked for (Deno 2.9.6 keeps
 * `remoteAddr` / `localAddr` on the conn, valid after close) instead of being copied into five
 * fields of every handle.
 */
class DenoTcpHandle extends BufferedHandle {
  private buf = new Uint8Array(FIRST_READ);

  constructor(private readonly conn: DenoConn) {
    super();
  }

  get encrypted(): boolean {
    return false;
  }
  // A unix socket's addresses have no hostname or port: all five are undefined, as Node's.
  get remoteAddress(): string | undefined {
    return this.conn.remoteAddr.hostname;
  }
  get remotePort(): number | undefined {
    return this.conn.remoteAddr.port;
  }
  get remoteFamily(): string | undefined {
    const host = this.conn.remoteAddr.hostname;
    return host === undefined ? undefined : familyOf(host);
  }
  get localAddress(): string | undefined {
    return this.conn.localAddr.hostname;
  }
  get localPort(): number | undefined {
    return this.conn.localAddr.port;
  }

  // ---- reading ----

  /** Starts reading unless paused (called once `onConnection` returned). */
  start(): void {
    this.readNext();
  }

  /**
   * Issues the next read, unless one is pending or the handle is paused, closed or at EOF;
   * each settled read issues the next. Promise callbacks, not an async loop: a suspended async
   * function keeps a generator, a promise and two closures per idle connection.
   */
  private readNext(): void {
    if ((this.flags & (READING | PAUSED | CLOSED | EOF)) !== 0) return;
    this.flags |= READING;
    this.conn.read(this.buf).then(
      (n) => {
        this.flags &= ~READING;
        if (this.received(n)) this.readNext();
      },
      (e) => {
        this.flags &= ~READING;
        // BadResource/Interrupted after our own close() are expected; anything else
        // (ConnectionReset, ...) kills the connection.
        if ((this.flags & CLOSED) === 0) this.close(asError(e));
      },
    );
  }

  /** One read finished with `n` bytes (null: EOF). Returns whether the loop goes on. */
  private received(n: number | null): boolean {
    if ((this.flags & CLOSED) !== 0) return false;
    if (n === null) {
      this.flags |= EOF;
      // A paused connection hears about the FIN on resume(), as a paused Node socket does.
      this.pushEnd();
      return false;
    }
    // COPY: `this.buf` is reused by the next read and the chunk belongs to the core; exactly
    // `n` bytes, so a small chunk the core keeps does not pin a 64 KiB buffer.
    // As a Buffer, as Node and Bun sockets give (Node code calls chunk.toString()). From
    // Buffer's shared pool, as Node's Buffer.allocUnsafe does it: reads under 4 KiB are views
    // of an 8 KiB pool buffer, larger ones get their own memory. Deno 2.9.6 quirk: memory of
    // its own costs a small buffer ~350 ns (allocUnsafeSlow(60) and a copy; a plain
    // `new Uint8Array(60)` alone ~320 ns, against ~26 ns on Node 20), a pool view ~66 ns.
    // The price: a small chunk kept for long (a body chunk a handler stores) keeps its 8 KiB
    // pool buffer alive, as any small Buffer.allocUnsafe() result does on Node.
    const size = this.buf.byteLength;
    const chunk: Uint8Array = Buffer.allocUnsafe(n);
    chunk.set(n === size ? this.buf : this.buf.subarray(0, n));
    // The pending read of an idle keep-alive connection holds this buffer for as long as
    // the connection is idle: keep it no larger than the traffic needs (see MIN_READ).
    const want = nextReadSize(n, size, (this.flags & LAST_FULL) !== 0);
    if (n === size) this.flags |= LAST_FULL;
    else this.flags &= ~LAST_FULL;
    if (want !== size) this.buf = new Uint8Array(want);
    this.push(chunk);
    return true;
  }

  protected pauseReads(): void {}

  protected resumeReads(): boolean {
    return true; // a pull runtime: kick() issues the next read
  }

  protected readOn(): void {
    this.readNext();
  }

  // ---- writing ----

  protected send(chunk: Uint8Array): void {
    void this.pump(chunk);
  }

  /**
   * The single writer: one `conn.write()` in flight at a time (`first`, then what queued up
   * behind it), partial writes continued.
   */
  private async pump(first: Uint8Array): Promise<void> {
    this.flags |= WRITING;
    try {
      let head: Uint8Array | null = first;
      while (head !== null) {
        let n: number;
        try {
          n = await this.conn.write(head);
        } catch (e) {
          // BrokenPipe / ConnectionReset, or BadResource after our own close.
          if ((this.flags & CLOSED) === 0) this.close(asError(e));
          return;
        }
        if ((this.flags & CLOSED) !== 0) return;
        this.queued -= n;
        head = n < head.byteLength ? head.subarray(n) : null;
        this.drained();
        if ((this.flags & CLOSED) !== 0) return;
        // (onDrain may have queued more: WRITING is still set, so it went to the queue.)
        head ??= this.takeNext();
      }
    } finally {
      this.flags &= ~WRITING;
    }
    if ((this.flags & ENDING) !== 0) void this.finish();
  }

  /** Queue flushed after `end()`: FIN, then close (Node's destroySoon()). */
  protected async finish(): Promise<void> {
    if ((this.flags & CLOSED) !== 0) return;
    try {
      await this.conn.closeWrite();
    } catch {
      // The peer may already be gone (NotConnected/BrokenPipe): closing anyway.
    }
    this.close(undefined);
  }

  destroy(error?: Error): void {
    this.close(error);
  }

  private close(error: Error | undefined): void {
    if (!this.markClosed()) return;
    try {
      this.conn.close();
    } catch {
      // Already closed (BadResource).
    }
    // Pending read/write ops now settle with BadResource/Interrupted (or null) and are
    // ignored because `closed` is set. onClose runs once, from a microtask: never from inside
    // the core's own destroy()/end()/write() call (Node emits 'close' asynchronously too).
    queueMicrotask(() => this.callSink(() => this.sink.onClose(error)));
  }

  // ---- options ----

  setNoDelay(noDelay = true): void {
    try {
      this.conn.setNoDelay?.(noDelay);
    } catch {
      // Closed conn: nothing to set.
    }
  }

  /**
   * Deno 2.9.6's `Deno.Conn.setKeepAlive()` takes no initial delay, so a delay is refused
   * instead of dropped (the server refuses `keepAliveInitialDelay` up front: `unsupported`).
   */
  setKeepAlive(enable = false, initialDelayMs = 0): void {
    if (enable && initialDelayMs > 0) throw keepAliveDelayError();
    try {
      this.conn.setKeepAlive?.(enable);
    } catch {
      // Closed conn.
    }
  }

  // Deno 2.9.6: an unref'd conn's pending read no longer keeps the event loop alive.
  ref(): void {
    if ((this.flags & CLOSED) === 0) this.conn.ref();
  }

  unref(): void {
    if ((this.flags & CLOSED) === 0) this.conn.unref();
  }
}

/** Why a keep-alive probe delay cannot be set on Deno. */
const NO_KEEP_ALIVE_DELAY = "Deno.Conn.setKeepAlive() takes no initial delay on Deno (the system's applies)";

function keepAliveDelayError(): Error {
  return Object.assign(new Error(`Cannot set a keep-alive initial delay: ${NO_KEEP_ALIVE_DELAY}`), {
    code: "ERR_OPTION_NOT_SUPPORTED",
  });
}

/**
 * One `Deno.TlsConn`, after its handshake. Deno 2.9.6 tells only the ALPN result: no peer
 * certificate (`Deno.listenTls` cannot ask for one, so `{}` is node:tls's true answer), no
 * protocol version or cipher.
 */
class DenoTlsHandle extends DenoTcpHandle {
  readonly tls: TlsSession;
  constructor(conn: DenoConn, alpnProtocol: string | null) {
    super(conn);
    this.tls = { alpnProtocol: alpnProtocol ?? false, authorized: false, getPeerCertificate: () => ({}) };
  }
  override get encrypted(): boolean {
    return true;
  }
}

/** What `Deno.listenTls` takes, made from node:tls options by {@link denoTlsOptions}. */
interface DenoTls {
  cert: string;
  key: string;
  alpnProtocols: string[];
  handshakeTimeout: number;
}

/**
 * node:tls server options as `Deno.listenTls` takes them, refusing by name what Deno 2.9.6
 * cannot do: client certificates (`requestCert`, `ca`), `pfx`, `SNICallback`, several keys,
 * and every other setting `Deno.listenTls` lacks. An encrypted key is decrypted here with
 * `passphrase` (node:crypto), since Deno takes only plain PEM.
 */
function denoTlsOptions(tls: TlsServerOptions): DenoTls {
  refuseTlsOptions(tls, "Deno", ["key", "cert", "passphrase", "ALPNProtocols", "rejectUnauthorized", "handshakeTimeout"], {
    ca: "Deno.listenTls cannot verify client certificates",
    requestCert: "Deno.listenTls cannot ask for a client certificate",
    pfx: "Deno.listenTls takes PEM key and cert only",
    SNICallback: "Deno.listenTls has one certificate, chosen by no callback",
  });
  const one = (name: "key" | "cert"): string | Uint8Array | { pem: string | Uint8Array; passphrase?: string } => {
    const v = tls[name];
    if (v === undefined) throw unavailableOption(name, "Deno", "Deno.listenTls needs both key and cert");
    if (!Array.isArray(v)) return v;
    if (v.length !== 1) throw unavailableOption(name, "Deno", "Deno.listenTls takes one key and certificate");
    return v[0]!;
  };
  const keyOpt = one("key");
  const certOpt = one("cert");
  const certPem = pemText(typeof certOpt === "object" && "pem" in certOpt ? certOpt.pem : certOpt);
  let keyPem = pemText(typeof keyOpt === "object" && "pem" in keyOpt ? keyOpt.pem : keyOpt);
  const passphrase = (typeof keyOpt === "object" && "pem" in keyOpt ? keyOpt.passphrase : undefined) ?? tls.passphrase;
  if (passphrase !== undefined || /ENCRYPTED/.test(keyPem)) {
    keyPem = String(createPrivateKey({ key: keyPem, format: "pem", passphrase }).export({ type: "pkcs8", format: "pem" }));
  }
  return {
    cert: certPem,
    key: keyPem,
    alpnProtocols: alpnList(tls.ALPNProtocols ?? []),
    handshakeTimeout: tls.handshakeTimeout ?? HANDSHAKE_TIMEOUT,
  };
}

function bind(hostname: string, options: ListenOptions, tls: DenoTls | undefined): DenoListener {
  const tcp = {
    hostname,
    port: options.port ?? 0,
    transport: "tcp" as const,
    ...(options.backlog !== undefined ? { tcpBacklog: options.backlog } : {}),
    ...(options.reusePort ? { reusePort: true } : {}),
  };
  try {
    if (tls !== undefined) return Deno.listenTls({ ...tcp, cert: tls.cert, key: tls.key, alpnProtocols: tls.alpnProtocols });
    return Deno.listen(tcp);
  } catch (e) {
    throw normaliseListenError(e);
  }
}

/** Refuses what `Deno.listen` cannot do (Deno 2.9.6), before anything is bound. */
function checkListenOptions(options: ListenOptions): void {
  if (options.fd !== undefined) throw unavailableOption("fd", "Deno", "Deno.listen cannot listen on a file descriptor");
  if (options.handle !== undefined) {
    throw unavailableOption("handle", "Deno", "Deno.listen cannot listen on another server's handle");
  }
  // false is what Deno does anyway (a "::" listener is dual-stack).
  if (options.ipv6Only) throw unavailableOption("ipv6Only", "Deno", "Deno.listen has no IPV6_V6ONLY option");
  checkExclusive(options.exclusive, "Deno");
  if (options.path !== undefined && options.backlog !== undefined) {
    throw unavailableOption("backlog", "Deno", "Deno.listen takes no backlog for a unix socket");
  }
  // Without the flag, Deno.listen({ reusePort }) ends the process (exit code 70) instead of
  // throwing; `Deno.listenDatagram` exists exactly when the flag is on.
  if (options.reusePort && typeof Deno.listenDatagram !== "function") {
    throw unavailableOption(
      "reusePort",
      "Deno",
      "Deno.listen takes it only with --unstable-net (or \"unstable\": [\"net\"] in deno.json)",
    );
  }
}

/** Binds as `options` say: a unix socket, or TCP on the host (default `::`, then `0.0.0.0`). */
function bindFor(options: ListenOptions, tls: DenoTls | undefined): DenoListener {
  checkListenOptions(options);
  if (options.path !== undefined) {
    if (tls !== undefined) throw unavailableOption("path", "Deno", "Deno.listenTls serves TCP only, not unix sockets");
    let listener: DenoListener;
    try {
      listener = Deno.listen({ transport: "unix", path: options.path });
    } catch (e) {
      throw normaliseListenError(e);
    }
    try {
      chmodAll(options.path, options.readableAll, options.writableAll);
    } catch (e) {
      listener.close();
      throw e;
    }
    return listener;
  }
  if (options.host !== undefined) return bind(options.host, options, tls);
  try {
    return bind("::", options, tls);
  } catch {
    // No IPv6 (as Node's net falls back): any failure on `::` retries on IPv4.
    return bind("0.0.0.0", options, tls);
  }
}

/**
 * A {@link Transport} on `Deno.listen`.
 *
 * Each accepted connection gets a read loop (64 KiB at most per read, the bytes copied out of
 * the reused read buffer before `onData`), a write queue with a 64 KiB high-water mark and
 * `setNoDelay(true)`. A peer FIN becomes `onEnd()` with the connection still writable. Without
 * `options.host` it binds `::` (dual-stack) and falls back to `0.0.0.0`, as Node does, not
 * Deno's default `0.0.0.0`. `listen` rejects with Deno's error, whose `code` is Node's
 * (`"EADDRINUSE"` for a busy port or an existing socket file). `options.path` binds a unix
 * socket (`readableAll`/`writableAll` chmod it, as libuv does; closing removes the file);
 * `backlog` becomes `tcpBacklog` and `reusePort` is passed on (it needs `--unstable-net`).
 * `ipv6Only`, `fd`, `handle` and a unix socket's `backlog` are refused: Deno has no way to
 * do them.
 *
 * @example
 * ```ts
 * import { denoTransport } from "./adapters/deno-transport.ts";
 * const listener = await denoTransport.listen({ port: 0 }, (handle) => ({
 *   onData: (chunk) => handle.write(chunk), // echo
 *   onEnd: () => handle.end(),
 *   onDrain: () => {},
 *   onClose: () => {},
 * }));
 * await listener.close();
 * ```
 */
export const denoTransport: Transport = createDenoTransport();

/**
 * A {@link Transport} on `Deno.listen`, or, given node:tls server options, on
 * `Deno.listenTls`: each connection reaches the core after its handshake (closed if it has not
 * finished within `handshakeTimeout`, 120 s as Node's), its handle `encrypted`. Options Deno
 * cannot do throw here, by name (see `denoTlsOptions`).
 *
 * @example
 * ```ts
 * import { createDenoTransport } from "./adapters/deno-transport.ts";
 * const plain = createDenoTransport(); // the same as denoTransport
 * console.log(typeof plain.listen); // function
 * ```
 */
export function createDenoTransport(tlsOptions?: TlsServerOptions): Transport {
  const tls = tlsOptions === undefined ? undefined : denoTlsOptions(tlsOptions);
  return {
    unsupported: { keepAliveInitialDelay: NO_KEEP_ALIVE_DELAY },
    listen: (options, onConnection) => listen(options, onConnection, tls),
  };
}

// Synchronous: Deno.listen binds (or throws) at once, so server.address() works right after
// server.listen(), as on Node.
function listen(options: ListenOptions, onConnection: OnConnection, tls: DenoTls | undefined): Listener {
  const listener = bindFor(options, tls);
  const addr = listener.addr;
  // Deno.UnixListener#close() removes the socket file, as Node's server.close() does.
  const address: AddressInfo | string = addr.transport === "unix"
    ? addr.path ?? options.path!
    : { address: addr.hostname!, family: familyOf(addr.hostname!), port: addr.port! };

  let closed = false;
  const acceptLoop = (async () => {
    let backoff = 0;
    while (!closed) {
      let conn: DenoConn;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (closed) return;
        // Deno 2.9.6: a connection reset before it was accepted fails accept() with
        // NotConnected (os error 107); that says nothing about the listener: go on at once
        // (backing off here let one reset a second stall all new connections).
        const name = (e as Error)?.name;
        if (name === "NotConnected" || name === "ConnectionReset" || name === "ConnectionAborted") continue;
        // Anything else (EMFILE and the like): keep listening, as Node does, but do not spin.
        backoff = Math.min(backoff === 0 ? 10 : backoff * 2, 1000);
        await new Promise((r) => setTimeout(r, backoff));
        continue;
      }
      backoff = 0;
      if (closed) {
        try {
          conn.close();
        } catch {
          // ignore
        }
        return;
      }
      if (tls === undefined) accepted(new DenoTcpHandle(conn), onConnection);
      else handshake(conn, onConnection, tls.handshakeTimeout);
    }
  })();

  return {
    address,
    async close(): Promise<void> {
      if (closed) return acceptLoop;
      closed = true;
      try {
        listener.close();
      } catch {
        // Already closed.
      }
      // The pending accept() rejects with BadResource; wait for it so no op is left behind
      // (Deno's test sanitizers count pending ops).
      await acceptLoop;
    },
    ref: () => {
      if (!closed) listener.ref();
    },
    unref: () => {
      if (!closed) listener.unref();
    },
  };
}

/** A TLS conn goes to the core once its handshake is done; a failed one is closed. */
function handshake(conn: DenoConn, onConnection: OnConnection, timeoutMs: number): void {
  const timer = setTimeout(() => closeQuietly(conn), timeoutMs);
  conn.handshake!().then(
    (info) => {
      clearTimeout(timer);
      accepted(new DenoTlsHandle(conn, info.alpnProtocol), onConnection);
    },
    () => {
      // A client that failed the handshake (or the timeout's close): nothing reached HTTP.
      clearTimeout(timer);
      closeQuietly(conn);
    },
  );
}

function closeQuietly(conn: DenoConn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

function accepted(handle: DenoTcpHandle, onConnection: OnConnection): void {
  handle.setNoDelay(true);
  if (handOver(handle, onConnection)) handle.start();
}
