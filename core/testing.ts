/**
 * An in-memory transport and a virtual clock: drive a server with no socket and no waiting.
 *
 * The memory transport keeps the {@link TcpHandle} contract exactly (writes never drop,
 * `false` above the high-water mark then `onDrain`, `pause`/`resume`, half-close, destroy), so
 * a server behaves on it as on a real socket, and it doubles as the smallest example of a
 * transport of your own. Delivery is synchronous: `client.send()` runs the server's parser
 * before it returns; responses written from microtasks arrive after `await client.settle()`.
 *
 * @module
 */

import { concatBytes, latin1Decode, latin1Encode } from "./_bytes.ts";
import { unavailableOption } from "./errors.ts";
import type {
  AddressInfo,
  Clock,
  ConnectionSink,
  Listener,
  ListenOptions,
  OnConnection,
  TcpHandle,
  Transport,
} from "./transport.ts";

/** Options of a memory client. */
export interface MemoryClientOptions {
  /** Bytes the server may queue to this client before `write()` returns false. */
  highWaterMark?: number;
  /** Start with reading paused (the server's writes queue up until `read()`). */
  paused?: boolean;
  /** The peer address the server sees. Default `"127.0.0.1"`. */
  remoteAddress?: string;
  /** The peer port the server sees. Default 40000. */
  remotePort?: number;
}

/** The client end of an in-memory connection. */
export class MemoryClient {
  #sink: ConnectionSink | null = null;
  #received: Uint8Array[] = [];
  #queued: Uint8Array[] = [];
  #queuedBytes = 0;
  #inbound: Uint8Array[] = [];
  #serverPaused = false;
  #needDrain = false;
  #readPaused: boolean;
  #hwm: number;
  #closeResolve!: () => void;
  /** The server sent FIN (it called `end()`). */
  ended = false;
  /** The server destroyed the connection (a reset, from the client's point of view). */
  reset = false;
  /** The connection is gone. */
  isClosed = false;
  /** Resolves when the connection is gone. */
  readonly closed: Promise<void>;
  /** The handle the server sees. */
  readonly handle: TcpHandle;

  /** A client not yet connected (`MemoryTransport.connect()` makes and connects one). */
  constructor(options: MemoryClientOptions = {}) {
    this.#hwm = options.highWaterMark ?? 64 * 1024;
    this.#readPaused = options.paused ?? false;
    this.closed = new Promise((r) => (this.#closeResolve = r));
    let ending = false;
    const client = this;
    this.handle = {
      remoteAddress: options.remoteAddress ?? "127.0.0.1",
      remotePort: options.remotePort ?? 40000,
      remoteFamily: "IPv4",
      localAddress: "127.0.0.1",
      localPort: 80,
      write(chunk) {
        if (ending || client.isClosed) return false;
        return client.#fromServer(chunk);
      },
      writev(chunks) {
        if (ending || client.isClosed) return false;
        let ok = true;
        for (const c of chunks) ok = client.#fromServer(c);
        return ok;
      },
      end() {
        if (ending || client.isClosed) return;
        ending = true;
        client.#serverEnd();
      },
      destroy(error) {
        if (client.isClosed) return;
        client.reset = true;
        client.#close(error);
      },
      pause() {
        client.#serverPaused = true;
      },
      resume() {
        client.#serverPaused = false;
        client.#deliver();
      },
      setNoDelay(noDelay = true) {
        client.socketCalls.push(["setNoDelay", noDelay]);
      },
      setKeepAlive(enable = false, initialDelayMs = 0) {
        client.socketCalls.push(["setKeepAlive", enable, initialDelayMs]);
      },
      setHighWaterMark(bytes) {
        client.socketCalls.push(["setHighWaterMark", bytes]);
        client.#hwm = bytes;
      },
    };
  }

  /**
   * The socket-option calls the server made on this connection's handle, in order
   * (`["setNoDelay", false]`, `["setKeepAlive", true, 1000]`, `["setHighWaterMark", 1024]`).
   */
  readonly socketCalls: [string, ...(boolean | number)[]][] = [];

  /** @internal */
  _attach(sink: ConnectionSink): void {
    this.#sink = sink;
  }

  /** Send bytes to the server (strings as ISO-8859-1, one byte per code unit). */
  send(data: string | Uint8Array): void {
    if (this.isClosed) throw new Error("Cannot send: the connection is closed");
    // Copy: the core owns what it is given, and a test may reuse its array.
    this.#inbound.push(typeof data === "string" ? latin1Encode(data) : data.slice());
    this.#deliver();
  }

  /** Half-close: the server sees `onEnd()`. */
  end(): void {
    if (this.isClosed) return;
    this.#inbound.push(new Uint8Array(0));
    this.#deliver();
  }

  /** Reset the connection from the client side. */
  destroy(): void {
    if (this.isClosed) return;
    this.#close(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
  }

  /** Everything received so far, as bytes. */
  received(): Uint8Array {
    return concatBytes(this.#received);
  }

  /** Everything received so far, decoded as ISO-8859-1 (byte-exact). */
  text(): string {
    const all = this.received();
    return latin1Decode(all, 0, all.byteLength);
  }

  /** Forget what was received so far. */
  clear(): void {
    this.#received = [];
  }

  /** Stop taking bytes from the server: its writes queue up and report backpressure. */
  pauseReading(): void {
    this.#readPaused = true;
  }

  /** Take every queued byte (and keep reading): the server sees `onDrain()` if it waited. */
  resumeReading(): void {
    this.#readPaused = false;
    this.#flushQueued();
  }

  /**
   * Read at most `maxBytes` of what the server queued (a slow reader); the server sees
   * `onDrain()` once the queue falls below the high-water mark.
   */
  read(maxBytes: number): number {
    let taken = 0;
    while (this.#queued.length > 0 && taken < maxBytes) {
      const c = this.#queued[0];
      const n = Math.min(c.byteLength, maxBytes - taken);
      this.#received.push(c.subarray(0, n));
      if (n === c.byteLength) this.#queued.shift();
      else this.#queued[0] = c.subarray(n);
      taken += n;
    }
    this.#queuedBytes -= taken;
    if (this.#needDrain && this.#queuedBytes < this.#hwm) {
      this.#needDrain = false;
      this.#sink?.onDrain();
    }
    return taken;
  }

  /** True while the server has paused reading from this client. */
  get serverPaused(): boolean {
    return this.#serverPaused;
  }

  /** Bytes this client sent that the server has not taken yet (it paused reading). */
  get unreadBytes(): number {
    let n = 0;
    for (const c of this.#inbound) n += c.byteLength;
    return n;
  }

  /** Bytes the server wrote that this client has not read yet. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Let pending microtasks (response `'finish'`, stream flow) run. */
  async settle(turns = 50): Promise<void> {
    for (let i = 0; i < turns; i++) await Promise.resolve();
  }

  #fromServer(chunk: Uint8Array): boolean {
    const copy = chunk.slice();
    if (this.#readPaused) {
      this.#queued.push(copy);
      this.#queuedBytes += copy.byteLength;
      if (this.#queuedBytes >= this.#hwm) {
        this.#needDrain = true;
        return false;
      }
      return true;
    }
    this.#received.push(copy);
    return true;
  }

  #flushQueued(): void {
    this.#received.push(...this.#queued);
    this.#queued = [];
    this.#queuedBytes = 0;
    if (this.#needDrain) {
      this.#needDrain = false;
      this.#sink?.onDrain();
    }
  }

  #deliver(): void {
    while (!this.#serverPaused && this.#inbound.length > 0 && !this.isClosed && this.#sink) {
      const chunk = this.#inbound.shift()!;
      if (chunk.byteLength === 0) this.#sink.onEnd();
      else this.#sink.onData(chunk);
    }
  }

  #serverEnd(): void {
    // Flush, FIN, close: what a socket's end() does once the peer has read everything.
    if (!this.#readPaused) this.#flushQueued();
    this.ended = true;
    queueMicrotask(() => this.#close());
  }

  #close(error?: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.#sink?.onClose(error);
    this.#closeResolve();
  }
}

/** A transport whose connections are {@link MemoryClient}s. */
export interface MemoryTransport extends Transport {
  /** Open a connection to the listening server. */
  connect(options?: MemoryClientOptions): Promise<MemoryClient>;
  /** Open a connection synchronously (the server must be listening already). */
  connectSync(options?: MemoryClientOptions): MemoryClient;
}

/**
 * Create an in-memory transport.
 *
 * @example
 * ```ts
 * import { createMemoryTransport, createServer } from "@anyhttp/anyhttp/core";
 * const transport = createMemoryTransport();
 * const server = createServer({ transport }, (_req, res) => res.end("ok"));
 * server.listen(0, async () => {
 *   const client = await transport.connect();
 *   client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
 *   await client.settle();
 *   console.log(client.text().endsWith("\r\n\r\nok")); // true
 *   server.close();
 *   server.closeAllConnections();
 * });
 * ```
 */
export function createMemoryTransport(): MemoryTransport {
  let accept: OnConnection | null = null;
  const address: AddressInfo = { address: "127.0.0.1", family: "IPv4", port: 80 };
  const transport: MemoryTransport = {
    listen(options: ListenOptions, onConnection: OnConnection): Promise<Listener> {
      // Socket options have no meaning without a socket: refused, not ignored.
      for (const k of ["ipv6Only", "exclusive", "reusePort", "readableAll", "writableAll", "fd", "handle"] as const) {
        if (options[k] !== undefined) throw unavailableOption(k, "the memory transport", "it has no socket");
      }
      if (accept) return Promise.reject(Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE" }));
      accept = onConnection;
      const port = options.port || 80;
      return Promise.resolve({
        // A path names the listener as a unix socket's would (nothing is created).
        address: options.path ?? { ...address, port },
        close: () => {
          accept = null;
          return Promise.resolve();
        },
      });
    },
    connectSync(options?: MemoryClientOptions): MemoryClient {
      if (!accept) throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      const client = new MemoryClient(options);
      client._attach(accept(client.handle));
      return client;
    },
    connect(options?: MemoryClientOptions): Promise<MemoryClient> {
      try {
        return Promise.resolve(transport.connectSync(options));
      } catch (e) {
        return Promise.reject(e);
      }
    },
  };
  return transport;
}

/**
 * A clock that moves only when told to. Timers fire in order during `advance()`.
 *
 * @example
 * ```ts
 * import { VirtualClock } from "@anyhttp/anyhttp/core";
 * const clock = new VirtualClock(0);
 * clock.setTimeout(() => console.log("fired at", clock.now()), 1000);
 * clock.advance(1500); // logs "fired at 1000"
 * ```
 */
export class VirtualClock implements Clock {
  #now: number;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #nextId = 1;

  /** `start`: ms since the epoch. Default 2026-01-01T00:00:00Z. */
  constructor(start: number = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }
  /** The virtual time, ms since the epoch: moves only with `advance()`. */
  now(): number {
    return this.#now;
  }
  /** Call `fn` once the virtual time has advanced by `ms`. */
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }
  /** Cancel a pending virtual timer. */
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }
  /** Number of pending timers. */
  get pending(): number {
    return this.#timers.size;
  }
  /** Move time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    while (true) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.#timers) if (e[1].at <= end && (!due || e[1].at < due[1].at)) due = e;
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].fn();
    }
    this.#now = end;
  }
}
