/**
 * `Server`: Node's `http.Server` over any {@link Transport}.
 *
 * It owns: options and their defaults (Node's names), `listen()` in Node's argument forms, the
 * set of live connections, the one coarse timer that sweeps them for timeouts (no timer per
 * connection), `close()` and friends, and the server events (`request`, `connection`,
 * `clientError`, `listening`, `close`, `error`). It must not know any runtime: the transport
 * and the clock are injected.
 *
 * @module
 */

import { EventEmitter } from "./_events.ts";
import { Connection } from "./connection.ts";
import type { ConnectionHost } from "./connection-host.ts";
import { BATCH_LIMIT } from "./wire.ts";
import type { RemoteProtocolError } from "./errors.ts";
import { rangeError, typeError } from "./errors.ts";
import { IncomingMessage } from "./incoming-message.ts";
import { type ResponseOwner, ServerResponse } from "./server-response.ts";
import type { HandOff, Socket } from "./socket.ts";
import {
  type AddressInfo,
  type Clock,
  type ConnectionSink,
  type Listener,
  type ListenOptions,
  systemClock,
  type TcpHandle,
  type Transport,
} from "./transport.ts";
import { defer } from "./_tick.ts";
import { maxHeaderSize } from "./methods.ts";

/** The request handler: Node's `(req, res) => void`. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Options of `createServer()`: Node's names and defaults, plus the injected seams. */
export interface ServerOptions {
  /** How connections arrive. The runtime entry points (`anyhttp`, `anyhttp/node`, ...) set it. */
  transport?: Transport;
  /** Time source for `Date` and timeouts (tests pass a virtual clock). */
  clock?: Clock;
  /** Idle time after a response before a keep-alive connection is closed. 5 s: Node's default. */
  keepAliveTimeout?: number;
  /**
   * Extra idle time past `keepAliveTimeout` before the server closes, so a client that reuses
   * the connection just before its own timer fires does not race the close. 1 s: Node 24's
   * default for the same option.
   */
  keepAliveTimeoutBuffer?: number;
  /** Largest request body accepted, in bytes; over it: 413. Default: no limit. */
  maxRequestBodySize?: number;
  /** Requests per connection; the last response says `Connection: close`. 0: no limit. */
  maxRequestsPerSocket?: number;
  /** Time allowed to receive a request head. 60 s: Node's default. */
  headersTimeout?: number;
  /** Time allowed to receive a whole request. 300 s: Node's default. */
  requestTimeout?: number;
  /** Bytes of request-target + header fields. 16 KiB: Node's default (tomcat 8, IIS 16). */
  maxHeaderSize?: number;
  /** Header lines kept per request. 2000: Node's default. */
  maxHeadersCount?: number;
  /** Answer HTTP/1.1 requests without `Host` with 400 (RFC 9112 §3.2). Default true, as Node. */
  requireHostHeader?: boolean;
  /** Join every duplicate header with `, ` instead of Node's per-field rules. Default false. */
  joinDuplicateHeaders?: boolean;
  /**
   * How often the sweep checks timeouts, ms. Node checks every 30 s, so a 2 s headersTimeout
   * fires up to 30 s late. Default: a twentieth of the shortest timeout in force, between
   * 50 ms and 1 s, so every timeout fires within 5–10 % of its value (idle servers tick rarely).
   */
  connectionsCheckingInterval?: number;
  /**
   * Parse with llhttp's lenient flags that Node's `insecureHTTPParser` sets, except those that
   * open request smuggling (see `LENIENT_INSECURE` in `core/parser/llhttp.ts`). Default false.
   */
  insecureHTTPParser?: boolean;
  /**
   * Node 24's header-value validation level. Only `"strict"` (the default) is supported: the
   * llhttp build inside has no relaxed header-value mode, and anyhttp does not relax response
   * header validation (use `insecureHTTPParser` for lenient request parsing).
   */
  httpValidation?: "strict" | "relaxed" | "insecure";
  /**
   * Response headers sent once: an array value of one of these is joined with `; ` into one
   * field line (Node's option). Names in any case.
   */
  uniqueHeaders?: readonly (string | readonly string[])[];
  /**
   * The high-water mark, in bytes, of every connection's reads and writes: a request body
   * buffer above it pauses reading, `res.write()` returns false above it, and `req`/`res`
   * report it as `readableHighWaterMark`/`writableHighWaterMark`. Default 16 KiB (Node 20's).
   */
  highWaterMark?: number;
  /** `write()` to a response that has no body (HEAD, 1xx, 204, 304) throws instead of being ignored. */
  rejectNonStandardBodyWrites?: boolean;
  /** Disable Nagle's algorithm on each connection (`setNoDelay`). Default true, as Node 18+. */
  noDelay?: boolean;
  /** Enable TCP keep-alive probes on each connection (`setKeepAlive`). Default false. */
  keepAlive?: boolean;
  /** Idle time before the first keep-alive probe, ms (with `keepAlive`). Default 0: the system's. */
  keepAliveInitialDelay?: number;
  /**
   * Node 24: whether an `Upgrade` request is handed to `'upgrade'` listeners (true) or served
   * as an ordinary request (false). Called with the request, `this` the server. Default: true
   * when there is an `'upgrade'` listener. CONNECT is always handed off.
   */
  shouldUpgradeCallback?: (this: Server, req: IncomingMessage) => boolean;
  /**
   * Node 24: a request with neither `Content-Length` nor `Transfer-Encoding` is ended and
   * closed at once, without `'data'`, `'end'` or `'close'` events. Default false.
   */
  optimizeEmptyRequests?: boolean;
  /** Class used for requests (Node's option). */
  IncomingMessage?: typeof IncomingMessage;
  /** Class used for responses (Node's option). */
  ServerResponse?: typeof ServerResponse;
  /**
   * Builds the socket handed to `'upgrade'` and `'connect'` listeners from the core socket.
   * The runtime entry points pass one that is the runtime's `node:stream` Duplex; without it
   * the listener gets the core {@link Socket}.
   */
  handOff?: HandOff;
}

type ListenCallback = () => void;

/** Node's default `shouldUpgradeCallback`: hand off when someone listens for `'upgrade'`. */
function defaultShouldUpgrade(this: Server): boolean {
  return this.listenerCount("upgrade") > 0;
}

/** The sink for a connection refused over `maxConnections`: it is already destroyed. */
const DROPPED: ConnectionSink = { onData() {}, onEnd() {}, onDrain() {}, onClose() {} };

function boolean(name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== "boolean") {
    throw typeError("ERR_INVALID_ARG_TYPE", `The "options.${name}" property must be of type boolean. Received ${typeof v}`);
  }
  return v;
}

/** An option this server cannot honour: thrown from the constructor (see Transport.unsupported). */
function unsupported(name: string, why: string): Error {
  return Object.assign(new Error(`Cannot use option "${name}": ${why}`), { code: "ERR_OPTION_NOT_SUPPORTED", option: name });
}

function positive(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || Number.isNaN(v) || v < 0) {
    throw rangeError("ERR_OUT_OF_RANGE", `The value of "options.${name}" is out of range. It must be a non-negative number. Received ${String(v)}`);
  }
  return v;
}

/**
 * An HTTP/1.1 server. Use `createServer()` from the runtime entry point (`anyhttp`) for a
 * server on real sockets, or pass `{ transport }` here.
 *
 * @example
 * ```ts
 * import { createServer, createMemoryTransport } from "@anyhttp/anyhttp/core";
 * const transport = createMemoryTransport();
 * const server = createServer({ transport }, (_req, res) => res.end("ok"));
 * server.listen(0, async () => {
 *   const client = await transport.connect();
 *   client.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
 *   await client.closed;
 *   console.log(client.text());
 *   server.close();
 * });
 * ```
 */
export class Server extends EventEmitter implements ConnectionHost {
  /** Idle time after a response before a keep-alive connection is closed, ms (5 s). */
  keepAliveTimeout: number;
  /** Time allowed to receive a request head, ms (60 s). */
  headersTimeout: number;
  /** Time allowed to receive a whole request, ms (300 s; 0 disables). */
  requestTimeout: number;
  /** Bytes of request-target + header fields allowed (16 KiB). */
  maxHeaderSize: number;
  /** Header lines kept per request (2000). */
  maxHeadersCount: number;
  /** Answer HTTP/1.1 requests without `Host` with 400 (default true). */
  requireHostHeader: boolean;
  /** Join every duplicate header with `, ` (default false: Node's per-field rules). */
  joinDuplicateHeaders: boolean;
  /** Idle socket timeout (Node's `server.timeout`); 0 disables. */
  timeout = 0;
  /** Node's `maxRequestsPerSocket`; 0 is unlimited. */
  maxRequestsPerSocket: number;
  keepAliveTimeoutBuffer: number;
  maxRequestBodySize: number;
  /** Refuse connections beyond this many (Node's `maxConnections`); they emit `'drop'`. */
  maxConnections: number = Infinity;
  /** The sweep period when set explicitly (otherwise derived from the timeouts). */
  readonly connectionsCheckingInterval: number | undefined;
  /** Lenient request parsing (Node's `insecureHTTPParser`). */
  readonly insecureHTTPParser: boolean;
  /** `httpValidation` as given (only `"strict"` is accepted). */
  readonly httpValidation: "strict" | undefined;
  /** Reads and writes per connection above this many bytes wait (16 KiB). */
  readonly highWaterMark: number;
  /** @internal Response bytes batched per read (see ConnectionHost.batchLimit). */
  readonly batchLimit: number;
  /** Writes to bodiless responses throw `ERR_HTTP_BODY_NOT_ALLOWED`. */
  readonly rejectNonStandardBodyWrites: boolean;
  /** Nagle's algorithm off on each connection (true). */
  readonly noDelay: boolean;
  /** TCP keep-alive on each connection (false). */
  readonly keepAlive: boolean;
  /** Delay before the first TCP keep-alive probe, ms (0: the system's). */
  readonly keepAliveInitialDelay: number;
  /** Node 24's `shouldUpgradeCallback`: whether an `Upgrade` request is handed off. */
  shouldUpgradeCallback: (this: Server, req: IncomingMessage) => boolean;
  /** Node 24's `optimizeEmptyRequests`. */
  readonly optimizeEmptyRequests: boolean;
  /** @internal Lower-cased `uniqueHeaders`, or null. */
  readonly uniqueHeaders: ReadonlySet<string> | null;

  #transport?: Transport;
  #clock: Clock;
  /** @internal The clock's time at creation (see ConnectionHost.epoch). */
  readonly epoch: number;
  #listener: Listener | null = null;
  #listening = false;
  #closing = false;
  #connections = new Set<Connection>();
  #sweep: unknown = null;
  #closeWaiters: ((err?: Error) => void)[] = [];
  #Req: typeof IncomingMessage;
  #Res: typeof ServerResponse;
  /** @internal */
  readonly handOff: HandOff | undefined;
  #unref = false;
  #highWaterMarkSet: boolean;

  /** `new Server([options][, requestListener])`, as Node's. */
  constructor(options?: ServerOptions | RequestListener, requestListener?: RequestListener) {
    super();
    if (typeof options === "function") {
      requestListener = options;
      options = {};
    }
    const o: ServerOptions = options ?? {};
    if (typeof o !== "object") {
      throw typeError("ERR_INVALID_ARG_TYPE", `The "options" argument must be of type object. Received ${typeof o}`);
    }
    this.#transport = o.transport;
    this.#clock = o.clock ?? systemClock;
    this.epoch = this.#clock.now();
    this.keepAliveTimeout = positive("keepAliveTimeout", o.keepAliveTimeout, 5_000);
    this.keepAliveTimeoutBuffer = positive("keepAliveTimeoutBuffer", o.keepAliveTimeoutBuffer, 1_000);
    this.maxRequestBodySize = positive("maxRequestBodySize", o.maxRequestBodySize, Infinity);
    this.maxRequestsPerSocket = positive("maxRequestsPerSocket", o.maxRequestsPerSocket, 0);
    this.requestTimeout = positive("requestTimeout", o.requestTimeout, 300_000);
    this.headersTimeout = positive("headersTimeout", o.headersTimeout, 60_000);
    if (this.requestTimeout > 0 && this.headersTimeout > this.requestTimeout) {
      throw rangeError(
        "ERR_OUT_OF_RANGE",
        `The value of "headersTimeout" is out of range. It must be <= requestTimeout. Received ${this.headersTimeout}`,
      );
    }
    this.maxHeaderSize = positive("maxHeaderSize", o.maxHeaderSize, maxHeaderSize);
    this.maxHeadersCount = positive("maxHeadersCount", o.maxHeadersCount, 2000);
    this.connectionsCheckingInterval = o.connectionsCheckingInterval === undefined
      ? undefined
      : positive("connectionsCheckingInterval", o.connectionsCheckingInterval, 1_000);
    this.requireHostHeader = boolean("requireHostHeader", o.requireHostHeader, true);
    this.joinDuplicateHeaders = boolean("joinDuplicateHeaders", o.joinDuplicateHeaders, false);
    this.insecureHTTPParser = boolean("insecureHTTPParser", o.insecureHTTPParser, false);
    if (o.httpValidation !== undefined && o.httpValidation !== "strict") {
      throw unsupported(
        "httpValidation",
        `"${String(o.httpValidation)}" is not supported (llhttp 9.3 has no relaxed header-value mode, and anyhttp keeps validating response headers); use insecureHTTPParser for lenient request parsing`,
      );
    }
    this.httpValidation = o.httpValidation;
    // 16 KiB: Node 20's stream default; set explicitly, it also becomes the transport's mark.
    this.highWaterMark = positive("highWaterMark", o.highWaterMark, 16 * 1024);
    this.#highWaterMarkSet = o.highWaterMark !== undefined;
    this.batchLimit = this.#highWaterMarkSet ? Math.min(this.highWaterMark, BATCH_LIMIT) : BATCH_LIMIT;
    this.rejectNonStandardBodyWrites = boolean("rejectNonStandardBodyWrites", o.rejectNonStandardBodyWrites, false);
    // true: Node 18+'s default (Nagle's delay only hurts request/response traffic).
    this.noDelay = boolean("noDelay", o.noDelay, true);
    this.keepAlive = boolean("keepAlive", o.keepAlive, false);
    this.keepAliveInitialDelay = positive("keepAliveInitialDelay", o.keepAliveInitialDelay, 0);
    this.optimizeEmptyRequests = boolean("optimizeEmptyRequests", o.optimizeEmptyRequests, false);
    const upgrade = o.shouldUpgradeCallback;
    if (upgrade !== undefined && typeof upgrade !== "function") {
      throw typeError("ERR_INVALID_ARG_TYPE", `The "options.shouldUpgradeCallback" property must be of type function. Received ${typeof upgrade}`);
    }
    this.shouldUpgradeCallback = upgrade ?? defaultShouldUpgrade;
    // As Node's parseUniqueHeadersOption: anything but an array means none.
    this.uniqueHeaders = Array.isArray(o.uniqueHeaders)
      ? new Set((o.uniqueHeaders as unknown[]).map((n) => String(n).toLowerCase()))
      : null;
    // What the transport says it cannot do (e.g. Deno: no keep-alive probe delay) is refused
    // now, not ignored at the first connection.
    const limits = this.#transport?.unsupported;
    if (limits) {
      for (const name of Object.keys(limits)) {
        const v = (o as Record<string, unknown>)[name];
        if (v !== undefined && v !== false && v !== 0) throw unsupported(name, limits[name]);
      }
    }
    this.#Req = o.IncomingMessage ?? IncomingMessage;
    this.#Res = o.ServerResponse ?? ServerResponse;
    this.handOff = o.handOff;
    if (requestListener) this.on("request", requestListener);
  }

  /** True while accepting connections. */
  get listening(): boolean {
    return this.#listening;
  }

  /**
   * The listener while the server is bound, `null` before and after (Node's `_handle`). Test
   * helpers read it: supertest closes a server at the end of a request only if it is set.
   */
  get _handle(): Listener | null {
    // null from close() on, as in Node, though the listener may still be closing.
    return this.#listening ? this.#listener : null;
  }

  /** Let the listening socket keep the process alive (the default), as `net.Server#ref`. */
  ref(): this {
    this.#unref = false;
    this.#listener?.ref?.();
    return this;
  }

  /**
   * Let the process exit while this server is only listening (open connections still keep it
   * alive), as `net.Server#unref`. Kept across a later `listen()`.
   */
  unref(): this {
    this.#unref = true;
    this.#listener?.unref?.();
    return this;
  }

  /** @internal */
  get closing(): boolean {
    return this.#closing;
  }

  /**
   * Start accepting connections, in Node's forms: `listen(port[, host][, backlog][, callback])`,
   * `listen(path[, backlog][, callback])` (a string that is not a number is a unix socket path),
   * `listen(options[, callback])` with `port`, `host`, `path`, `backlog`, `ipv6Only`,
   * `exclusive`, `reusePort`, `readableAll`, `writableAll`, `signal`, `listen(handle[, backlog]
   * [, callback])` (an object with a listening `_handle`, or `{ fd }`) or `listen([callback])`.
   *
   * Bad arguments, and options the transport cannot do on this runtime, throw at once (Node's
   * `ERR_*` codes); a failed bind (`EADDRINUSE`, `EACCES`) is emitted as `'error'`, as in Node.
   */
  listen(...args: unknown[]): this {
    let cb: ListenCallback | undefined;
    if (typeof args[args.length - 1] === "function") cb = args.pop() as ListenCallback;
    const { options, signal } = listenOptions(args);
    if (this.#listening || this.#listener) {
      throw Object.assign(new Error("Cannot listen: the server is already listening"), { code: "ERR_SERVER_ALREADY_LISTEN" });
    }
    const transport = this.#transport;
    if (!transport) {
      throw typeError("ERR_MISSING_OPTION", "Cannot listen: no transport (import createServer from \"anyhttp\", or pass { transport })");
    }
    if (signal?.aborted) {
      if (cb) this.once("listening", cb);
      defer(() => this.close());
      return this;
    }
    this.#closing = false;
    const listening = (listener: Listener) => {
      this.#listener = listener;
      this.#listening = true;
      if (this.#unref) listener.unref?.();
      signal?.addEventListener("abort", () => this.close(), { once: true });
    };
    const failed = (err: Error) => {
      if (cb) this.removeListener("listening", cb);
      this.emit("error", err);
    };
    let result: Listener | Promise<Listener>;
    try {
      result = transport.listen(options, (handle) => this.#accept(handle));
    } catch (err) {
      // The caller's mistake (a bad argument, an option this runtime cannot do: Node's ERR_*
      // codes) is thrown now, as Node throws it; a bind error (EADDRINUSE) is reported as
      // 'error', never thrown from listen().
      if (isUsageError(err)) throw err;
      if (cb) this.once("listening", cb);
      defer(() => failed(err as Error));
      return this;
    }
    if (cb) this.once("listening", cb);
    if (typeof (result as Promise<Listener>).then === "function") {
      (result as Promise<Listener>).then((l) => {
        listening(l);
        this.emit("listening");
      }, failed);
    } else {
      // Bound already: address() works from here on; 'listening' follows, as in Node.
      listening(result as Listener);
      defer(() => this.emit("listening"));
    }
    return this;
  }

  /**
   * Where the server listens: `{ address, family, port }`, a unix socket's path, or `null` when
   * not listening (as `net.Server#address()`).
   */
  address(): AddressInfo | string | null {
    const a = this.#listener?.address;
    if (a === undefined) return null;
    return typeof a === "string" ? a : { ...a };
  }

  /**
   * Stop accepting, close idle connections, let active ones finish (their responses get
   * `Connection: close`). `'close'` and `callback` follow once every connection is gone.
   */
  close(callback?: (err?: Error) => void): this {
    if (!this.#listener) {
      const err = Object.assign(new Error("Cannot close: the server is not running"), { code: "ERR_SERVER_NOT_RUNNING" });
      if (callback) defer(() => callback(err));
      return this;
    }
    if (callback) this.#closeWaiters.push(callback);
    this.#closing = true;
    this.#listening = false;
    const listener = this.#listener;
    listener.close().then(() => {
      this.#listener = null;
      this.#maybeClosed();
    }, (err: Error) => this.emit("error", err));
    this.closeIdleConnections();
    return this;
  }

  /** Close every connection that has no request in progress. */
  closeIdleConnections(): void {
    for (const c of this.#connections) c.closeIfIdle();
  }

  /** Close every connection now. */
  closeAllConnections(): void {
    for (const c of this.#connections) c.destroy();
  }

  /** Node's `getConnections(cb)`. */
  getConnections(cb: (err: Error | null, count: number) => void): this {
    const n = this.#connections.size;
    defer(() => cb(null, n));
    return this;
  }

  /** Idle socket timeout for every connection (Node's `server.setTimeout`). */
  setTimeout(ms = 0, callback?: (socket: Socket) => void): this {
    this.timeout = ms;
    if (callback) this.on("timeout", callback);
    return this;
  }

  /** `await using server = ...`: close the server and wait for its connections to finish. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#listener) return;
    await new Promise<void>((resolve) => this.close(() => resolve()));
  }

  // ---- ConnectionHost -------------------------------------------------------------------

  /** @internal CONNECT always leaves HTTP (a tunnel or, with no 'connect' listener, a close,
   * as in Node); Upgrade only when someone listens for 'upgrade' (RFC 9110 §7.8: ignoring it
   * is fine), or, with a `shouldUpgradeCallback` of the user's, when it says so: that runs
   * user code, so the parser stops at the head and the connection asks (`"ask"`). */
  readonly acceptUpgrade = (isConnect: boolean): boolean | "ask" =>
    isConnect ||
    (this.shouldUpgradeCallback === defaultShouldUpgrade ? this.listenerCount("upgrade") > 0 : "ask");

  /** @internal Node: `req.upgrade = CONNECT || !!server.shouldUpgradeCallback(req)`; `asked`
   * only when the user gave a callback (see acceptUpgrade). */
  takesUpgrade(req: IncomingMessage, asked: boolean): boolean {
    if (asked) return !!this.shouldUpgradeCallback.call(this, req);
    return req.method === "CONNECT" || this.listenerCount("upgrade") > 0;
  }

  /** @internal The injected clock's time. */
  now(): number {
    return this.#clock.now();
  }

  /** @internal */
  createRequest(socket: Socket): IncomingMessage {
    return new this.#Req(socket);
  }

  /** @internal */
  createResponse(req: IncomingMessage, conn: ResponseOwner): ServerResponse {
    return new this.#Res(req, conn);
  }

  /** @internal Hand an exchange to the program (see ConnectionHost.serve). */
  serve(req: IncomingMessage, res: ServerResponse, expectation: string | null, dropped: boolean): void {
    if (dropped) {
      this.dispatch("dropRequest", req, req.socket);
      res.writeHead(503);
      res.end();
    } else if (expectation === null) {
      this.dispatch("request", req, res);
    } else if (expectation === "continue") {
      // RFC 9110 §10.1.1: 100-continue is the only expectation defined; others get 417.
      if (this.listenerCount("checkContinue") > 0) {
        this.dispatch("checkContinue", req, res);
      } else {
        res.writeContinue();
        this.dispatch("request", req, res);
      }
    } else if (this.listenerCount("checkExpectation") > 0) {
      this.dispatch("checkExpectation", req, res);
    } else {
      res.writeHead(417);
      res.end();
    }
  }

  /** @internal Emit an exchange event (`'request'`, `'checkContinue'`, `'upgrade'`, ...). */
  dispatch(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      // As in node:http, an exception from a request listener is the program's bug: the
      // connection goes, and the error is rethrown outside our stack to reach the runtime's
      // uncaught-exception handling.
      ((args[0] as IncomingMessage).socket as Socket).destroy();
      defer(() => {
        throw err;
      });
    }
  }

  /** @internal */
  clientError(error: RemoteProtocolError, socket: Socket): boolean {
    if (this.listenerCount("clientError") === 0) return false;
    this.emit("clientError", error, socket);
    return true;
  }

  /** @internal */
  removed(conn: Connection): void {
    this.#connections.delete(conn);
    if (this.#connections.size === 0) this.#stopSweep();
    this.#maybeClosed();
  }

  // ---- internals ------------------------------------------------------------------------

  #accept(handle: TcpHandle): ConnectionSink {
    if (this.#connections.size >= this.maxConnections) {
      // Node: over maxConnections the socket is closed at once and 'drop' reports it.
      handle.destroy();
      this.emit("drop", {
        localAddress: handle.localAddress,
        localPort: handle.localPort,
        localFamily: handle.remoteFamily,
        remoteAddress: handle.remoteAddress,
        remotePort: handle.remotePort,
        remoteFamily: handle.remoteFamily,
      });
      return DROPPED;
    }
    // Node's net.Server options: the built-in transports start with Nagle off (TcpHandle).
    if (!this.noDelay) handle.setNoDelay?.(false);
    if (this.keepAlive) handle.setKeepAlive?.(true, this.keepAliveInitialDelay);
    if (this.#highWaterMarkSet) handle.setHighWaterMark?.(this.highWaterMark);
    const conn = new Connection(handle, this);
    this.#connections.add(conn);
    conn.socket.server = this;
    if (this.timeout) conn.socket.setTimeout(this.timeout);
    if (this.listenerCount("timeout") > 0) {
      conn.socket.on("timeout", () => this.emit("timeout", conn.socket));
    }
    this.#startSweep();
    if (this.#closing) {
      defer(() => conn.closeIfIdle());
    }
    this.emit("connection", conn.socket);
    return conn;
  }

  #startSweep(): void {
    if (this.#sweep !== null) return;
    const tick = () => {
      const now = this.#clock.now();
      for (const c of this.#connections) c.checkTimeouts(now);
      this.#sweep = this.#connections.size ? this.#clock.setTimeout(tick, this.#sweepInterval()) : null;
    };
    this.#sweep = this.#clock.setTimeout(tick, this.#sweepInterval());
  }

  #sweepInterval(): number {
    if (this.connectionsCheckingInterval !== undefined) return this.connectionsCheckingInterval;
    let shortest = Infinity;
    for (const t of [this.headersTimeout, this.requestTimeout, this.keepAliveTimeout, this.timeout]) {
      if (t > 0 && t < shortest) shortest = t;
    }
    // A twentieth: a check lands at most 5 % after a deadline, leaving room for timer lateness
    // within the 10 % promise.
    return Math.min(1_000, Math.max(50, shortest / 20));
  }

  #stopSweep(): void {
    if (this.#sweep === null) return;
    this.#clock.clearTimeout(this.#sweep);
    this.#sweep = null;
  }

  #maybeClosed(): void {
    if (!this.#closing || this.#listener || this.#connections.size > 0) return;
    this.#closing = false;
    const waiters = this.#closeWaiters;
    this.#closeWaiters = [];
    defer(() => {
      this.emit("close");
      for (const w of waiters) w();
    });
  }
}

/**
 * Put a default transport (or defaults: `{ transport, handOff }`) into `createServer`-style
 * arguments (the runtime entry points use this so that `createServer(listener)` needs no
 * options). The caller's options win.
 */
export function withTransport(
  defaults: Transport | ServerOptions,
  options?: ServerOptions | RequestListener,
  requestListener?: RequestListener,
): [ServerOptions, RequestListener | undefined] {
  const base: ServerOptions = "listen" in defaults ? { transport: defaults as Transport } : defaults as ServerOptions;
  if (typeof options === "function") return [{ ...base }, options];
  return [{ ...base, ...options }, requestListener];
}

/** Node's errors for API misuse carry an `ERR_*` code; system errors (`EADDRINUSE`) do not. */
function isUsageError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("ERR_");
}

/** Node's `isPipeName`: a string that is not a non-negative number names a unix socket. */
function isPath(v: unknown): v is string {
  return typeof v === "string" && !(Number(v) >= 0);
}

const BOOLEAN_LISTEN_OPTIONS = ["ipv6Only", "exclusive", "reusePort", "readableAll", "writableAll"] as const;

/**
 * `listen()`'s arguments (callback removed) as the {@link ListenOptions} the transport gets,
 * holding only what the caller set, and checked as Node checks them, plus the combinations Node
 * silently ignores (`path` with `port`, `readableAll` on TCP), which are refused here.
 */
function listenOptions(args: unknown[]): { options: ListenOptions; signal?: AbortSignal } {
  const options: ListenOptions = {};
  const first = args[0];
  let given: Record<string, unknown> = {};
  const has = (k: string) => given[k] !== undefined && given[k] !== null;
  if (first !== null && typeof first === "object") {
    given = first as Record<string, unknown>;
    // listen(handle[, backlog]): Node takes `options._handle || options.handle || options`.
    if (given["_handle"] !== undefined) {
      options.handle = first;
      given = {};
    } else if (given["handle"] !== undefined && given["handle"] !== null) {
      options.handle = given["handle"];
    }
    if (typeof args[1] === "number") options.backlog = args[1];
    // Node: an options object says where: port (even undefined), path, fd or a handle.
    if (options.handle === undefined && !("port" in given) && !("path" in given) && !has("fd")) {
      throw typeError(
        "ERR_INVALID_ARG_VALUE",
        `The argument 'options' must have the property "port" or "path". Received ${describeKeys(given)}`,
      );
    }
  } else if (isPath(first)) {
    options.path = first;
    if (typeof args[1] === "number") options.backlog = args[1];
  } else {
    if (first !== undefined && first !== null) given = { port: first };
    if (typeof args[1] === "string") given["host"] = args[1];
    const backlog = typeof args[1] === "number" ? args[1] : args[2];
    if (typeof backlog === "number") options.backlog = backlog;
  }
  if (has("port") || (options.path === undefined && !has("path") && !has("fd") && options.handle === undefined)) {
    options.port = validatePort(given["port"]);
  }
  if (has("host")) {
    if (typeof given["host"] !== "string") throw invalidListen("host", given["host"], "must be a string");
    options.host = given["host"];
  }
  if (has("path")) {
    if (typeof given["path"] !== "string" || given["path"] === "") {
      throw invalidListen("path", given["path"], "must be a non-empty string");
    }
    options.path = given["path"];
  }
  if (has("backlog")) {
    const b = given["backlog"];
    if (typeof b !== "number" || !Number.isInteger(b) || b < 0) throw invalidListen("backlog", b, "must be a non-negative integer");
    options.backlog = b;
  }
  if (has("fd")) {
    const fd = given["fd"];
    if (typeof fd !== "number" || !Number.isInteger(fd) || fd < 0) throw invalidListen("fd", fd, "must be a non-negative integer");
    options.fd = fd;
  }
  for (const k of BOOLEAN_LISTEN_OPTIONS) {
    if (!has(k)) continue;
    if (typeof given[k] !== "boolean") throw invalidListen(k, given[k], "must be a boolean");
    options[k] = given[k] as boolean;
  }
  const signal = given["signal"] as AbortSignal | undefined;
  if (signal !== undefined && (signal === null || typeof signal !== "object" || !("aborted" in signal))) {
    throw typeError("ERR_INVALID_ARG_TYPE", "The \"options.signal\" property must be an instance of AbortSignal");
  }
  // What Node would silently drop: refused, so no caller believes it took effect.
  const source = options.handle !== undefined ? "handle" : options.fd !== undefined ? "fd" : options.path !== undefined ? "path" : undefined;
  if (source !== undefined) {
    for (const k of ["port", "host", ...(source === "path" ? [] : ["path"]), ...(source === "fd" ? [] : ["fd"])]) {
      if (has(k)) throw typeError("ERR_INVALID_ARG_VALUE", `Cannot listen: "${source}" and "${k}" cannot be used together`);
    }
    if (source === "path" && options.ipv6Only) throw typeError("ERR_INVALID_ARG_VALUE", "Cannot listen: \"ipv6Only\" needs a TCP address, not a unix socket \"path\"");
    if (source === "path" && options.reusePort) throw typeError("ERR_INVALID_ARG_VALUE", "Cannot listen: \"reusePort\" needs a TCP address, not a unix socket \"path\"");
  }
  if (source !== "path") {
    for (const k of ["readableAll", "writableAll"] as const) {
      if (options[k]) throw typeError("ERR_INVALID_ARG_VALUE", `Cannot listen: "${k}" applies to a unix socket "path" only`);
    }
  }
  return { options, signal };
}

/** `{ a, b }` for an error message: the keys, not the values (a handle may be large). */
function describeKeys(o: Record<string, unknown>): string {
  return `{ ${Object.keys(o).join(", ")} }`.replace("{  }", "{}");
}

function invalidListen(name: string, value: unknown, why: string): TypeError {
  return typeError("ERR_INVALID_ARG_VALUE", `The listen option "${name}" ${why}. Received ${JSON.stringify(value) ?? String(value)}`);
}

function validatePort(port: unknown): number {
  if (port === undefined || port === null) return 0;
  const n = typeof port === "string" && port.trim() !== "" ? Number(port) : port;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw rangeError("ERR_SOCKET_BAD_PORT", `Options.port should be >= 0 and < 65536. Received ${JSON.stringify(port)}`);
  }
  return n;
}

/**
 * Create a server: `createServer([options][, requestListener])`.
 *
 * @example
 * ```ts
 * import { createServer, createMemoryTransport } from "@anyhttp/anyhttp/core";
 * const server = createServer({ transport: createMemoryTransport() }, (_req, res) => res.end("ok"));
 * server.listen(0, () => server.close());
 * ```
 */
export function createServer(
  options?: ServerOptions | RequestListener,
  requestListener?: RequestListener,
): Server {
  return new Server(options, requestListener);
}
