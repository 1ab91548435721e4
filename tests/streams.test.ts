// req and res as Node streams, to Node's own stream machinery (node:stream, node:events,
// node:fs) of the runtime that runs this file: pipe in both directions, pipeline and its
// promise form with completion and errors, finished(), async iteration, web streams,
// backpressure, cork, paused-mode reads, encodings, destroy and the order of 'aborted' and
// 'close'. On the in-memory transport with the clock pinned.
import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { finished, pipeline, Readable, Writable } from "node:stream";
import { pipeline as pipelineP } from "node:stream/promises";
import type { IncomingMessage, ServerResponse, Socket } from "../core/mod.ts";
import { DATE, serve } from "./_support/memory.ts";

const KA = "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n";
const POST = (n: number, extra = "") => `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${n}\r\n${extra}\r\n`;
const CHUNKED = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";

/** Split a response into head and body; a chunked body is decoded. */
function parse(text: string): { head: string; body: string } {
  const at = text.indexOf("\r\n\r\n");
  const head = text.slice(0, at);
  let body = text.slice(at + 4);
  if (/Transfer-Encoding: chunked/i.test(head)) {
    let out = "";
    for (;;) {
      const eol = body.indexOf("\r\n");
      const size = parseInt(body.slice(0, eol), 16);
      if (!size) break;
      out += body.slice(eol + 2, eol + 2 + size);
      body = body.slice(eol + 2 + size + 2);
    }
    body = out;
  }
  return { head, body };
}

/** A file of `size` bytes with a recognisable pattern, removed by the caller. */
function tempFile(size: number): { file: string; bytes: Buffer; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "anyhttp-streams-"));
  const file = path.join(dir, "data.bin");
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = 97 + (i % 26);
  fs.writeFileSync(file, bytes);
  return { file, bytes, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A promise and its resolver, for handlers to report back. */
function signal<T = void>(): { promise: Promise<T>; resolve(v: T): void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

// ---- reading the request -------------------------------------------------------------------

test("for await over req yields the body chunk by chunk, then ends and closes", async () => {
  const events: string[] = [];
  const s = await serve(async (req, res) => {
    req.on("end", () => events.push("end"));
    req.on("close", () => events.push("close"));
    const parts: Uint8Array[] = [];
    for await (const chunk of req) parts.push(chunk as Uint8Array);
    res.end(`${parts.length}:${Buffer.concat(parts)}`);
  });
  const c = s.connect();
  c.send(CHUNKED + "3\r\nabc\r\n");
  await c.settle();
  c.send("2\r\nde\r\n0\r\n\r\n");
  await c.settle();
  assert.equal(parse(c.text()).body, "2:abcde");
  assert.deepEqual(events, ["end", "close"]);
  await s.close();
});

test("req.pipe(node Writable) honours the writable's backpressure and ends it", async () => {
  const done = signal<string>();
  let sawPause = false;
  const s = await serve((req, res) => {
    const got: Buffer[] = [];
    const sink = new Writable({
      highWaterMark: 1024,
      write(chunk, _enc, cb) {
        got.push(Buffer.from(chunk));
        if (req.isPaused()) sawPause = true;
        setTimeout(cb, 1);
      },
    });
    req.pipe(sink);
    sink.on("finish", () => {
      res.end(`${Buffer.concat(got).length}`);
      done.resolve(Buffer.concat(got).toString("latin1"));
    });
  });
  const c = s.connect();
  const body = Array.from({ length: 40 }, (_, i) => String.fromCharCode(65 + (i % 26)).repeat(1000)).join("");
  c.send(POST(body.length));
  let serverPaused = false;
  for (let i = 0; i < 40; i++) {
    c.send(body.slice(i * 1000, (i + 1) * 1000));
    if (c.serverPaused) serverPaused = true;
    await c.settle();
  }
  assert.equal(await done.promise, body);
  await c.settle();
  assert.equal(parse(c.text()).body, "40000");
  assert.ok(sawPause, "req paused while the sink was full");
  assert.ok(serverPaused, "the connection stopped reading while req was paused and full");
  await s.close();
});

test("req.read() in paused mode: 'readable', read(size) exactly, read() all that is buffered, then 'end'", async () => {
  const s = await serve((req, res) => {
    const out: string[] = [];
    req.once("readable", () => {
      out.push(Buffer.from(req.read(3) as Uint8Array).toString());
      req.on("readable", () => {
        let chunk;
        while ((chunk = req.read()) !== null) out.push(Buffer.from(chunk as Uint8Array).toString());
      });
    });
    req.on("end", () => res.end(out.join("|")));
  });
  const c = s.connect();
  c.send(POST(10) + "abcdefg");
  await c.settle();
  c.send("hij");
  await c.settle();
  // node:http gives the same: the rest of the first chunk waits for the next 'readable'.
  assert.equal(parse(c.text()).body, "abc|defghij");
  await s.close();
});

test("setEncoding: characters split across chunks come out whole (utf8, base64, hex)", async () => {
  for (const [encoding, expected] of [
    ["utf8", "h€llo"],
    ["base64", Buffer.from("h€llo").toString("base64")],
    ["hex", Buffer.from("h€llo").toString("hex")],
  ]) {
    const s = await serve((req, res) => {
      let text = "";
      req.setEncoding(encoding);
      assert.equal(req.readableEncoding, encoding);
      req.on("data", (d: unknown) => {
        assert.equal(typeof d, "string");
        text += d;
      });
      req.on("end", () => res.end(text));
    });
    const c = s.connect();
    const bytes = Buffer.from("h€llo"); // the euro sign is 3 bytes
    c.send(POST(bytes.length));
    c.send(bytes.subarray(0, 2));
    await c.settle();
    c.send(bytes.subarray(2, 3));
    await c.settle();
    c.send(bytes.subarray(3));
    await c.settle();
    assert.equal(Buffer.from(parse(c.text()).body, "latin1").toString("utf8"), expected, encoding);
    await s.close();
  }
});

test("req.toWeb() is a byte ReadableStream of the body; Readable.from(req) and fromWeb work too", async () => {
  const s = await serve(async (req, res) => {
    if (req.url === "/web") res.end(await new Response(req.toWeb()).text());
    else if (req.url === "/from") {
      const parts: Buffer[] = [];
      for await (const chunk of Readable.from(req)) parts.push(Buffer.from(chunk));
      res.end(Buffer.concat(parts));
    } else {
      const parts: Buffer[] = [];
      for await (const chunk of Readable.fromWeb(req.toWeb() as never)) parts.push(Buffer.from(chunk));
      res.end(Buffer.concat(parts));
    }
  });
  for (const url of ["/web", "/from", "/fromweb"]) {
    const c = s.connect();
    c.send(`POST ${url} HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello`);
    await c.settle();
    c.send(" world");
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(parse(c.text()).body, "hello world", url);
  }
  await s.close();
});

test("once(req, 'end') and finished(req) see the end of a body read by someone else", async () => {
  const s = await serve(async (req, res) => {
    const fin = signal<unknown>();
    finished(req as unknown as NodeJS.ReadableStream, (err) => fin.resolve(err ?? null));
    let n = 0;
    req.on("data", (d: Uint8Array) => (n += d.byteLength));
    await once(req, "end");
    assert.equal(await fin.promise, null);
    res.end(`read ${n}`);
  });
  const c = s.connect();
  c.send(POST(5) + "12345");
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(parse(c.text()).body, "read 5");
  await s.close();
});

test("unpipe(dest) stops the data to it, emits 'unpipe' and pauses the source", async () => {
  const s = await serve((req, res) => {
    const got: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        got.push(String(chunk));
        cb();
      },
    });
    let unpiped = false;
    sink.on("unpipe", (src: unknown) => (unpiped = src === req));
    req.pipe(sink);
    req.once("data", () => {
      req.unpipe(sink);
      assert.equal(req.listenerCount("data"), 0);
      queueMicrotask(() => {
        let rest = "";
        req.on("data", (d: Uint8Array) => (rest += Buffer.from(d)));
        req.on("end", () => res.end(`${unpiped} ${got.join("")} ${rest}`));
        // As in Node, unpiping the last destination paused the source.
        assert.equal(req.isPaused(), true);
        req.resume();
      });
    });
  });
  const c = s.connect();
  c.send(POST(6) + "abc");
  await c.settle();
  c.send("def");
  await c.settle();
  assert.equal(parse(c.text()).body, "true abc def");
  await s.close();
});

test("breaking out of for await destroys req (an AbortError) but the response still goes out", async () => {
  const events: string[] = [];
  const s = await serve(async (req, res) => {
    req.on("aborted", () => events.push("aborted"));
    req.on("close", () => events.push("close"));
    for await (const _chunk of req) break;
    res.end("stopped");
  });
  const c = s.connect();
  c.send(POST(10) + "abc");
  await c.settle();
  assert.equal(parse(c.text()).body, "stopped");
  assert.equal(c.reset, false);
  assert.deepEqual(events, ["aborted", "close"]);
  await s.close();
});

// ---- writing the response ------------------------------------------------------------------

test("nodeReadable.pipe(res): each chunk written in order, res ended, 'finish' before 'close'", async () => {
  const events: string[] = [];
  const closed = signal();
  const s = await serve((_req, res) => {
    res.on("finish", () => events.push("finish"));
    res.on("close", () => {
      events.push("close");
      closed.resolve();
    });
    Readable.from(["hello ", "world"]).pipe(res);
  });
  const c = s.connect();
  c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  await closed.promise;
  assert.equal(
    c.text(),
    `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}Transfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n`,
  );
  assert.deepEqual(events, ["finish", "close"]);
  await s.close();
});

test("pipeline(fs.createReadStream(file), res, cb) sends the file and calls cb once the response is done", async () => {
  const { file, bytes, remove } = tempFile(300_000);
  try {
    const result = signal<unknown>();
    const s = await serve((_req, res) => {
      res.setHeader("Content-Length", bytes.length);
      pipeline(fs.createReadStream(file), res, (err) => {
        assert.equal(res.writableFinished, true);
        result.resolve(err ?? null);
      });
    });
    const c = s.connect();
    c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert.equal(await result.promise, null);
    await c.settle();
    const { head, body } = parse(c.text());
    assert.match(head, /Content-Length: 300000/);
    assert.equal(body, bytes.toString("latin1"));
    assert.equal(c.reset, false);
    await s.close();
  } finally {
    remove();
  }
});

test("pipeline to a slow client: the file is read no faster than the client takes it", async () => {
  const { file, bytes, remove } = tempFile(1024 * 1024);
  try {
    const result = signal<unknown>();
    const s = await serve((_req, res) => {
      pipeline(fs.createReadStream(file), res, (err) => result.resolve(err ?? null));
    });
    const c = s.connect({ highWaterMark: 16 * 1024, paused: true });
    c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    let maxQueued = 0;
    let done = false;
    result.promise.then(() => (done = true));
    while (!done) {
      await new Promise((r) => setTimeout(r, 1));
      maxQueued = Math.max(maxQueued, c.queuedBytes);
      c.read(32 * 1024);
    }
    assert.equal(await result.promise, null);
    c.resumeReading();
    assert.equal(parse(c.text()).body, bytes.toString("latin1"));
    // One fs chunk (64 KiB) over the client's 16 KiB mark at most, never the whole file.
    assert.ok(maxQueued <= 16 * 1024 + 64 * 1024 + 1024, `queued at most ${maxQueued} bytes`);
    await s.close();
  } finally {
    remove();
  }
});

test("pipeline: a failing source destroys the response (connection reset) and cb gets the error", async () => {
  const result = signal<NodeJS.ErrnoException | null>();
  const s = await serve((_req, res) => {
    pipeline(fs.createReadStream(path.join(os.tmpdir(), "anyhttp-no-such-file")), res, (err) => {
      assert.equal(res.destroyed, true);
      result.resolve(err ?? null);
    });
  });
  const c = s.connect();
  c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  assert.equal((await result.promise)?.code, "ENOENT");
  await c.settle();
  assert.equal(c.reset, true);
  assert.equal(c.text(), "");
  await s.close();
});

test("pipeline: a client gone mid-response ends it with ERR_STREAM_PREMATURE_CLOSE and destroys the source", async () => {
  const { file, remove } = tempFile(1024 * 1024);
  try {
    const result = signal<NodeJS.ErrnoException | null>();
    let source: fs.ReadStream | undefined;
    const s = await serve((_req, res) => {
      source = fs.createReadStream(file);
      pipeline(source, res, (err) => result.resolve(err ?? null));
    });
    const c = s.connect({ highWaterMark: 16 * 1024, paused: true });
    c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    while (c.queuedBytes === 0) await new Promise((r) => setTimeout(r, 1));
    c.destroy();
    assert.equal((await result.promise)?.code, "ERR_STREAM_PREMATURE_CLOSE");
    assert.equal(source!.destroyed, true);
    await s.close();
  } finally {
    remove();
  }
});

test("stream/promises pipeline resolves when the response is done and rejects with the source's error", async () => {
  const { file, bytes, remove } = tempFile(100_000);
  try {
    const outcome = signal<string>();
    const s = await serve((req, res) => {
      const src = req.url === "/ok" ? file : path.join(os.tmpdir(), "anyhttp-no-such-file");
      pipelineP(fs.createReadStream(src), res).then(() => outcome.resolve("resolved"), (e) => outcome.resolve(e.code));
    });
    const ok = s.connect();
    ok.send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n");
    assert.equal(await outcome.promise, "resolved");
    assert.equal(parse(ok.text()).body, bytes.toString("latin1"));
    await s.close();

    const failed = signal<string>();
    const s2 = await serve((_req, res) => {
      pipelineP(fs.createReadStream(path.join(os.tmpdir(), "anyhttp-no-such-file")), res)
        .then(() => failed.resolve("resolved"), (e) => failed.resolve(e.code));
    });
    const bad = s2.connect();
    bad.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert.equal(await failed.promise, "ENOENT");
    await s2.close();
  } finally {
    remove();
  }
});

test("pipeline(req, failing writable): req is destroyed, the connection stays to answer 500 (as node:http)", async () => {
  const answered = signal();
  const s = await serve((req, res) => {
    const sink = new Writable({
      write(_chunk, _enc, cb) {
        cb(new Error("disk full"));
      },
    });
    pipeline(req, sink, (err) => {
      assert.equal(err?.message, "disk full");
      assert.equal(req.destroyed, true);
      res.statusCode = 500;
      res.end("failed");
      answered.resolve();
    });
  });
  const c = s.connect();
  c.send(POST(6) + "abc");
  await answered.promise;
  await c.settle();
  assert.equal(c.reset, false);
  assert.match(c.text(), /^HTTP\/1\.1 500 Internal Server Error\r\n/);
  assert.equal(parse(c.text()).body, "failed");
  await s.close();
});

test("res.write() returns false above the transport's mark, then 'drain' when the client reads", async () => {
  const seen: Record<string, unknown> = {};
  const s = await serve(async (_req, res) => {
    // Outside the synchronous dispatch: writes made while the connection parses a read are
    // batched into one transport write at the end of it.
    await Promise.resolve();
    const ok = res.write(new Uint8Array(4096).fill(120));
    Object.assign(seen, { ok, needDrain: res.writableNeedDrain, length: res.writableLength });
    res.once("drain", () => {
      Object.assign(seen, { drained: true, needDrainAfter: res.writableNeedDrain, lengthAfter: res.writableLength });
      res.end();
    });
  });
  const c = s.connect({ highWaterMark: 1024, paused: true });
  c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  await c.settle();
  assert.equal(seen.ok, false);
  assert.equal(seen.needDrain, true);
  assert.ok((seen.length as number) > 0);
  assert.equal(seen.drained, undefined);
  c.resumeReading();
  await c.settle();
  assert.equal(seen.drained, true);
  assert.equal(seen.needDrainAfter, false);
  assert.equal(seen.lengthAfter, 0);
  assert.equal(parse(c.text()).body, "x".repeat(4096));
  await s.close();
});

test("cork() holds writes (writableCorked, writableLength) until uncork() sends them in one go", async () => {
  const s = await serve(async (_req, res) => {
    await Promise.resolve(); // outside the batched synchronous dispatch, as above
    res.cork();
    res.write("a");
    res.write("b");
    seen.corked = res.writableCorked;
    seen.length = res.writableLength;
    seen.before = c.text();
    res.uncork();
    seen.after = parse(c.text()).body;
    seen.lengthAfter = res.writableLength;
    res.end();
  });
  const seen: Record<string, unknown> = {};
  const c = s.connect();
  c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  await c.settle();
  assert.equal(seen.corked, 1);
  assert.ok((seen.length as number) > 2);
  assert.equal(seen.before, "");
  assert.equal(seen.after, "ab");
  assert.equal(seen.lengthAfter, 0);
  await s.close();
});

test("writableEnded at end(), writableFinished at 'finish'; writableHighWaterMark is a number", async () => {
  const seen: unknown[] = [];
  const s = await serve((_req, res) => {
    seen.push(res.writableHighWaterMark, res.writableObjectMode);
    seen.push(res.writableEnded, res.writableFinished);
    res.on("finish", () => seen.push("finish", res.writableEnded, res.writableFinished));
    res.end("x");
    seen.push(res.writableEnded, res.writableFinished);
  });
  const c = s.connect();
  c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  await c.settle();
  assert.deepEqual(seen, [16384, false, false, false, true, false, "finish", true, true]);
  await s.close();
});

test("write() after end(): the callback and 'error' get ERR_STREAM_WRITE_AFTER_END", async () => {
  const seen: string[] = [];
  const s = await serve((_req, res) => {
    res.on("error", (e: NodeJS.ErrnoException) => seen.push(`error ${e.code}`));
    res.end("done");
    assert.equal(res.write("more", (e) => seen.push(`cb ${(e as NodeJS.ErrnoException)?.code}`)), false);
  });
  const c = s.connect();
  c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  await c.settle();
  assert.deepEqual(seen, ["cb ERR_STREAM_WRITE_AFTER_END", "error ERR_STREAM_WRITE_AFTER_END"]);
  assert.equal(parse(c.text()).body, "done");
  await s.close();
});

test("finished(res) reports success after the response, ERR_STREAM_PREMATURE_CLOSE if the client goes first", async () => {
  const results: unknown[] = [];
  const s = await serve((req, res) => {
    finished(res, (err) => results.push((err as NodeJS.ErrnoException | undefined)?.code ?? "ok"));
    if (req.url === "/ok") res.end("ok");
    else res.write("partial");
  });
  const a = s.connect();
  a.send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n");
  await new Promise((r) => setTimeout(r, 5));
  const b = s.connect();
  b.send("GET /hang HTTP/1.1\r\nHost: a\r\n\r\n");
  await b.settle();
  b.destroy();
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(results, ["ok", "ERR_STREAM_PREMATURE_CLOSE"]);
  await s.close();
});

// ---- destroy, aborted, close -----------------------------------------------------------------

test("req.destroy(err): 'aborted', then 'error' and 'close' after the socket closes; the connection is reset", async () => {
  const events: string[] = [];
  const s = await serve((req, res) => {
    req.on("aborted", () => events.push("aborted"));
    req.on("error", (e: Error) => events.push(`error ${e.message}`));
    req.on("close", () => events.push("req-close"));
    res.on("close", () => events.push("res-close"));
    (req.socket as Socket).on("close", () => events.push("socket-close"));
    req.destroy(new Error("nope"));
    events.push(`destroyed ${req.destroyed} aborted ${req.aborted}`);
  });
  const c = s.connect();
  c.send(POST(10) + "abc");
  await c.settle();
  assert.equal(c.reset, true);
  // The memory transport closes at once, inside destroy(); the response's 'close' comes from
  // the socket's, before the user's socket listener (Node's onServerResponseClose is first).
  assert.deepEqual(events, [
    "aborted",
    "res-close",
    "socket-close",
    "destroyed true aborted true",
    "error nope",
    "req-close",
  ]);
  await s.close();
});

test("a client reset mid-body: 'aborted', res 'close', req 'error' (ECONNRESET), req 'close', as node:http", async () => {
  const events: string[] = [];
  const s = await serve((req, res) => {
    req.on("aborted", () => events.push("aborted"));
    req.on("error", (e: NodeJS.ErrnoException) => events.push(`req-error ${e.code}`));
    req.on("close", () => events.push("req-close"));
    res.on("close", () => events.push("res-close"));
  });
  const c = s.connect();
  c.send(POST(10) + "abc");
  await c.settle();
  c.destroy();
  await c.settle();
  assert.deepEqual(events, ["aborted", "res-close", "req-error ECONNRESET", "req-close"]);
  await s.close();
});

test("a client gone while a complete but unread request waits: 'aborted', as node:http", async () => {
  const events: string[] = [];
  const s = await serve((req, res) => {
    req.on("aborted", () => events.push("aborted"));
    req.on("close", () => events.push("req-close"));
    res.on("close", () => events.push("res-close"));
  });
  const c = s.connect();
  c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  await c.settle();
  c.destroy();
  await c.settle();
  assert.deepEqual(events, ["aborted", "res-close", "req-close"]);
  await s.close();
});

test("a normal exchange: req 'end' then 'close'; res 'finish' then 'close'; no 'aborted'", async () => {
  const events: string[] = [];
  const s = await serve((req, res) => {
    req.on("aborted", () => events.push("aborted"));
    req.on("end", () => events.push("req-end"));
    req.on("close", () => events.push("req-close"));
    res.on("finish", () => events.push("res-finish"));
    res.on("close", () => events.push("res-close"));
    req.resume();
    req.on("end", () => res.end("ok"));
  });
  const c = s.connect();
  c.send(POST(2) + "hi");
  await c.settle();
  // node:http 20's order when the response is ended from the request's 'end' listener.
  assert.deepEqual(events, ["req-end", "res-finish", "res-close", "req-close"]);
  await s.close();
});

// ---- prototype swap ---------------------------------------------------------------------------

test("a framework's prototype swap (as Express does) keeps our req and res working", async () => {
  // What Express's app.handle does: plain objects with the framework's additions, over the
  // runtime's own node:http prototypes, swapped in for each request.
  const appRequest = Object.create(Object.create(http.IncomingMessage.prototype), {
    framework: { value: () => "req-extra" },
  });
  const appResponse = Object.create(Object.create(http.ServerResponse.prototype), {
    json: {
      value(this: ServerResponse, body: unknown) {
        this.setHeader("Content-Type", "application/json");
        this.end(JSON.stringify(body));
      },
    },
  });
  const s = await serve((req: IncomingMessage, res: ServerResponse) => {
    // Express links the two first (app.handle; Express 4's init middleware), then swaps.
    (req as unknown as { res: unknown }).res = res;
    Object.setPrototypeOf(req, appRequest);
    Object.setPrototypeOf(res, appResponse);
    const url = req.url; // a router's first read
    assert.ok(req instanceof http.IncomingMessage, "the framework's chain is kept");
    const extra = (req as unknown as { framework(): string }).framework();
    let body = "";
    req.on("data", (d: Uint8Array) => (body += Buffer.from(d)));
    req.on("end", () => {
      (res as unknown as { json(b: unknown): void }).json({ url, extra, body, host: req.headers.host });
    });
  });
  const c = s.connect();
  c.send("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi");
  await c.settle();
  assert.deepEqual(JSON.parse(parse(c.text()).body), { url: "/p", extra: "req-extra", body: "hi", host: "h" });
  assert.match(c.text(), /Content-Type: application\/json/);
  await s.close();
});

test("a request no framework links keeps url as a plain field; linking makes it an accessor with the same value", async () => {
  const seen: string[] = [];
  const s = await serve((req: IncomingMessage, res: ServerResponse) => {
    const before = Object.getOwnPropertyDescriptor(req, "url")!;
    seen.push(`${"value" in before} ${before.value}`);
    (req as unknown as { res: unknown }).res = res;
    const after = Object.getOwnPropertyDescriptor(req, "url")!;
    seen.push(`${typeof after.get} ${req.url}`);
    req.url = "/rewritten"; // routers rewrite req.url (mounting strips the prefix)
    seen.push(req.url);
    res.end();
  });
  const c = s.connect();
  c.send("GET /a?b HTTP/1.1\r\nHost: h\r\n\r\n");
  await c.settle();
  assert.deepEqual(seen, ["true /a?b", "function /a?b", "/rewritten"]);
  await s.close();
});

test("a read that resumes from inside the body's flow does not overtake the bytes being handed on", async () => {
  // The memory transport, like the Bun and Deno adapters with a held read, delivers the next
  // read synchronously from resume(). The first read fills the body buffer past its high-water
  // mark, so taking it out resumes reading; the second read must come after it, not before.
  const body = Array.from({ length: 40_000 }, (_, i) => String.fromCharCode(32 + (i % 90))).join("");
  const s = await serve((req, res) => {
    let got = "";
    req.setEncoding("latin1");
    req.on("data", (d: string) => (got += d));
    req.on("end", () => res.end(got));
  });
  for (const at of [20_000, 16_384, 17_000, 39_999]) {
    const c = s.connect();
    const message = POST(body.length) + body;
    const cut = POST(body.length).length + at;
    // Back to back, nothing settling in between: both reads reach the server in one turn.
    c.send(message.slice(0, cut));
    c.send(message.slice(cut));
    await c.settle();
    assert.equal(c.text(), `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}Content-Length: ${body.length}\r\n\r\n${body}`, `cut at ${at}`);
  }
  await s.close();
});
