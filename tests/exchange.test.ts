// Expectations, upgrades, CONNECT, limits: node:http's server behaviour, byte-level, on the
// in-memory transport with the clock pinned.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse, Socket } from "../core/mod.ts";
import { DATE, exchange, serve, splits } from "./_support/memory.ts";

const KA = "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n";
const echo = (req: IncomingMessage, res: ServerResponse) => {
  let body = "";
  req.setEncoding("latin1");
  req.on("data", (s: string) => (body += s));
  req.on("end", () => res.end(`${req.url}:${body}`));
};

test("Expect: 100-continue gets an automatic 100 Continue before the response", async () => {
  const req = "POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi";
  for (const pieces of splits(req)) {
    const out = await exchange(echo, pieces);
    assert.equal(
      out.text,
      `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}Content-Length: 5\r\n\r\n/e:hi`,
    );
  }
});

test("'checkContinue' replaces the automatic 100; writeContinue() sends it", async () => {
  const s = await serve(echo);
  let seen = false;
  s.server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    seen = true;
    if (req.url === "/no") {
      res.writeHead(413).end();
      return;
    }
    res.writeContinue();
    echo(req, res);
  });
  const c = s.connect();
  c.send("POST /yes HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  await c.settle();
  assert.equal(c.text(), "HTTP/1.1 100 Continue\r\n\r\n");
  c.send("ok");
  await c.settle();
  assert.ok(seen);
  assert.ok(c.text().endsWith("\r\n\r\n/yes:ok"));
  c.clear();
  c.send("POST /no HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  await c.settle();
  assert.equal(c.text(), `HTTP/1.1 413 Payload Too Large\r\nDate: ${DATE}\r\n${KA}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`);
  await s.close();
});

test("any other expectation gets 417, or goes to 'checkExpectation'", async () => {
  const out = await exchange(echo, ["GET /x HTTP/1.1\r\nHost: a\r\nExpect: foo\r\n\r\n"]);
  assert.equal(out.text, `HTTP/1.1 417 Expectation Failed\r\nDate: ${DATE}\r\n${KA}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`);
  const s = await serve(echo);
  s.server.on("checkExpectation", (_req: IncomingMessage, res: ServerResponse) => res.end("custom"));
  const c = s.connect();
  c.send("GET /x HTTP/1.1\r\nHost: a\r\nExpect: foo\r\n\r\n");
  await c.settle();
  assert.ok(c.text().endsWith("\r\n\r\ncustom"));
  await s.close();
});

test("Expect on HTTP/1.0 is ignored, as in Node", async () => {
  const out = await exchange(echo, ["GET /x HTTP/1.0\r\nExpect: foo\r\n\r\n"]);
  assert.equal(out.text, `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\nConnection: close\r\n\r\n/x:`);
});

test("'upgrade' gets the request, the socket and the bytes already read; the socket then carries raw bytes", async () => {
  const req = "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: chat\r\n\r\nhello";
  for (const pieces of [[req], splits(req)[1]]) {
    const s = await serve(echo);
    let head = "";
    s.server.on("upgrade", (r: IncomingMessage, socket: Socket, h: Uint8Array) => {
      head += String.fromCharCode(...h);
      assert.equal(r.upgrade, true);
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: chat\r\nConnection: Upgrade\r\n\r\n${r.url}`);
      socket.on("data", (d: Uint8Array) => socket.write(`<${String.fromCharCode(...d)}>`));
      socket.on("end", () => socket.end("bye"));
    });
    const c = s.connect();
    for (const p of pieces) c.send(p);
    c.send("more");
    c.end();
    await c.settle();
    // Byte by byte, "hello" arrives after the hand-off as raw data events.
    const tail = head === "hello" ? "<more>" : "<h><e><l><l><o><more>";
    assert.equal(c.text(), `HTTP/1.1 101 Switching Protocols\r\nUpgrade: chat\r\nConnection: Upgrade\r\n\r\n/ws${tail}bye`);
    assert.equal(c.ended, true);
    await s.close();
  }
});

test("an Upgrade nobody listens for is ignored: the request is answered and HTTP continues (RFC 9110 §7.8)", async () => {
  const out = await exchange(echo, [
    "GET /u HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: ws\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n",
  ]);
  assert.equal(
    out.text,
    `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}Content-Length: 3\r\n\r\n/u:` +
      `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}Content-Length: 6\r\n\r\n/next:`,
  );
});

test("'connect' gets the tunnel; CONNECT with no listener closes without an answer, as in Node", async () => {
  const s = await serve(echo);
  s.server.on("connect", (req: IncomingMessage, socket: Socket, head: Uint8Array) => {
    socket.end(`HTTP/1.1 200 Connection Established\r\n\r\n${req.url} ${String.fromCharCode(...head)}`);
  });
  const c = s.connect();
  c.send("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\nxyz");
  await c.settle();
  assert.equal(c.text(), "HTTP/1.1 200 Connection Established\r\n\r\nexample.com:443 xyz");
  assert.equal(c.ended, true);
  await s.close();
  const none = await exchange(echo, ["CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"]);
  assert.equal(none.text, "");
  assert.equal(none.reset, true);
});

test("maxRequestBodySize: a declared or streamed body over it gets 413 and a closed connection", async () => {
  const declared = await exchange(echo, ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n"], { maxRequestBodySize: 10 });
  assert.equal(declared.text, "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n");
  assert.equal(declared.ended, true);
  const streamed = await exchange(echo, [
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n",
    "6\r\nworld!\r\n0\r\n\r\n",
  ], { maxRequestBodySize: 10 });
  assert.equal(streamed.text, "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n");
  const fits = await exchange(echo, ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789"], { maxRequestBodySize: 10 });
  assert.ok(fits.text.endsWith("/:0123456789"));
});

test("an invalid Host value gets 400 (RFC 9112 §3.2); an empty one is allowed", async () => {
  for (const host of ["a b", "a/b", "a@b", "[::1", "a:b:c"]) {
    const out = await exchange(echo, [`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`]);
    assert.equal(out.text, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n", host);
  }
  for (const host of ["", "example.com", "example.com:8080", "[::1]:80", "127.0.0.1", "xn--bcher-kva.example"]) {
    const out = await exchange(echo, [`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`]);
    assert.match(out.text, /^HTTP\/1\.1 200 OK/, host);
  }
});

test("requireHostHeader: false accepts an HTTP/1.1 request without Host", async () => {
  const out = await exchange(echo, ["GET /h HTTP/1.1\r\n\r\n"], { requireHostHeader: false });
  assert.ok(out.text.endsWith("\r\n\r\n/h:"));
});

test("maxRequestsPerSocket: the last allowed response says Connection: close and the connection ends", async () => {
  const s = await serve(echo, { maxRequestsPerSocket: 2 });
  const c = s.connect();
  c.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n");
  await c.settle();
  assert.equal(
    c.text(),
    // Node advertises the limit: Keep-Alive: timeout=5, max=2.
    `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max=2\r\nContent-Length: 3\r\n\r\n/1:` +
      `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\nConnection: close\r\nContent-Length: 3\r\n\r\n/2:`,
  );
  assert.equal(c.ended, true);
  await s.close();
});

test("maxConnections: connections over the limit are dropped and reported with 'drop'", async () => {
  const s = await serve(echo);
  s.server.maxConnections = 1;
  const drops: unknown[] = [];
  s.server.on("drop", (info: unknown) => drops.push(info));
  const first = s.connect();
  const second = s.connect();
  assert.equal(second.reset, true);
  assert.equal(first.isClosed, false);
  assert.deepEqual(drops, [{
    localAddress: "127.0.0.1",
    localPort: 80,
    localFamily: "IPv4",
    remoteAddress: "127.0.0.1",
    remotePort: 40000,
    remoteFamily: "IPv4",
  }]);
  await s.close();
});

test("a request that never completes its body gets 408 after requestTimeout", async () => {
  const s = await serve(() => {}, { requestTimeout: 10_000, headersTimeout: 5_000 });
  const c = s.connect();
  c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhel");
  s.clock.advance(9_000);
  await c.settle();
  assert.equal(c.isClosed, false);
  s.clock.advance(2_000);
  await c.settle();
  assert.equal(c.text(), "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
});

test("a connection that sends nothing is closed with 408 after headersTimeout", async () => {
  const s = await serve(echo, { headersTimeout: 3_000 });
  const c = s.connect();
  s.clock.advance(2_000);
  assert.equal(c.isClosed, false);
  s.clock.advance(2_000);
  await c.settle();
  assert.equal(c.text(), "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
  assert.equal(c.ended, true);
});

test("server.setTimeout: an idle socket emits 'timeout' on the server", async () => {
  const s = await serve(echo);
  const timedOut: unknown[] = [];
  s.server.setTimeout(2_000, (socket: Socket) => {
    timedOut.push(socket);
    socket.destroy();
  });
  const c = s.connect();
  c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  await c.settle();
  s.clock.advance(3_000);
  await c.settle();
  assert.equal(timedOut.length, 1);
  assert.equal(c.isClosed, true);
});

test("timeouts fire within 10 % of their value: a 2 s headersTimeout closes a dribbling client by 2.2 s", async () => {
  const s = await serve(echo, { headersTimeout: 2_000 });
  const c = s.connect();
  const start = s.clock.now();
  // Slowloris: one byte every 100 ms, never finishing the head.
  const head = "GET / HTTP/1.1\r\nHost: a\r\nX-Slow: " + "a".repeat(100);
  let i = 0;
  while (!c.isClosed && i < head.length) {
    c.send(head[i++]);
    s.clock.advance(100);
    await c.settle(2);
  }
  await c.settle();
  assert.equal(c.text(), "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
  const took = s.clock.now() - start;
  assert.ok(took >= 2_000 && took <= 2_200, `closed after ${took} ms`);
});

test("bad options throw RangeErrors that name the option", async () => {
  const { createServer } = await import("../core/mod.ts");
  assert.throws(() => createServer({ headersTimeout: 400_000 }), (e: Error) => e instanceof RangeError && /"headersTimeout"/.test(e.message));
  assert.throws(() => createServer({ keepAliveTimeout: -1 }), (e: Error) => e instanceof RangeError && /"options.keepAliveTimeout"/.test(e.message));
  const s = createServer({});
  assert.throws(() => s.listen(70_000), (e: Error) => e instanceof RangeError && /70000/.test(e.message));
  assert.throws(() => s.listen(0), (e: Error & { code?: string }) => e.code === "ERR_MISSING_OPTION");
});

test("idle connections share parsers: a head in progress keeps its own, and each server's limits apply", async () => {
  // An idle keep-alive connection gives its parser back; the next connection that reads takes
  // one. A parser must never move while a head is half read, and must take the limits of the
  // server it now parses for.
  const small = await serve((req, res) => res.end(`small ${req.url}`), { maxHeaderSize: 64 });
  const big = await serve((req, res) => res.end(`big ${req.url} ${req.headers["x-long"]?.length}`));
  const ok = (body: string) => `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}Content-Length: ${body.length}\r\n\r\n${body}`;
  const b = big.connect();
  b.send("GET /b0 HTTP/1.1\r\nHost: a\r\nX-Long: x\r\n\r\n");
  await b.settle();
  // The big server's idle parser now parses for the small one: 64 bytes of head at most.
  const c = small.connect();
  c.send(`GET /c1 HTTP/1.1\r\nHost: a\r\nX-Pad: ${"p".repeat(80)}\r\n\r\n`);
  await c.settle();
  assert.equal(c.text(), "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n");
  const a = small.connect();
  a.send("GET /a1 HTTP/1.1\r\nHost: a\r\n\r\n");
  await a.settle();
  b.send("GET /b1 HTTP/1.1\r\nHo"); // b holds a parser mid-head from here
  await b.settle();
  a.send("GET /a2 HTTP/1.1\r\nHost: a\r\n\r\n");
  await a.settle();
  // ... and with the big server's limits, though that parser last worked for the small one.
  b.send(`st: a\r\nX-Long: ${"x".repeat(200)}\r\n\r\n`);
  await b.settle();
  assert.equal(a.text(), ok("small /a1") + ok("small /a2"));
  assert.equal(b.text(), ok("big /b0 1") + ok("big /b1 200"));
  await small.close();
  await big.close();
});

test("response bytes are the same whether small regions are slab views or arrays of their own (the Bun transport's choice)", async () => {
  const { allocateFreshBelow } = await import("../core/_bytes.ts");
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === "/chunked") {
      res.write("a");
      res.write("é".repeat(600)); // 1200 bytes: above the fresh limit
      res.end("z");
      return;
    }
    if (req.url === "/big") {
      res.end("x".repeat(5000));
      return;
    }
    echo(req, res);
  };
  const input = [
    "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n", // two answers joined in one write
    "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
    "GET /chunked HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET /big HTTP/1.1\r\nHost: a\r\n\r\n",
  ];
  const outputs: string[] = [];
  try {
    for (const limit of [0, 1000, 100_000]) {
      allocateFreshBelow(limit);
      outputs.push((await exchange(handler, input)).text);
    }
  } finally {
    allocateFreshBelow(0);
  }
  assert.match(outputs[0], /^HTTP\/1\.1 200 OK\r\n[^]*\/a:[^]*\/b:[^]*\/p:abc[^]*\r\n1\r\na\r\n4b0\r\n(\xc3\xa9){600}\r\n1\r\nz\r\n0\r\n\r\n[^]*x{5000}$/);
  assert.equal(outputs[1], outputs[0]);
  assert.equal(outputs[2], outputs[0]);
});

test("end(text) sends the same bytes as end() of that text's UTF-8 bytes, for every framing and state", async () => {
  const utf8 = new TextEncoder();
  // What the handler does before end(body); `body` is a string or its bytes.
  const cases: Record<string, (res: ServerResponse, body: string | Uint8Array, n: number) => void> = {
    implicit: (res, body) => res.end(body),
    length: (res, body, n) => res.writeHead(200, { "Content-Length": n }).end(body),
    longer: (res, body, n) => res.writeHead(200, { "Content-Length": n + 3 }).end(body), // short body: close
    shorter: (res, body, n) => res.writeHead(200, { "Content-Length": Math.max(0, n - 1) }).end(body), // cut, close
    chunked: (res, body) => res.writeHead(200).end(body),
    corked: (res, body) => {
      res.cork();
      res.end(body);
    },
    written: (res, body) => {
      res.write("a");
      res.end(body);
    },
    latin1: (res, body) => res.end(body, typeof body === "string" ? "latin1" : undefined),
    raw: (res, body) => {
      const own = res._writeRaw;
      res._writeRaw = function (this: ServerResponse, ...args: Parameters<ServerResponse["_writeRaw"]>) {
        return own.apply(this, args);
      };
      res.end(body);
    },
  };
  const texts = ["ok", "", "x".repeat(64), "y".repeat(65), "é", "a\u0080b", "\u{1F600}"];
  const requests = [
    "GET /%s HTTP/1.1\r\nHost: a\r\n\r\n",
    "HEAD /%s HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET /%s HTTP/1.0\r\n\r\n",
  ];
  let compared = 0;
  for (const [name, act] of Object.entries(cases)) {
    for (const text of texts) {
      // latin1 is a different encoding of a non-ASCII string; compare it with its own bytes.
      const bytes = name === "latin1" ? Uint8Array.from({ length: text.length }, (_, i) => text.charCodeAt(i) & 0xff) : utf8.encode(text);
      for (const request of requests) {
        const input = [request.replace("%s", name)];
        const asText = await exchange((_req, res) => act(res, text, bytes.byteLength), input);
        const asBytes = await exchange((_req, res) => act(res, bytes, bytes.byteLength), input);
        assert.equal(asText.text, asBytes.text, `${name} ${JSON.stringify(text)} ${JSON.stringify(input[0])}`);
        compared++;
      }
    }
  }
  assert.equal(compared, 9 * 7 * 3);
  const ok = await exchange((_req, res) => res.writeHead(200, { "Content-Length": 2 }).end("ok"), ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"]);
  assert.equal(ok.text, `HTTP/1.1 200 OK\r\nContent-Length: 2\r\nDate: ${DATE}\r\n${KA}\r\nok`);
});

test("consecutive responses with the same head and different texts each send their own text", async () => {
  const texts: Record<string, string> = { "/a": "aa", "/b": "bb" };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { "Content-Length": 2 });
    res.end(texts[req.url!]);
  };
  const input = ["/a", "/a", "/b", "/a", "/b", "/b"].map((p) => `GET ${p} HTTP/1.1\r\nHost: a\r\n\r\n`);
  const head = `HTTP/1.1 200 OK\r\nContent-Length: 2\r\nDate: ${DATE}\r\n${KA}\r\n`;
  const want = ["aa", "aa", "bb", "aa", "bb", "bb"].map((t) => head + t).join("");
  // Pipelined in one read, and one request per read.
  assert.equal((await exchange(handler, [input.join("")])).text, want);
  assert.equal((await exchange(handler, input)).text, want);
});

test("writeHead() whose headers fail validation throws and keeps none of them: a later end() sends the bare head, as Node", async () => {
  const codes: string[] = [];
  const handler = (_req: IncomingMessage, res: ServerResponse) => {
    const attempts: Record<string, string>[] = [{ "X-Ok": "1", "X-Bad": "a\r\nb" }, { "X-Ok": "1", "Bad Name": "v" }];
    for (const headers of attempts) {
      try {
        res.writeHead(201, headers);
      } catch (err) {
        codes.push((err as { code: string }).code);
      }
    }
    assert.equal(res.headersSent, false);
    res.end("ok");
  };
  const out = await exchange(handler, ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"]);
  assert.deepEqual(codes, ["ERR_INVALID_CHAR", "ERR_INVALID_HTTP_TOKEN"]);
  assert.equal(out.text, `HTTP/1.1 201 Created\r\nDate: ${DATE}\r\n${KA}Content-Length: 2\r\n\r\nok`);
});
