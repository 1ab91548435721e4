// Every path node:http 20 routes through an overridable method goes through the instance's
// method here too (lib/_http_outgoing.js, lib/_http_server.js), so middleware that replaces
// one on `res` (on-headers, compression, express-session, tracers) sees what it sees on Node;
// and node:http's own OutgoingMessage.prototype header methods, which packages call on `res`
// (cookies, under cookie-session), work on our responses. In-memory transport, clock pinned,
// exact bytes; then the real packages over a real server on the runtime running this file.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import { createRequire } from "node:module";
import express from "express";
import cookieSession from "cookie-session";
import compression from "compression";
import { gunzipSync } from "node:zlib";
import type { HeaderValue, IncomingMessage, ServerResponse } from "../core/mod.ts";
// The adapters' binding to node:http (every entry point's Server does this when first made):
// our header store under the runtime's kOutHeaders.
import { shareNodeHeaders } from "../adapters/_node-http.ts";
import { createServer, type Server } from "../adapters/mod.ts";

shareNodeHeaders();
import { DATE, serve } from "./_support/memory.ts";
import { runtime } from "./_support/runtime.ts";
import { portOf } from "./_support/address.ts";

const onHeaders = createRequire(import.meta.url)("on-headers") as (res: unknown, listener: (this: ServerResponse) => void) => void;

const KA = "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n";
const GET = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

/** One request through `handler`; the bytes of the answer. */
async function answer(handler: (req: IncomingMessage, res: ServerResponse) => void, request = GET): Promise<string> {
  const s = await serve(handler);
  const c = s.connect();
  c.send(request);
  await c.settle();
  const text = c.text();
  await s.close();
  return text;
}

/** Replace `name` on the instance with a wrapper that records its calls and calls through. */
function spy(res: object, name: string, calls: unknown[][]): void {
  const r = res as Record<string, (...a: unknown[]) => unknown>;
  const original = r[name];
  r[name] = function (this: unknown, ...args: unknown[]) {
    calls.push([name, ...args.map((a) => (a instanceof Uint8Array ? new TextDecoder("latin1").decode(a) : a))]);
    return original.apply(this, args);
  };
}

// ---- the implicit head: write / end / flushHeaders → this._implicitHeader() → this.writeHead() --

for (const [how, finish] of [
  ["end(data)", (res: ServerResponse) => res.end("hi")],
  ["end()", (res: ServerResponse) => res.end()],
  ["write(data)", (res: ServerResponse) => (res.write("hi"), res.end())],
  ["flushHeaders()", (res: ServerResponse) => (res.flushHeaders(), res.end())],
] as const) {
  test(`${how} with no writeHead goes through the instance's _implicitHeader and writeHead`, async () => {
    const calls: unknown[][] = [];
    const text = await answer((_req, res) => {
      spy(res, "_implicitHeader", calls);
      const writeHead = res.writeHead;
      res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse["writeHead"]>) {
        calls.push(["writeHead", ...args]);
        this.setHeader("X-Hook", "1");
        return writeHead.apply(this, args);
      };
      res.statusCode = 201;
      finish(res);
    });
    assert.deepEqual(calls, [["_implicitHeader"], ["writeHead", 201]]);
    const body = how === "end()" || how === "flushHeaders()" ? "" : "hi";
    const framing = how === "end(data)" || how === "end()" ? `Content-Length: ${body.length}\r\n\r\n${body}` : how === "write(data)" ? "Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" : "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    assert.equal(text, `HTTP/1.1 201 Created\r\nX-Hook: 1\r\nDate: ${DATE}\r\n${KA}${framing}`);
  });
}

test("flushHeaders() sends the head through the instance's _send and _writeRaw", async () => {
  const calls: unknown[][] = [];
  const text = await answer((_req, res) => {
    spy(res, "_send", calls);
    spy(res, "_writeRaw", calls);
    res.setHeader("Content-Length", "2");
    res.flushHeaders();
    calls.push(["--"]);
    res.end("ok");
  });
  const head = `HTTP/1.1 200 OK\r\nContent-Length: 2\r\nDate: ${DATE}\r\n${KA}\r\n`;
  // Node: _send("") carries the head; the body of end() then goes through _writeRaw.
  assert.deepEqual(calls.slice(0, 3), [["_send", ""], ["_writeRaw", head, null, undefined], ["--"]]);
  assert.deepEqual(calls.slice(3), [["_writeRaw", "ok"]]);
  assert.equal(text, head + "ok");
});

// ---- writeHead with headers already set → this.setHeader / this.removeHeader + this.appendHeader --

test("writeHead(status, object) after setHeader sets each field through the instance's setHeader", async () => {
  const calls: unknown[][] = [];
  const text = await answer((_req, res) => {
    res.setHeader("X-A", "1");
    spy(res, "setHeader", calls);
    res.writeHead(200, { "X-B": "2", "X-A": "3" });
    res.end();
  });
  assert.deepEqual(calls, [["setHeader", "X-B", "2"], ["setHeader", "X-A", "3"]]);
  // writeHead before end(): no length known when the head is built, so chunked (as Node).
  assert.equal(text, `HTTP/1.1 200 OK\r\nX-A: 3\r\nX-B: 2\r\nDate: ${DATE}\r\n${KA}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`);
});

test("writeHead(status, array) after setHeader goes through the instance's removeHeader and appendHeader (Node 22)", async () => {
  const calls: unknown[][] = [];
  const text = await answer((_req, res) => {
    res.setHeader("X-A", "1");
    spy(res, "removeHeader", calls);
    spy(res, "appendHeader", calls);
    spy(res, "setHeader", calls);
    res.writeHead(200, ["X-A", "2", "X-A", "3"]);
    res.end();
  });
  assert.deepEqual(calls, [
    ["removeHeader", "X-A"],
    ["removeHeader", "X-A"],
    ["appendHeader", "X-A", "2"],
    ["setHeader", "X-A", "2"],
    ["appendHeader", "X-A", "3"],
  ]);
  assert.equal(text, `HTTP/1.1 200 OK\r\nX-A: 2\r\nX-A: 3\r\nDate: ${DATE}\r\n${KA}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`);
});

test("appendHeader of a header not set yet goes through the instance's setHeader; then it pushes, as Node", async () => {
  const calls: unknown[][] = [];
  const values = ["a=1"];
  const text = await answer((_req, res) => {
    spy(res, "setHeader", calls);
    res.appendHeader("Set-Cookie", values);
    res.appendHeader("Set-Cookie", "b=2");
    res.end();
  });
  assert.deepEqual(calls, [["setHeader", "Set-Cookie", values]]);
  // Node pushes into the array it was given (lib/_http_outgoing.js appendHeader).
  assert.deepEqual(values, ["a=1", "b=2"]);
  assert.equal(text, `HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nDate: ${DATE}\r\n${KA}Content-Length: 0\r\n\r\n`);
});

// ---- node:http's own header methods, called on our responses -----------------------------------

test("node:http's OutgoingMessage.prototype header methods work on our response (the cookies package's call)", async () => {
  const O = http.OutgoingMessage.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const seen: unknown[] = [];
  const text = await answer((_req, res) => {
    O.setHeader.call(res, "Set-Cookie", ["s=1; path=/"]);
    O.appendHeader.call(res, "Set-Cookie", "s.sig=x; path=/");
    O.setHeader.call(res, "X-Gone", "1");
    O.removeHeader.call(res, "x-gone");
    res.setHeader("X-Ours", "2");
    seen.push(O.getHeader.call(res, "set-cookie"), O.hasHeader.call(res, "X-Ours"), O.hasHeader.call(res, "x-gone"));
    seen.push({ ...(O.getHeaders.call(res) as Record<string, HeaderValue>) }, res.getHeader("Set-Cookie"));
    O.removeHeader.call(res, "Date");
    res.end("x");
  });
  assert.deepEqual(seen, [
    ["s=1; path=/", "s.sig=x; path=/"],
    true,
    false,
    { "set-cookie": ["s=1; path=/", "s.sig=x; path=/"], "x-ours": "2" },
    ["s=1; path=/", "s.sig=x; path=/"],
  ]);
  // Its removeHeader("Date") sets sendDate = false, as on Node: no Date line.
  assert.equal(text, `HTTP/1.1 200 OK\r\nSet-Cookie: s=1; path=/\r\nSet-Cookie: s.sig=x; path=/\r\nX-Ours: 2\r\n${KA}Content-Length: 1\r\n\r\nx`);
});

test("node:http's removeHeader('content-length') on our response stops the server adding one, as Node's _removedContLen", async () => {
  const O = http.OutgoingMessage.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const text = await answer((_req, res) => {
    O.removeHeader.call(res, "Content-Length");
    res.end("x");
  });
  assert.equal(text, `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n`);
});

// ---- raw writes: 1xx, and every byte when _writeRaw is replaced --------------------------------

test("writeContinue, writeProcessing and writeEarlyHints go through the instance's _writeRaw", async () => {
  const calls: unknown[][] = [];
  const done: string[] = [];
  const text = await answer((_req, res) => {
    spy(res, "_writeRaw", calls);
    res.writeContinue(() => done.push("100"));
    res.writeProcessing(() => done.push("102"));
    res.writeEarlyHints({ link: "</a.css>; rel=preload" }, () => done.push("103"));
    res.end();
  });
  const early = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n";
  assert.deepEqual(calls.map((c) => c.slice(0, 3)), [
    ["_writeRaw", "HTTP/1.1 100 Continue\r\n\r\n", "latin1"],
    ["_writeRaw", "HTTP/1.1 102 Processing\r\n\r\n", "latin1"],
    ["_writeRaw", early, "latin1"],
    ["_writeRaw", `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}Content-Length: 0\r\n\r\n`],
  ]);
  assert.deepEqual(done, ["100", "102", "103"]);
  assert.equal(text, `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n${early}HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}Content-Length: 0\r\n\r\n`);
});

test("a _writeRaw replaced on the instance gets every byte of the response, and the wire is unchanged", async () => {
  const seen: string[] = [];
  const text = await answer((_req, res) => {
    const writeRaw = res._writeRaw;
    res._writeRaw = function (this: ServerResponse, data, encoding, cb) {
      seen.push(typeof data === "string" ? data : new TextDecoder("latin1").decode(data));
      return writeRaw.call(this, data, encoding, cb);
    };
    res.write("ab");
    res.write("cde");
    res.end("f");
  });
  const wire = `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n3\r\ncde\r\n1\r\nf\r\n0\r\n\r\n`;
  assert.equal(seen.join(""), wire);
  assert.equal(text, wire);
});

// ---- end() → this._finish() ('prefinish'), and the server's detachSocket before 'finish' -----

test("end() emits 'prefinish' through the instance's _finish, then 'finish' with res.socket detached, then 'close'", async () => {
  const events: unknown[] = [];
  await answer((_req, res) => {
    for (const name of ["_finish", "detachSocket"] as const) {
      const original = res[name] as (...a: unknown[]) => void;
      (res as unknown as Record<string, unknown>)[name] = function (this: ServerResponse, ...args: unknown[]) {
        events.push(name);
        original.apply(this, args);
      };
    }
    res.on("prefinish", () => events.push("prefinish", res.socket !== null));
    res.on("finish", () => events.push("finish", res.socket));
    res.on("close", () => events.push("close"));
    res.end("x");
    events.push("end returned");
  });
  assert.deepEqual(events, ["_finish", "prefinish", true, "end returned", "detachSocket", "finish", null, "close"]);
});

// ---- the real packages -------------------------------------------------------------------------

test("on-headers: its listener runs before a head sent implicitly by end(), and its header is on the wire", async () => {
  const text = await answer((_req, res) => {
    onHeaders(res, function () {
      this.setHeader("X-Seen-Status", String(this.statusCode));
    });
    res.statusCode = 404;
    res.end("no");
  });
  assert.equal(text, `HTTP/1.1 404 Not Found\r\nX-Seen-Status: 404\r\nDate: ${DATE}\r\n${KA}Content-Length: 2\r\n\r\nno`);
});

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${portOf(server)}`)));
}
function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** The cookie-session object as this test uses it (express-session's types also claim `req.session`). */
function counter(req: { session?: unknown }): { n?: number } {
  return req.session as { n?: number };
}

test(`[${runtime}] cookie-session under Express 5 sets its cookie on res.end(), res.send() and res.json(), over TCP`, async () => {
  const app = express();
  app.use(cookieSession({ name: "s", keys: ["k"] }));
  app.get("/end", (req, res) => {
    counter(req).n = 1;
    res.end("x");
  });
  app.get("/send", (req, res) => {
    counter(req).n = 1;
    res.send("x");
  });
  app.get("/json", (req, res) => {
    counter(req).n = 1;
    res.json({ ok: true });
  });
  app.get("/read", (req, res) => res.send(String(counter(req).n)));
  const server = createServer(app);
  const base = await listen(server);
  try {
    for (const path of ["/end", "/send", "/json"]) {
      const r = await fetch(base + path);
      await r.arrayBuffer();
      // {"n":1} signed with key "k": the same bytes cookie-session gives on node:http.
      assert.deepEqual(r.headers.getSetCookie(), [
        "s=eyJuIjoxfQ==; path=/; httponly",
        "s.sig=PGk_0n_P7iY7F4ZNEPpr0hS_Nec; path=/; httponly",
      ], path);
    }
    const r = await fetch(base + "/read", { headers: { cookie: "s=eyJuIjoxfQ==; s.sig=PGk_0n_P7iY7F4ZNEPpr0hS_Nec" } });
    assert.equal(await r.text(), "1");
  } finally {
    await close(server);
  }
});

test(`[${runtime}] compression under Express 5 gzips through its write/end/_implicitHeader overrides, over TCP`, async () => {
  const app = express();
  app.use(compression({ threshold: 0 }));
  const text = "hello ".repeat(1000);
  app.get("/", (_req, res) => {
    res.type("text/plain");
    res.write(text.slice(0, 3000));
    res.end(text.slice(3000));
  });
  const server = createServer(app);
  const base = await listen(server);
  try {
    const r = await fetch(base + "/", { headers: { "accept-encoding": "gzip" }, decompress: false } as RequestInit);
    const bytes = new Uint8Array(await r.arrayBuffer());
    assert.equal(r.headers.get("content-encoding"), "gzip");
    assert.equal(r.headers.get("vary"), "Accept-Encoding");
    // fetch may or may not decompress on its own, by runtime: accept either, compare the text.
    const body = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes).toString() : new TextDecoder().decode(bytes);
    assert.equal(body, text);
  } finally {
    await close(server);
  }
});
