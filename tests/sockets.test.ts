// The socket that 'upgrade' and 'connect' listeners get (a node:stream Duplex from the runtime
// entry points), the core socket's counters and flags, and the Server's handle and ref/unref:
// what ws, http-proxy, supertest and process managers read. On the memory transport with the
// clock pinned, bytes exact; plus child processes that must exit by themselves.
import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { Duplex, PassThrough, pipeline } from "node:stream";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { IncomingMessage } from "../core/mod.ts";
import { StreamSocket, streamHandOff } from "../adapters/stream-socket.ts";
import { createServer as createRuntimeServer } from "../adapters/mod.ts";
import { serve } from "./_support/memory.ts";
import { command, runtime } from "./_support/runtime.ts";
import { portOf } from "./_support/address.ts";

const UPGRADE = "GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n";
const SWITCHED = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n";
const text = (b: Uint8Array) => String.fromCharCode(...b);

/** Wait for `event` on `emitter`, failing after `ms` (a cap, not a measurement). */
async function within<T = unknown[]>(emitter: NodeJS.EventEmitter, event: string, ms = 5_000): Promise<T> {
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(), ms);
  try {
    return (await once(emitter, event, { signal: ac.signal })) as T;
  } catch (e) {
    throw ac.signal.aborted ? new Error(`no '${event}' within ${ms} ms`) : e;
  } finally {
    clearTimeout(t);
  }
}

test(`[${runtime}] an upgraded socket is a node:stream Duplex that pipes into itself, ends and closes as net.Socket`, async () => {
  const s = await serve(() => {}, { handOff: streamHandOff });
  const events: string[] = [];
  const upgraded = new Promise<StreamSocket>((resolve) => {
    s.server.on("upgrade", (req: IncomingMessage, socket: StreamSocket, head: Uint8Array) => {
      assert.ok(socket instanceof Duplex);
      assert.equal(req.socket, socket);
      // What ws reads when the socket closes.
      const state = (socket as unknown as { _readableState: { endEmitted: boolean } })._readableState;
      assert.equal(state.endEmitted, false);
      assert.equal(socket.readyState, "open");
      assert.equal(text(head), "abc");
      socket.write(SWITCHED);
      socket.unshift(head);
      for (const e of ["end", "finish"]) socket.on(e, () => events.push(e));
      socket.on("close", (hadError: boolean) => events.push(`close:${hadError}`));
      socket.pipe(socket);
      resolve(socket);
    });
  });
  const c = s.connect();
  c.send(UPGRADE + "abc");
  const socket = await upgraded;
  c.send("def");
  c.end();
  await within(socket, "close");
  assert.equal(c.text(), SWITCHED + "abcdef");
  assert.equal(c.ended, true);
  // Node's order for a half-open socket piped into itself: our end follows the peer's.
  assert.deepEqual(events, ["end", "finish", "close:false"]);
  assert.equal(socket.readyState, "closed");
  assert.equal(socket.bytesRead, UPGRADE.length + 6);
  assert.equal(socket.bytesWritten, SWITCHED.length + 6);
  await s.close();
});

test(`[${runtime}] bytes of later reads reach the upgraded socket as data, after head`, async () => {
  const s = await serve(() => {}, { handOff: streamHandOff });
  const got: string[] = [];
  s.server.on("upgrade", (_req: IncomingMessage, socket: StreamSocket, head: Uint8Array) => {
    got.push(`head:${text(head)}`);
    socket.on("data", (d: Uint8Array) => got.push(`data:${text(d)}`));
  });
  // Byte by byte: the head ends in the last byte of the request, so head is empty and every
  // later byte is its own read.
  const c = s.connect();
  for (const ch of UPGRADE + "xy") c.send(ch);
  await c.settle();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(got, ["head:", "data:x", "data:y"]);
  await s.close();
});

test(`[${runtime}] stream.pipeline through an upgraded socket carries bytes both ways and ends cleanly`, async () => {
  const s = await serve(() => {}, { handOff: streamHandOff });
  const done = new Promise<Error | undefined>((resolve) => {
    s.server.on("upgrade", (_req: IncomingMessage, socket: StreamSocket) => {
      socket.write(SWITCHED);
      pipeline(socket, new PassThrough(), socket, (err) => resolve(err ?? undefined));
    });
  });
  const c = s.connect();
  c.send(UPGRADE);
  c.send("ping");
  c.end();
  assert.equal(await done, undefined);
  await c.closed;
  assert.equal(c.text(), SWITCHED + "ping");
  await s.close();
});

test(`[${runtime}] a peer that resets an upgraded socket: 'close' with hadError, no crash without an 'error' listener`, async () => {
  for (const withListener of [false, true]) {
    const s = await serve(() => {}, { handOff: streamHandOff });
    const seen: string[] = [];
    const upgraded = new Promise<StreamSocket>((resolve) => {
      s.server.on("upgrade", (_req: IncomingMessage, socket: StreamSocket) => {
        if (withListener) socket.on("error", (e: Error & { code?: string }) => seen.push(`error:${e.code}`));
        socket.on("close", (hadError: boolean) => seen.push(`close:${hadError}`));
        resolve(socket);
      });
    });
    const c = s.connect();
    c.send(UPGRADE);
    const socket = await upgraded;
    const closed = new Promise((r) => socket.once("close", r));
    c.destroy();
    await closed;
    assert.deepEqual(seen, withListener ? ["error:ECONNRESET", "close:true"] : ["close:true"]);
    await s.close();
  }
});

test(`[${runtime}] backpressure on an upgraded socket: write() says wait, 'drain' comes when the peer reads`, async () => {
  const s = await serve(() => {}, { handOff: streamHandOff });
  const upgraded = new Promise<StreamSocket>((resolve) => {
    s.server.on("upgrade", (_req: IncomingMessage, socket: StreamSocket) => resolve(socket));
  });
  const c = s.connect({ highWaterMark: 1024, paused: true });
  c.send(UPGRADE);
  const socket = await upgraded;
  const big = new Uint8Array(64 * 1024).fill(120);
  let ok = true;
  let writes = 0;
  while (ok && writes < 100) {
    ok = socket.write(big);
    writes++;
  }
  assert.equal(ok, false);
  const drained = within(socket, "drain");
  while (c.queuedBytes > 0 || socket.writableLength > 0) {
    c.read(1 << 20);
    await new Promise((r) => setTimeout(r, 0));
  }
  await drained;
  c.resumeReading();
  assert.equal(c.received().byteLength, writes * big.byteLength);
  await s.close();
});

test(`[${runtime}] setTimeout on an upgraded socket emits 'timeout' and leaves the socket open`, async () => {
  const s = await serve(() => {}, { handOff: streamHandOff, connectionsCheckingInterval: 10 });
  const upgraded = new Promise<StreamSocket>((resolve) => {
    s.server.on("upgrade", (_req: IncomingMessage, socket: StreamSocket) => resolve(socket));
  });
  const c = s.connect();
  c.send(UPGRADE);
  const socket = await upgraded;
  let fired = 0;
  socket.setTimeout(1_000, () => fired++);
  assert.equal(socket.timeout, 1_000);
  s.clock.advance(999);
  assert.equal(fired, 0);
  s.clock.advance(20);
  assert.equal(fired, 1);
  assert.equal(socket.destroyed, false);
  socket.write("still here");
  await c.settle();
  assert.equal(c.text(), "still here");
  assert.throws(() => socket.setTimeout(-1), RangeError);
  await s.close();
});

test(`[${runtime}] 'connect' gets a Duplex tunnel: pipe() both ways through a PassThrough`, async () => {
  const s = await serve(() => {}, { handOff: streamHandOff });
  s.server.on("connect", (req: IncomingMessage, socket: StreamSocket, head: Uint8Array) => {
    socket.write(`HTTP/1.1 200 Connection Established\r\n\r\n${req.url}|`);
    const far = new PassThrough();
    far.write(head);
    // What Node's docs do with a real upstream: each side piped into the other.
    far.pipe(socket);
    socket.pipe(far);
  });
  const c = s.connect();
  c.send("CONNECT up:443 HTTP/1.1\r\nHost: up:443\r\n\r\nhello ");
  c.send("world");
  c.end();
  await c.closed;
  assert.equal(c.text(), "HTTP/1.1 200 Connection Established\r\n\r\nup:443|hello world");
  await s.close();
});

test(`[${runtime}] without a hand-off factory (the bare core) upgrade listeners get the core socket`, async () => {
  const s = await serve(() => {});
  let got: unknown;
  s.server.on("upgrade", (req: IncomingMessage, socket: unknown) => {
    got = socket;
    assert.equal(req.socket, socket);
    (socket as { end(s: string): void }).end("raw");
  });
  const c = s.connect();
  c.send(UPGRADE);
  await c.closed;
  assert.equal(c.text(), "raw");
  assert.ok(!(got instanceof Duplex));
  await s.close();
});

test(`[${runtime}] the core socket counts every byte both ways, and its encrypted flag is writable`, async () => {
  let first = true;
  const s = await serve((req, res) => {
    const socket = req.socket as { encrypted?: boolean };
    assert.equal(socket.encrypted, first ? undefined : true);
    first = false;
    socket.encrypted = true;
    assert.equal(socket.encrypted, true);
    req.resume();
    req.on("end", () => res.end("hello"));
  });
  let sock: { bytesRead: number; bytesWritten: number } | undefined;
  s.server.on("connection", (socket) => (sock = socket));
  const c = s.connect();
  const request = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody";
  c.send(request);
  await c.settle();
  assert.equal(sock!.bytesRead, request.length);
  assert.equal(sock!.bytesWritten, c.received().byteLength);
  assert.equal(c.text().endsWith("\r\n\r\nhello"), true);
  c.send(request);
  await c.settle();
  assert.equal(sock!.bytesRead, 2 * request.length);
  assert.equal(sock!.bytesWritten, c.received().byteLength);
  await s.close();
});

test(`[${runtime}] server._handle is set only while listening; ref() and unref() return the server`, async () => {
  const s = await serve(() => {});
  assert.ok(s.server._handle);
  assert.equal(s.server.listening, true);
  assert.equal(s.server.unref(), s.server);
  assert.equal(s.server.ref(), s.server);
  const closed = new Promise<void>((r) => s.server.close(() => r()));
  assert.equal(s.server._handle, null);
  assert.equal(s.server.listening, false);
  await closed;
  assert.equal(s.server._handle, null);
});

test(`[${runtime}] server.unref(), the socket's unref() and close() let the process exit by itself`, async () => {
  const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "exits.ts");
  for (const mode of ["unref", "socket-unref", "close"]) {
    const [cmd, args] = command(fixture);
    const child = spawn(cmd, args, { env: { ...process.env, MODE: mode }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    const cap = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const [code, signal] = await once(child, "exit");
    clearTimeout(cap);
    assert.equal(signal, null, `${mode}: killed at the cap: the process did not exit by itself\n${out}`);
    assert.equal(code, 0, `${mode}: ${out}`);
    assert.match(out, /served 200 OK/, mode);
  }
});

test(`[${runtime}] the runtime entry point hands upgrades a StreamSocket over real TCP`, async () => {
  const server = createRuntimeServer();
  const got = new Promise<unknown>((resolve) => {
    server.on("upgrade", (_req: IncomingMessage, socket: StreamSocket) => {
      socket.end(SWITCHED);
      resolve(socket);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const net = await import("node:net");
  const client = net.connect(portOf(server), "127.0.0.1");
  client.write(UPGRADE);
  let received = "";
  client.on("data", (d: Uint8Array) => (received += text(d)));
  await within(client, "end");
  client.destroy();
  assert.ok((await got) instanceof StreamSocket);
  assert.equal(received, SWITCHED);
  await new Promise<void>((r) => server.close(() => r()));
});
