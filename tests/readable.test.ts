// The readable-stream core (core/readable.ts) on its own, and as the bare core's upgrade
// socket (no hand-off factory): flowing and paused modes, the order of 'data' and 'end', the
// high-water mark reaching the transport, read()/'readable', async iteration. On the in-memory
// transport with the clock pinned.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter, type IncomingMessage, Readable, type Socket } from "../core/mod.ts";
import { serve } from "./_support/memory.ts";

const UPGRADE = "GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n";
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | string) => (typeof b === "string" ? b : String.fromCharCode(...b));
const settle = async (turns = 20) => {
  for (let i = 0; i < turns; i++) await Promise.resolve();
};

/** A readable that counts the source's `_pull()` calls. */
class Counted extends Readable {
  pulls = 0;
  override _pull(): void {
    this.pulls++;
  }
}

test("a readable emits every pushed chunk as 'data', then 'end' once its source ended", async () => {
  const r = new Readable();
  const seen: string[] = [];
  r.on("data", (c: Uint8Array) => seen.push(`data ${text(c)}`));
  r.on("end", () => seen.push("end"));
  r.on("close", () => seen.push("close"));
  r._push(bytes("a"));
  r._push(bytes("b"));
  r._pushEnd();
  await settle();
  assert.deepEqual(seen, ["data a", "data b", "end"], "no 'close': ending the stream's life is the owner's");
  assert.equal(r.readableEnded, true);
  assert.equal(r.readable, false);
});

test("a paused readable buffers, says wait at the high-water mark, and pulls once a reader took it below", async () => {
  const r = new Counted();
  r.readableHighWaterMark = 4;
  const seen: string[] = [];
  r.on("data", (c: Uint8Array) => seen.push(text(c)));
  r.pause();
  assert.equal(r._push(bytes("ab")), true);
  assert.equal(r._push(bytes("cd")), false, "4 bytes buffered: at the mark");
  await settle();
  assert.deepEqual(seen, [], "paused: no 'data'");
  assert.equal(r.readableLength, 4);
  assert.equal(r.isPaused(), true);
  r.resume();
  assert.equal(r.pulls, 0, "resume() alone does not read from the source");
  await settle();
  assert.deepEqual(seen, ["ab", "cd"]);
  assert.equal(r.pulls, 1, "taken below the mark: one pull, after the chunk was handed on");
  assert.equal(r.readableLength, 0);
});

test("read() takes exact sizes in paused mode; 'readable' comes when bytes or the end arrive", async () => {
  const r = new Readable();
  const got: string[] = [];
  r.on("readable", () => {
    let c: Uint8Array | string | null;
    while ((c = r.read(2)) !== null) got.push(text(c));
  });
  r._push(bytes("abc"));
  await settle();
  assert.deepEqual(got, ["ab"], "'c' waits: fewer than 2 bytes and not ended");
  let ended = false;
  r.on("end", () => (ended = true));
  r._pushEnd();
  await settle();
  assert.deepEqual(got, ["ab", "c"], "at the end read(2) returns what is left");
  assert.equal(ended, true);
});

test("async iteration yields chunks in order and finishes at the end", async () => {
  const r = new Readable();
  r.setEncoding("utf8");
  const done = (async () => {
    const out: string[] = [];
    for await (const c of r) out.push(c as string);
    return out;
  })();
  r._push(bytes("x"));
  await settle();
  r._push(bytes("y"));
  r._pushEnd();
  assert.deepEqual(await done, ["x", "y"]);
  assert.equal(r.readableEnded, true);
});

test("a readable with an owner emits on the owner and follows the owner's listeners", async () => {
  const owner = new EventEmitter();
  const r = new Readable(owner);
  const seen: string[] = [];
  owner.on("data", (c: Uint8Array) => seen.push(text(c)));
  owner.on("end", () => seen.push("end"));
  r._listenerAdded("data");
  r._push(bytes("hi"));
  r._pushEnd();
  await settle();
  assert.deepEqual(seen, ["hi", "end"]);
  assert.equal(r.listenerCount("data"), 0, "nothing is registered on the readable itself");
});

/** A bare-core server whose 'upgrade' listener gets the core socket. */
async function upgraded(options: { highWaterMark?: number } = {}) {
  const s = await serve(() => {}, options);
  let resolve!: (v: { socket: Socket; head: Uint8Array }) => void;
  const got = new Promise<{ socket: Socket; head: Uint8Array }>((r) => (resolve = r));
  s.server.on("upgrade", (_req: IncomingMessage, socket: Socket, head: Uint8Array) => resolve({ socket, head }));
  const c = s.connect();
  c.send(UPGRADE);
  const { socket } = await got;
  return { s, c, socket };
}

test("a bare-core upgrade socket: pause() holds 'data', the high-water mark stops reading from the peer, resume() reads on", async () => {
  const { s, c, socket } = await upgraded({ highWaterMark: 1024 });
  let received = "";
  socket.on("data", (d: Uint8Array) => (received += text(d)));
  socket.pause();
  const sent = "0123456789abcdef".repeat(64 * 4); // 4 KiB in 64-byte sends
  for (let i = 0; i < sent.length; i += 64) c.send(sent.slice(i, i + 64));
  await c.settle();
  assert.equal(received, "", "paused: no 'data'");
  assert.equal(socket.isPaused(), true);
  assert.equal(socket.readableLength, 1024, "buffered up to the mark");
  assert.equal(c.serverPaused, true, "the transport stopped reading");
  assert.equal(c.unreadBytes, sent.length - 1024, "the rest waits at the peer");
  socket.resume();
  await c.settle(200);
  assert.equal(received, sent, "every byte, in order");
  assert.equal(c.serverPaused, false);
  assert.equal(c.unreadBytes, 0);
  await s.close();
});

test("a bare-core upgrade socket emits 'data' for each read, then 'end' at the peer's FIN, and stays writable", async () => {
  const { s, c, socket } = await upgraded();
  const seen: string[] = [];
  socket.on("end", () => {
    seen.push("end");
    socket.end("bye");
  });
  socket.on("close", () => seen.push("close"));
  socket.on("data", (d: Uint8Array) => seen.push(text(d)));
  c.send("one");
  c.send("two");
  c.end();
  await c.closed;
  await c.settle();
  assert.deepEqual(seen, ["one", "two", "end", "close"]);
  assert.equal(c.text(), "bye");
  assert.equal(socket.readableEnded, true);
  await s.close();
});

test("a bare-core upgrade socket reads in paused mode: 'readable' and read()", async () => {
  const { s, c, socket } = await upgraded();
  let got = "";
  socket.on("readable", () => {
    let d: Uint8Array | string | null;
    while ((d = socket.read()) !== null) got += text(d);
  });
  c.send("abc");
  c.send("def");
  await c.settle();
  assert.equal(got, "abcdef");
  await s.close();
});

test("for await over a bare-core upgrade socket yields the head put back and what the peer sent until its FIN", async () => {
  const s = await serve(() => {});
  s.server.on("upgrade", async (_req: IncomingMessage, socket: Socket, head: Uint8Array) => {
    socket.unshift(head);
    let all = "";
    for await (const chunk of socket) all += text(chunk);
    socket.end(`got ${all}`);
  });
  const c = s.connect();
  c.send(UPGRADE + "he");
  c.send("llo");
  await c.settle();
  c.send(" world");
  c.end();
  await c.closed;
  assert.equal(c.text(), "got hello world");
  await s.close();
});

test("leaving a for await over a bare-core upgrade socket early destroys the connection", async () => {
  const { s, c, socket } = await upgraded();
  const done = (async () => {
    for await (const _ of socket) break;
  })();
  c.send("x");
  await done;
  await c.closed;
  assert.equal(c.reset, true);
  assert.equal(socket.destroyed, true);
  await s.close();
});

test("a socket that carries HTTP never makes a readable side, and pause() still holds the connection", async () => {
  let sock: Socket | undefined;
  const s = await serve((req, res) => {
    sock = req.socket as Socket;
    sock.pause();
    res.end("ok");
  });
  const c = s.connect();
  c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  await c.settle();
  assert.ok(c.text().endsWith("ok"));
  assert.equal(Object.hasOwn(sock!, "_reader"), false, "no readable state on an HTTP socket");
  assert.equal(sock!.read(), null);
  assert.throws(() => sock!.setEncoding("utf8"), /Cannot read the socket/);
  await s.close();
});
