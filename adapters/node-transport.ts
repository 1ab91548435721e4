/**
 * The `node:net` transport: anyhttp's {@link Transport} contract on a `net.Server`.
 *
 * This module owns the mapping from a Node `net.Socket` (push-style, buffered writes with a
 * boolean + `'drain'`) to the core's {@link TcpHandle} / {@link ConnectionSink} pair. It carries
 * bytes only: no HTTP here. Node's stream machinery already keeps the write queue and the
 * high-water mark (16 KiB on Node 20, 64 KiB on Node ≥ 22), so this adapter mostly forwards.
 *
 * Node quirks seen on Node 20.20.2:
 * - `net.Socket`'s `onread: { buffer, callback }` (reads into one reused buffer, skipping the
 *   Readable machinery; what node:http gets by feeding its parser from the handle) is only a
 *   constructor option: `net.Server` builds accepted sockets itself without it, so this adapter
 *   uses `'data'` events (one fresh Buffer per read, no copy needed).
 *
 * It also runs on Deno and Bun through their `node:net` implementations (tested on Deno 2.9.6
 * and Bun 1.4.5 by `tests/transports.test.ts`), but the native adapters
 * (`deno-transport.ts`, `bun-transport.ts`) are the ones meant for those runtimes.
 *
 * @module
 */

import * as net from "node:net";
import * as tls from "node:tls";
import type {
  AddressInfo,
  ConnectionSink,
  Listener,
  ListenOptions,
  OnConnection,
  TcpHandle,
  TlsSession,
  Transport,
} from "../core/transport.ts";
import { unavailableOption } from "../core/errors.ts";
import { NO_SINK } from "./_shared.ts";

/**
 * One accepted `net.Socket` seen as a {@link TcpHandle}.
 *
 * Address getters read through to the socket lazily: Node caches `getpeername` /
 * `getsockname` results on the socket, so they keep answering after the socket closed if they
 * were read once while it was open.
 */
class NodeTcpHandle implements TcpHandle {
  /** `end()` or `destroy()` was called: later writes are ignored. */
  private done = false;
  /** The first error the socket reported, handed to `onClose`. */
  error: Error | undefined = undefined;
  /** The core's callbacks; the no-op sink until `onConnection` returned. */
  sink: ConnectionSink = NO_SINK;

  constructor(private readonly socket: net.Socket) {}

  // Getters, not fields: fewer fields in every connection's handle. A TLSSocket (from
  // node:tls) says `encrypted`, and is itself the session record the core reads.
  get encrypted(): boolean {
    return (this.socket as tls.TLSSocket).encrypted === true;
  }
  get tls(): TlsSession | undefined {
    return (this.socket as tls.TLSSocket).encrypted === true ? (this.socket as unknown as TlsSession) : undefined;
  }
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }
  get remoteFamily(): string | undefined {
    return this.socket.remoteFamily;
  }
  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }
  get localPort(): number | undefined {
    return this.socket.localPort;
  }

  write(chunk: Uint8Array): boolean {
    const s = this.socket;
    // Node would emit ERR_STREAM_WRITE_AFTER_END / ERR_STREAM_DESTROYED here; the contract says
    // "ignored", so the adapter checks first and never lets those errors happen.
    if (this.done || s.destroyed || s.writableEnded) return false;
    return s.write(chunk);
  }

  writev(chunks: Uint8Array[]): boolean {
    const s = this.socket;
    if (this.done || s.destroyed || s.writableEnded) return false;
    if (chunks.length === 1) return s.write(chunks[0]!);
    // cork/uncork turns the writes into one writev(2) through the stream's _writev.
    s.cork();
    let ok = true;
    for (const c of chunks) ok = s.write(c);
    s.uncork();
    return ok;
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    const s = this.socket;
    if (s.destroyed) return;
    // What Node's socket.destroySoon() does (written out because that method is not public
    // API and the Deno/Bun node:net shims need not have it): flush, FIN, then close the fd
    // once the FIN is out. With allowHalfOpen the socket would otherwise stay open for reading
    // until the peer closes too.
    s.end();
    if (s.writableFinished) s.destroy();
    else s.once("finish", destroyThis);
  }

  destroy(error?: Error): void {
    this.done = true;
    const s = this.socket;
    if (s.destroyed) return;
    // destroy(err) emits 'error' (recorded by the adapter's listener) then 'close'.
    s.destroy(error);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  setNoDelay(noDelay = true): void {
    this.socket.setNoDelay(noDelay);
  }

  setKeepAlive(enable = false, initialDelayMs = 0): void {
    this.socket.setKeepAlive(enable, initialDelayMs);
  }

  /**
   * What `net.Server`'s `highWaterMark` option gives each socket it creates, set per socket:
   * the server's options do not reach `listen()`.
   */
  setHighWaterMark(bytes: number): void {
    const s = this.socket as net.Socket & { _writableState?: { highWaterMark: number }; _readableState?: { highWaterMark: number } };
    if (s._writableState) s._writableState.highWaterMark = bytes;
    if (s._readableState) s._readableState.highWaterMark = bytes;
  }

  ref(): void {
    this.socket.ref();
  }

  unref(): void {
    this.socket.unref();
  }
}

/**
 * Where each accepted socket keeps its handle. The socket's listeners below are shared module
 * functions that find their handle through it (Node calls a listener with `this` = the
 * emitter): five closures per connection would stay on every idle keep-alive connection's
 * heap, where one property fits in the spare slots of the socket's property array.
 */
const kHandle = Symbol("anyhttp.handle");
type WiredSocket = net.Socket & { [kHandle]: NodeTcpHandle };

// An unhandled 'error' on an EventEmitter throws: record it instead; 'close' follows and
// carries it to onClose (ECONNRESET, EPIPE, ETIMEDOUT, or the error given to destroy()).
function onSocketError(this: WiredSocket, err: Error): void {
  this[kHandle].error ??= err;
}
function onSocketClose(this: WiredSocket): void {
  const handle = this[kHandle];
  handle.sink.onClose(handle.error);
}
// Node hands out a fresh Buffer per read (a Uint8Array): no copy needed.
function onSocketData(this: WiredSocket, chunk: Buffer): void {
  this[kHandle].sink.onData(chunk);
}
function onSocketEnd(this: WiredSocket): void {
  this[kHandle].sink.onEnd();
}
function onSocketDrain(this: WiredSocket): void {
  this[kHandle].sink.onDrain();
}

function wire(socket: net.Socket, onConnection: OnConnection): void {
  const handle = new NodeTcpHandle(socket);
  (socket as WiredSocket)[kHandle] = handle;
  socket.on("error", onSocketError);
  socket.on("close", onSocketClose);
  // `net.createServer({ noDelay: true })` already did this on Node (and the call is then a
  // no-op there); it is repeated for node:net shims that ignore the server option.
  socket.setNoDelay(true);
  try {
    handle.sink = onConnection(handle);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  socket.on("data", onSocketData);
  socket.on("end", onSocketEnd);
  socket.on("drain", onSocketDrain);
}

function destroyThis(this: net.Socket): void {
  this.destroy();
}

function toAddress(a: ReturnType<net.Server["address"]>, options: ListenOptions): AddressInfo | string {
  if (a !== null && typeof a === "object") {
    return { address: a.address, family: String(a.family), port: a.port };
  }
  // A unix socket listener: its path, as net.Server#address() gives it.
  return a ?? options.path ?? "";
}

/** `[major, minor]` of the Node running this, or undefined under Deno and Bun. */
function nodeVersion(): [number, number] | undefined {
  if ("Deno" in globalThis || "Bun" in globalThis) return undefined;
  const [major, minor] = process.versions.node.split(".").map(Number);
  return [major!, minor!];
}

/**
 * Refuses the listen options that the `node:net` running this would accept and ignore:
 * checked on Node 20.20.2, Deno 2.9.6's and Bun 1.4.5's node:net (tests/listen.test.ts).
 */
function checkListenOptions(options: ListenOptions): void {
  const version = nodeVersion();
  if (version !== undefined) {
    // net.Server#listen reads `reusePort` from Node 22.12 / 23.1 on; Node 20 drops it.
    const [major, minor] = version;
    if (options.reusePort !== undefined && !(major > 22 || (major === 22 && minor >= 12))) {
      throw unavailableOption("reusePort", `Node ${process.versions.node}`, "node:net takes it from Node 22.12 on");
    }
    return;
  }
  const where = "Deno" in globalThis ? "Deno's node:net" : "Bun's node:net";
  const refused: Partial<Record<keyof ListenOptions, string>> = "Deno" in globalThis
    ? {
      ipv6Only: "it binds dual-stack anyway (an IPv4 client is served); use anyhttp/deno",
      readableAll: "it sets the socket file's mode to 0666 instead of adding read bits; use anyhttp/deno",
      writableAll: "it sets the socket file's mode to 0666 instead of adding write bits; use anyhttp/deno",
      fd: "it cannot listen on a file descriptor",
      handle: "it cannot listen on another server's handle",
    }
    : {
      backlog: "it ignores it (the listen queue stays 512)",
      fd: "it cannot listen on a file descriptor",
      handle: "it cannot listen on another server's handle",
    };
  for (const [option, why] of Object.entries(refused)) {
    if (options[option as keyof ListenOptions] !== undefined) throw unavailableOption(option, where, why);
  }
}

/** What `net.Server#listen` gets: the caller's options as Node names them (all Node's). */
function netListenOptions(options: ListenOptions): net.ListenOptions | net.Server {
  // listen(handle): a net.Server or Socket with a `_handle`, or `{ fd }`, handed on as is.
  if (options.handle !== undefined) return options.handle as net.Server;
  const { port, host, path, backlog, ipv6Only, exclusive, reusePort, readableAll, writableAll, fd } = options;
  if (fd !== undefined) return { fd, backlog, exclusive } as net.ListenOptions;
  if (path !== undefined) return { path, backlog, exclusive, readableAll, writableAll };
  // host undefined: Node's own default (`::`, or `0.0.0.0` where IPv6 is unavailable).
  return { port: port ?? 0, host, backlog, ipv6Only, exclusive, ...(reusePort !== undefined ? { reusePort } : {}) };
}

/**
 * A {@link Transport} on `node:net`.
 *
 * The server is created with `allowHalfOpen: true` (a peer FIN becomes `onEnd()` and the
 * connection stays writable, as Node's http server does) and `noDelay: true`. Without
 * `options.host` it listens as Node does: on `::` (dual-stack), falling back to `0.0.0.0`.
 * `listen` rejects with the runtime's own error object (for a busy port, `code ===
 * "EADDRINUSE"`).
 *
 * @example
 * ```ts
 * import { nodeTransport } from "./adapters/node-transport.ts";
 * const listener = await nodeTransport.listen({ port: 0 }, (handle) => ({
 *   onData: (chunk) => handle.write(chunk), // echo
 *   onEnd: () => handle.end(),
 *   onDrain: () => {},
 *   onClose: () => {},
 * }));
 * console.log(listener.address.port);
 * await listener.close();
 * ```
 */
export const nodeTransport: Transport = createNodeTransport();

/**
 * A {@link Transport} on `node:net`, or, given `tlsOptions`, on `node:tls` (what
 * `https.createServer` takes for TLS: `key`, `cert`, `ca`, `pfx`, `SNICallback`, ...): each
 * connection reaches the core after its handshake (`'secureConnection'`), its handle
 * `encrypted`, with the `TLSSocket` as its {@link TlsSession}. Node checks the options at once.
 *
 * @example
 * ```ts
 * import { createNodeTransport } from "./adapters/node-transport.ts";
 * const plain = createNodeTransport(); // the same as nodeTransport
 * console.log(typeof plain.listen); // function
 * ```
 */
export function createNodeTransport(tlsOptions?: tls.TlsOptions): Transport {
  // A secure context made now, so a bad key or certificate throws at createServer, as Node.
  if (tlsOptions !== undefined) tls.createSecureContext(tlsOptions);
  return {
    listen: (options, onConnection) => listen(options, onConnection, tlsOptions),
  };
}

function listen(
  options: ListenOptions,
  onConnection: OnConnection,
  tlsOptions: tls.TlsOptions | undefined,
): Listener | Promise<Listener> {
  checkListenOptions(options);
  let server: net.Server;
  if (tlsOptions === undefined) {
    server = net.createServer({ allowHalfOpen: true, noDelay: true });
    server.on("connection", (socket: net.Socket) => wire(socket, onConnection));
  } else {
    server = tls.createServer({ ...tlsOptions, allowHalfOpen: true, noDelay: true } as tls.TlsOptions);
    server.on("secureConnection", (socket: tls.TLSSocket) => wire(socket, onConnection));
  }
  let listener: Listener | undefined;
  const bound = (): Listener => {
    // After listening, a net.Server only emits 'error' for a failed accept (EMFILE and
    // the like); Node keeps listening afterwards. Without a listener that would crash the
    // process, so it is dropped here: the server goes on accepting.
    server.on("error", () => {});
    let closed = false;
    return (listener ??= {
      address: toAddress(server.address(), options),
      close(): Promise<void> {
        if (!closed) {
          closed = true;
          // Closes the listening socket now; net's 'close' event (and close()'s callback)
          // would wait for every established connection, which this contract leaves alone.
          server.close();
        }
        return Promise.resolve();
      },
      ref: () => void server.ref(),
      unref: () => void server.unref(),
    });
  };
  const pending = new Promise<Listener>((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off("listening", onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off("error", onError);
      resolve(bound());
    };
    server.once("error", onError);
    server.once("listening", onListening);
  });
  server.listen(netListenOptions(options));
  // Node 20.20.2: for an IP address (or no host), a unix socket path, an fd or a handle the
  // bind happens inside listen(), so the address is known now; a bind error (EADDRINUSE)
  // leaves it null and arrives as 'error' on the next tick. A hostname needs a DNS lookup
  // first: then we wait.
  // `listening`, not `address()`: for a unix socket address() gives the path even when the
  // bind failed.
  if (server.listening) {
    pending.catch(() => {});
    return bound();
  }
  return pending;
}

