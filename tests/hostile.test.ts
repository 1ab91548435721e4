// Hostile and broken clients on the memory transport: bounded memory, nothing lost, no hang.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "../core/mod.ts";
import { PIPELINE_SLICE } from "../core/connection.ts";
import { serve } from "./_support/memory.ts";

const hello = (_req: IncomingMessage, res: ServerResponse) => res.end("hello world");

test("a client that pipelines without reading is held to a fixed bound of queued responses", async () => {
  const s = await serve(hello);
  const c = s.connect({ paused: true, highWaterMark: 16 * 1024 });
  const one = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  // 20 000 requests (540 KB), sent in 64 KiB reads as a socket would deliver them.
  const all = one.repeat(20_000);
  for (let i = 0; i < all.length; i += 65536) c.send(all.slice(i, i + 65536));
  await c.settle();
  const responseSize = 120;
  // Bound: the transport's high-water mark plus one batch of responses (64 KiB, the write
  // batching of one read in core/connection.ts).
  const bound = 16 * 1024 + 64 * 1024 + 2 * responseSize;
  assert.ok(c.serverPaused, "the server stopped reading");
  assert.ok(c.queuedBytes < bound, `queued ${c.queuedBytes} bytes`);
  assert.ok(c.unreadBytes > 0, "requests wait in the client's send buffer, not in the server");
  // Reading resumes: every request is answered, in order, none lost.
  let rounds = 0;
  while ((c.unreadBytes > 0 || c.queuedBytes > 0) && rounds++ < 100_000) {
    c.read(64 * 1024);
    assert.ok(c.queuedBytes < bound, `queued ${c.queuedBytes} bytes`);
    await c.settle(2);
  }
  c.resumeReading();
  await c.settle();
  assert.equal(c.text().split("hello world").length - 1, 20_000);
  await s.close();
});

test("a deep pipeline in one read is served in slices, each started once earlier exchanges are over", async () => {
  // Until a request's and its response's deferred events ('finish', then 'close') ran, both
  // stay alive: serving a whole read of pipelined requests in one go kept ~2 000 exchanges
  // alive at once, and V8 grew its young generation to the maximum for them (`npm run abuse`,
  // pipeline flood). An exchange is over when its request's 'close' ran.
  let over = 0;
  let maxLive = 0;
  let n = 0;
  const s = await serve((req, res) => {
    maxLive = Math.max(maxLive, n++ - over);
    req.on("close", () => over++);
    res.end(req.url!.slice(1));
  });
  const c = s.connect();
  const count = 10 * PIPELINE_SLICE;
  let input = "";
  for (let i = 0; i < count; i++) input += `GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`;
  c.send(input); // one read
  await c.settle();
  // The rest of a read waits for the events deferred by the slice just served; those of a
  // slice end three hops after its requests (response 'finish' → response 'close' → request
  // 'close'), so at most three slices are ever live — whatever the depth of the pipeline.
  assert.ok(maxLive <= 3 * PIPELINE_SLICE, `${maxLive} exchanges live at once`);
  // Still every response, in order.
  const bodies = c.text().split("\r\n\r\n").slice(1).map((part) => part.split("HTTP/1.1")[0]);
  assert.deepEqual(bodies, Array.from({ length: count }, (_, i) => String(i)));
  assert.equal(c.ended, false);
  await s.close();
});

test("a request body pauses reading at the high-water mark until the handler reads", async () => {
  let req: IncomingMessage | undefined;
  const s = await serve((r) => (req = r));
  const c = s.connect();
  c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n");
  for (let i = 0; i < 20; i++) c.send("x".repeat(4096));
  await c.settle();
  assert.ok(c.serverPaused, "reading paused");
  assert.ok(req!.readableLength <= 16 * 1024 + 4096, `buffered ${req!.readableLength}`);
  let got = 0;
  req!.on("data", (d: Uint8Array) => (got += d.byteLength));
  await c.settle();
  assert.equal(got, 20 * 4096);
  assert.equal(c.serverPaused, false);
  await s.close();
});

test("a slow reader of a large streamed response costs at most about one high-water mark", async () => {
  const chunk = new Uint8Array(64 * 1024).fill(97);
  let written = 0;
  const s = await serve((_req, res) => {
    const pump = () => {
      while (written < 100 * 1024 * 1024) {
        written += chunk.byteLength;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      res.end();
    };
    pump();
  });
  const c = s.connect({ paused: true, highWaterMark: 64 * 1024 });
  c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  await c.settle();
  assert.ok(c.queuedBytes <= 2 * 64 * 1024 + 1024, `queued ${c.queuedBytes}`);
  // Read ten slices; the server never runs ahead by more than its high-water mark.
  for (let i = 0; i < 10; i++) {
    const before = written;
    c.read(64 * 1024);
    await c.settle(5);
    assert.ok(written - before <= 2 * 64 * 1024, `wrote ${written - before} in one drain`);
    c.clear();
  }
  c.destroy();
  await s.close();
});

test("10 000 connection resets mid-request and mid-response: no throw, every req/res closed", async () => {
  let opened = 0;
  let closed = 0;
  const s = await serve((req, res) => {
    opened++;
    let n = 0;
    const done = () => ++n === 2 && closed++;
    req.on("close", done);
    res.on("close", done);
    if (req.url === "/respond") res.write("partial");
  });
  for (let i = 0; i < 10_000; i++) {
    const c = s.connect();
    c.send(i % 2 ? "GET /respond HTTP/1.1\r\nHost: a\r\n\r\n" : "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\nabc");
    c.destroy();
    if (i % 500 === 0) await c.settle();
  }
  await new Promise((r) => setTimeout(r, 0));
  await s.close();
  assert.equal(opened, 10_000);
  assert.equal(closed, 10_000);
  let count = -1;
  s.server.getConnections((_e, n) => (count = n));
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(count, 0);
});
