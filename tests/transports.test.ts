/**
 * Transport contract tests, run on all three runtimes:
 *
 *   node --import tsx --test tests/transports.test.ts
 *   deno test -A tests/transports.test.ts
 *   bun test tests/transports.test.ts
 *
 * `nodeTransport` is tested everywhere (Deno and Bun through their node:net), `denoTransport`
 * only under Deno, `bunTransport` only under Bun. The client side is always a raw `node:net`
 * socket to 127.0.0.1. Only `node:test` and `node:assert/strict` are used so the one file runs
 * under the three runners. Every wait is bounded and every test closes what it opened.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import type { ConnectionSink, Listener, TcpHandle, Transport } from "../core/transport.ts";
import { nodeTransport } from "../adapters/node-transport.ts";
import { denoTransport, nextReadSize } from "../adapters/deno-transport.ts";
import { bunTransport } from "../adapters/bun-transport.ts";
import { tcpAddress } from "./_support/address.ts";

const g = globalThis as { Deno?: unknown; Bun?: unknown };
const runtime: "bun" | "deno" | "node" =
  g.Bun !== undefined ? "bun" : g.Deno !== undefined ? "deno" : "node";

const transports: Array<[string, Transport]> = [["nodeTransport", nodeTransport]];
if (runtime === "deno") transports.push(["denoTransport", denoTransport]);
if (runtime === "bun") transports.push(["bunTransport", bunTransport]);

const TEST_TIMEOUT = 30_000;
const BIG = 10 * 1024 * 1024;
/** Set ANYHTTP_BENCH=1 to print the 10 MiB echo throughput. */
const BENCH = (() => {
  try {
    return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
      ?.["ANYHTTP_BENCH"] === "1";
  } catch {
    return false;
  }
})();

// ---------------------------------------------------------------------------------------------
// helpers

const enc = new TextEncoder();
const dec = new TextDecoder();

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Rejects if `p` does not settle within `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + (i >>> 11)) & 0xff;
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A server-side connection as the tests see it: the handle plus everything its sink got. */
interface ServerConn {
  handle: TcpHandle;
  data: Uint8Array[];
  events: string[];
  closes: Array<Error | undefined>;
  ended: Promise<void>;
  closed: Promise<Error | undefined>;
  /** Resolves on the next onData. */
  nextData(): Promise<void>;
  text(): string;
}

type Behaviour = (conn: ServerConn) => Partial<ConnectionSink>;

/**
 * Everything one test opens, closed in `dispose()` whatever happened: client sockets,
 * server handles, listeners. It also waits for the server side to report onClose so no read
 * or write is left pending when the test returns (Deno's sanitizers check for that).
 */
class Fixture {
  listeners: Listener[] = [];
  clients: net.Socket[] = [];
  conns: ServerConn[] = [];
  private waiters: Array<(c: ServerConn) => void> = [];

  async listen(transport: Transport, behaviour: Behaviour = () => ({}), host = "127.0.0.1") {
    const listener = await transport.listen({ port: 0, host }, (handle) => {
      const ended = deferred();
      const closed = deferred<Error | undefined>();
      let dataWaiter: (() => void) | undefined;
      const conn: ServerConn = {
        handle,
        data: [],
        events: [],
        closes: [],
        ended: ended.promise,
        closed: closed.promise,
        nextData: () => new Promise<void>((r) => (dataWaiter = r)),
        text: () => dec.decode(concat(conn.data)),
      };
      const extra = behaviour(conn);
      this.conns.push(conn);
      const w = this.waiters.shift();
      if (w) w(conn);
      return {
        onData(chunk) {
          conn.data.push(chunk);
          conn.events.push("data");
          extra.onData?.(chunk);
          const d = dataWaiter;
          dataWaiter = undefined;
          d?.();
        },
        onEnd() {
          conn.events.push("end");
          extra.onEnd?.();
          ended.resolve();
        },
        onDrain() {
          conn.events.push("drain");
          extra.onDrain?.();
        },
        onClose(error) {
          conn.events.push("close");
          conn.closes.push(error);
          extra.onClose?.(error);
          closed.resolve(error);
        },
      };
    });
    this.listeners.push(listener);
    return listener;
  }

  /** The next server-side connection (or one already accepted and not yet taken). */
  accepted(index: number): Promise<ServerConn> {
    const c = this.conns[index];
    if (c) return Promise.resolve(c);
    return within(new Promise<ServerConn>((r) => this.waiters.push(r)), 5000, "accept");
  }

  async connect(port: number): Promise<net.Socket> {
    const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    this.clients.push(socket);
    socket.on("error", () => {});
    await within(
      new Promise<void>((resolve, reject) => {
        socket.once("connect", () => resolve());
        socket.once("error", reject);
      }),
      5000,
      "connect",
    );
    return socket;
  }

  async dispose(): Promise<void> {
    for (const c of this.clients) c.destroy();
    for (const c of this.conns) c.handle.destroy();
    // Every connection the transport gave us must report its close: a missing onClose is a
    // contract failure, reported here rather than swallowed.
    try {
      await within(Promise.all(this.conns.map((c) => c.closed)), 5000, "server onClose");
    } finally {
      for (const l of this.listeners) await l.close();
    }
    // Let the closes settle (pending ops reject, 'close' events fire).
    await sleep(20);
  }
}

/** Collects what a client socket receives until it sees 'end' (or 'close'). */
function collect(socket: net.Socket): { done: Promise<Uint8Array>; chunks: Uint8Array[] } {
  const chunks: Uint8Array[] = [];
  socket.on("data", (d: Uint8Array) => chunks.push(new Uint8Array(d)));
  const done = new Promise<Uint8Array>((resolve) => {
    socket.once("end", () => resolve(concat(chunks)));
    socket.once("close", () => resolve(concat(chunks)));
  });
  return { done, chunks };
}

function clientClosed(socket: net.Socket): Promise<void> {
  return new Promise((r) => {
    if (socket.destroyed && socket.closed) r();
    else socket.once("close", () => r());
  });
}

function connectRefused(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      resolve("connected");
    });
    s.once("error", (e: Error & { code?: string }) => {
      s.destroy();
      resolve(e.code ?? e.message);
    });
  });
}

function run(name: string, fn: (f: Fixture) => Promise<void>): void {
  test(name, { timeout: TEST_TIMEOUT }, async () => {
    const f = new Fixture();
    try {
      await within(fn(f), TEST_TIMEOUT - 2000, name);
    } finally {
      await f.dispose();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// tests

for (const [name, transport] of transports) {
  run(`${name} (${runtime}): small echo, writev, addresses, clean close`, async (f) => {
    const listener = await f.listen(transport, (conn) => ({
      onData: (chunk) => {
        if (dec.decode(chunk).startsWith("writev")) {
          const parts = [enc.encode("a"), enc.encode("bc"), enc.encode("def")];
          const ok = conn.handle.writev ? conn.handle.writev(parts) : parts.every((p) => conn.handle.write(p));
          assert.equal(ok, true);
        } else {
          assert.equal(conn.handle.write(chunk), true, "a small write is below the mark");
        }
      },
      onEnd: () => conn.handle.end(),
    }));
    const port = tcpAddress(listener.address).port;
    const client = await f.connect(port);
    const rx = collect(client);
    const conn = await f.accepted(0);

    assert.equal(conn.handle.remoteAddress, "127.0.0.1");
    assert.equal(conn.handle.remotePort, client.localPort);
    assert.equal(conn.handle.remoteFamily, "IPv4");
    assert.equal(conn.handle.localAddress, "127.0.0.1");
    assert.equal(conn.handle.localPort, port);

    client.write("hello");
    await within(conn.nextData(), 5000, "hello");
    await within(
      (async () => {
        while (rx.chunks.reduce((n, c) => n + c.byteLength, 0) < 5) await sleep(5);
      })(),
      5000,
      "echo",
    );
    client.write("writev");
    await within(conn.nextData(), 5000, "writev");
    await sleep(50);
    client.end();
    const got = await within(rx.done, 5000, "client end");
    assert.equal(dec.decode(got), "helloabcdef");
    const err = await within(conn.closed, 5000, "server close");
    assert.equal(err, undefined);
    await sleep(50);
    assert.equal(conn.closes.length, 1, "onClose exactly once");
    assert.deepEqual(conn.events.slice(-2), ["end", "close"]);
  });

  if (name !== "nodeTransport") {
    // The native adapters answer with the addresses after the connection closed even if nobody
    // asked before (Node's net.Socket only does for addresses read while it was open): the
    // Deno handle reads them from the Deno.Conn when asked, the Bun handle keeps a snapshot.
    run(`${name} (${runtime}): addresses first read after the close`, async (f) => {
      const listener = await f.listen(transport, (conn) => ({ onEnd: () => conn.handle.end() }));
      const port = tcpAddress(listener.address).port;
      const client = await f.connect(port);
      const localPort = client.localPort;
      const conn = await f.accepted(0);
      client.end();
      await within(conn.closed, 5000, "server close");
      assert.equal(conn.handle.remoteAddress, "127.0.0.1");
      assert.equal(conn.handle.remotePort, localPort);
      assert.equal(conn.handle.remoteFamily, "IPv4");
      assert.equal(conn.handle.localAddress, "127.0.0.1");
      assert.equal(conn.handle.localPort, port);
    });
  }

  run(`${name} (${runtime}): 10 MiB echo with backpressure`, async (f) => {
    let falses = 0;
    let drains = 0;
    const sawFalse = deferred();
    const listener = await f.listen(transport, (conn) => ({
      onData: (chunk) => {
        if (!conn.handle.write(chunk)) {
          falses++;
          sawFalse.resolve();
          conn.handle.pause();
        }
      },
      onDrain: () => {
        drains++;
        conn.handle.resume();
      },
      onEnd: () => conn.handle.end(),
    }));
    const client = await f.connect(tcpAddress(listener.address).port);
    // The client does not read until the server has seen write() === false: the kernel
    // buffers fill, so backpressure is certain rather than a matter of timing.
    client.pause();
    const rx = collect(client);
    const payload = pattern(BIG);
    const t0 = performance.now();
    client.end(payload);
    await within(sawFalse.promise, 10_000, "write() === false");
    client.resume();
    const got = await within(rx.done, 20_000, "echo of 10 MiB");
    const ms = performance.now() - t0;
    const conn = await f.accepted(0);
    assert.ok(falses > 0, "write returned false");
    assert.ok(drains > 0, "onDrain was called");
    assert.equal(got.byteLength, BIG);
    assert.ok(sameBytes(got, payload), "bytes identical");
    // The chunks the sink kept are still intact: the adapter did not reuse them.
    assert.ok(sameBytes(concat(conn.data), payload), "onData chunks owned by the receiver");
    conn.data.length = 0;
    await within(conn.closed, 5000, "server close");
    if (BENCH) {
      console.log(
        `[bench] ${name} on ${runtime}: 10 MiB echo in ${ms.toFixed(0)} ms ` +
          `(${((2 * BIG) / 1048576 / (ms / 1000)).toFixed(0)} MiB/s both ways), ` +
          `${falses} false, ${drains} drains`,
      );
    }
  });

  run(`${name} (${runtime}): peer half-close, reply after FIN, end() flushes`, async (f) => {
    // 8 MiB: more than the loopback send buffer takes at once (~3.7 MiB seen on Deno and
    // Bun), so end() is called with bytes still queued in the adapter and must flush them
    // before the FIN.
    const reply = pattern(8 * 1024 * 1024);
    let afterEnd: boolean | undefined;
    const listener = await f.listen(transport, (conn) => ({
      onEnd: () => {
        // The connection is still writable after the peer's FIN.
        conn.handle.write(enc.encode(`got:${conn.text()};`));
        conn.handle.write(reply);
        conn.handle.end();
        conn.handle.end(); // idempotent
        afterEnd = conn.handle.write(enc.encode("IGNORED")); // ignored, never throws
      },
    }));
    const client = await f.connect(tcpAddress(listener.address).port);
    const rx = collect(client);
    client.end("ping");
    const got = await within(rx.done, 10_000, "reply then end");
    const conn = await f.accepted(0);
    const head = enc.encode("got:ping;");
    assert.equal(got.byteLength, head.byteLength + reply.byteLength, "everything, nothing more");
    assert.ok(sameBytes(got.subarray(0, head.byteLength), head));
    assert.ok(sameBytes(got.subarray(head.byteLength), reply));
    assert.equal(afterEnd, false);
    assert.equal(await within(conn.closed, 5000, "server close"), undefined);
    await within(clientClosed(client), 5000, "client close");
    await sleep(50);
    assert.equal(conn.closes.length, 1);
    assert.deepEqual(conn.events.filter((e) => e === "end"), ["end"]);
  });

  run(`${name} (${runtime}): destroy() closes, onClose exactly once`, async (f) => {
    const listener = await f.listen(transport, (conn) => ({
      onData: () => {
        conn.handle.destroy();
        conn.handle.destroy(); // idempotent
        assert.doesNotThrow(() => conn.handle.write(enc.encode("late")));
        conn.handle.end(); // after destroy: nothing
      },
    }));
    const client = await f.connect(tcpAddress(listener.address).port);
    const rx = collect(client);
    client.write("x");
    const conn = await f.accepted(0);
    assert.equal(await within(conn.closed, 5000, "server close"), undefined);
    const got = await within(rx.done, 5000, "client sees the close");
    assert.equal(got.byteLength, 0);
    client.end(); // the client is allowHalfOpen: it closes once it has ended too
    await within(clientClosed(client), 5000, "client close");
    await sleep(100);
    assert.equal(conn.closes.length, 1);

    // destroy(error) reports that error.
    const boom = new Error("boom");
    const l2 = await f.listen(transport, (c) => ({ onData: () => c.handle.destroy(boom) }));
    const c2 = await f.connect(tcpAddress(l2.address).port);
    const rx2 = collect(c2);
    c2.write("y");
    const conn2 = await f.accepted(1);
    assert.equal(await within(conn2.closed, 5000, "server close 2"), boom);
    await within(rx2.done, 5000, "client 2 sees the close");
    c2.end();
    await within(clientClosed(c2), 5000, "client 2 close");
    await sleep(50);
    assert.equal(conn2.closes.length, 1);
  });

  run(`${name} (${runtime}): peer reset gives one onClose`, async (f) => {
    const listener = await f.listen(transport);
    const client = await f.connect(tcpAddress(listener.address).port);
    client.write("x");
    const conn = await f.accepted(0);
    await within(conn.nextData(), 5000, "data");
    // resetAndDestroy (a real RST) exists on all three runtimes' node:net as tested.
    assert.equal(typeof client.resetAndDestroy, "function", "net.Socket#resetAndDestroy is missing");
    client.resetAndDestroy();
    const err = await within(conn.closed, 5000, "server close after reset");
    // Either way, the write side may find out first: a write after the reset must not throw.
    assert.doesNotThrow(() => conn.handle.write(enc.encode("after reset")));
    await sleep(100);
    assert.equal(conn.closes.length, 1);
    // The pending read fails with ECONNRESET on Node 20, Deno 2.9.6 and Bun 1.4.5 alike.
    assert.ok(err instanceof Error, "an abnormal close carries an error");
    assert.equal((err as Error & { code?: string }).code, "ECONNRESET");
  });

  run(`${name} (${runtime}): pause() holds onData and onEnd until resume()`, async (f) => {
    // Pauses after the first chunk only. (Whether onEnd may come while paused with nothing
    // held back is not part of the contract: Node's stream emits 'end' once its buffer is
    // empty even if paused again inside the last 'data'; the Deno and Bun adapters hold onEnd
    // until resume(). So the test resumes for good.)
    let first = true;
    const listener = await f.listen(transport, (conn) => ({
      onData: () => {
        if (first) conn.handle.pause();
        first = false;
      },
      onEnd: () => conn.handle.end(),
    }));
    const client = await f.connect(tcpAddress(listener.address).port);
    const rx = collect(client);
    client.write("first");
    const conn = await f.accepted(0);
    await within(conn.nextData(), 5000, "first data");
    assert.equal(conn.text(), "first");
    // Paused now: more bytes and a FIN arrive, nothing may be delivered.
    client.end("second");
    await sleep(150);
    assert.deepEqual(conn.events, ["data"], "no onData/onEnd while paused");
    conn.handle.resume();
    await within(conn.ended, 5000, "end after resume");
    assert.equal(conn.text(), "firstsecond");
    assert.ok(conn.events.indexOf("end") > conn.events.lastIndexOf("data"), "end after data");
    assert.equal(conn.events.filter((e) => e === "end").length, 1);
    await within(rx.done, 5000, "client end");
    await within(conn.closed, 5000, "server close");
  });

  run(`${name} (${runtime}): port 0, default host, EADDRINUSE, close() stops accepting`, async (f) => {
    const listener = await f.listen(transport);
    assert.equal(tcpAddress(listener.address).address, "127.0.0.1");
    assert.equal(tcpAddress(listener.address).family, "IPv4");
    assert.ok(tcpAddress(listener.address).port > 0 && tcpAddress(listener.address).port < 65536);

    // Same host and port again: EADDRINUSE, with Node's code.
    // A transport may throw (Deno, Bun: synchronous binds) or reject (node:net).
    await assert.rejects(
      async () => await transport.listen({ port: tcpAddress(listener.address).port, host: "127.0.0.1" }, () => ({
        onData() {},
        onEnd() {},
        onDrain() {},
        onClose() {},
      })),
      (e: unknown) => {
        assert.ok(e instanceof Error, "an Error");
        assert.equal((e as { code?: string }).code, "EADDRINUSE");
        return true;
      },
    );

    // No host: all interfaces, as Node does ("::" dual-stack, or 0.0.0.0).
    const any = await transport.listen({ port: 0 }, () => ({
      onData() {},
      onEnd() {},
      onDrain() {},
      onClose() {},
    }));
    try {
      assert.ok(["::", "0.0.0.0"].includes(tcpAddress(any.address).address), tcpAddress(any.address).address);
      assert.equal(tcpAddress(any.address).family, tcpAddress(any.address).address === "::" ? "IPv6" : "IPv4");
      assert.equal(await connectRefused(tcpAddress(any.address).port), "connected");
    } finally {
      await any.close();
    }

    // An established connection survives close(); new ones are refused.
    const echoListener = await f.listen(transport, (conn) => ({
      onData: (chunk) => conn.handle.write(chunk),
      onEnd: () => conn.handle.end(),
    }));
    const port = tcpAddress(echoListener.address).port;
    const client = await f.connect(port);
    const rx = collect(client);
    await f.accepted(0);
    await echoListener.close();
    await echoListener.close(); // idempotent
    assert.equal(await within(connectRefused(port), 5000, "refused"), "ECONNREFUSED");
    client.end("still here");
    assert.equal(dec.decode(await within(rx.done, 5000, "echo after close")), "still here");
  });
}

// The Deno adapter sizes each read from the last ones (pure arithmetic, checked on every
// runtime). Each request arrives whole and is read in as many reads as the buffer needs.
test("deno read sizing: steady keep-alive traffic takes one read per request once warmed up", () => {
  const readsPerRequest = (bytes: number, requests: number): number[] => {
    let size = 256;
    let lastFull = false;
    const out: number[] = [];
    for (let r = 0; r < requests; r++) {
      let left = bytes;
      let reads = 0;
      while (left > 0) {
        const n = Math.min(left, size);
        reads++;
        left -= n;
        const next = nextReadSize(n, size, lastFull);
        lastFull = n === size;
        size = next;
      }
      out.push(reads);
    }
    return out;
  };
  // wrk's GET (40 bytes), a browser's head (~1 KiB), the 4 KiB POST echo of the benchmark,
  // and a 40 KiB upload: after a few requests, one read each.
  for (const bytes of [40, 1000, 4202, 40_000]) {
    assert.deepEqual(readsPerRequest(bytes, 12).slice(4), Array(8).fill(1), `${bytes}-byte requests`);
  }
  // Small traffic after large gives the room back (an idle connection keeps little).
  assert.equal(nextReadSize(40, 16384, false), 256);
});
