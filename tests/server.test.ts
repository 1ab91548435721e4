// Byte-level behaviour of the server on the in-memory transport, clock pinned.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type Clock, createMemoryTransport, createServer, type IncomingMessage, type ServerResponse, VirtualClock } from "../core/mod.ts";
import { DATE, exchange, serve, splits } from "./_support/memory.ts";

const KA = "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n";
const seed = (_req: IncomingMessage, res: ServerResponse) => {
  res.write("ok");
  res.end();
};

// Handlers covering each framing rule; each case below is replayed whole, byte by byte and at
// every split point, and must give the same bytes.
function app(req: IncomingMessage, res: ServerResponse): void {
  switch (req.url) {
    case "/seed":
      return seed(req, res);
    case "/end":
      res.end("hello");
      return;
    case "/echo": {
      const parts: Uint8Array[] = [];
      req.on("data", (d: Uint8Array) => parts.push(d));
      req.on("end", () => {
        res.setHeader("X-Trailer", JSON.stringify(req.trailers));
        res.end(new Uint8Array(parts.flatMap((p) => [...p])));
      });
      return;
    }
    case "/headers":
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ h: req.headers, raw: req.rawHeaders, v: req.httpVersion, m: req.method }));
      return;
    default:
      res.statusCode = 404;
      res.end("not found");
  }
}

const CASES: { name: string; request: string; response: string; ended: boolean }[] = [
  {
    name: "seed program: write then end is chunked for HTTP/1.1",
    request: "GET /seed HTTP/1.1\r\nHost: a\r\n\r\n",
    response: `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n`,
    ended: false,
  },
  {
    name: "end(data) before the head sets an exact Content-Length",
    request: "GET /end HTTP/1.1\r\nHost: a\r\n\r\n",
    response: `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}Content-Length: 5\r\n\r\nhello`,
    ended: false,
  },
  {
    name: "an HTTP/1.0 peer gets a close-delimited body and a closed connection",
    request: "GET /seed HTTP/1.0\r\n\r\n",
    response: `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\nConnection: close\r\n\r\nok`,
    ended: true,
  },
  {
    name: "Connection: close from the client closes after the response",
    request: "GET /end HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    response: `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello`,
    ended: true,
  },
  {
    name: "HEAD gets the head without a body",
    request: "HEAD /seed HTTP/1.1\r\nHost: a\r\n\r\n",
    response: `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}\r\n`,
    ended: false,
  },
  {
    name: "a Content-Length body is delivered whole",
    request: "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world",
    response: `HTTP/1.1 200 OK\r\nX-Trailer: {}\r\nDate: ${DATE}\r\n${KA}Content-Length: 11\r\n\r\nhello world`,
    ended: false,
  },
  {
    name: "a chunked body with extensions and trailers is decoded",
    request:
      "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n",
    response:
      `HTTP/1.1 200 OK\r\nX-Trailer: {"x-sum":"42"}\r\nDate: ${DATE}\r\n${KA}Content-Length: 11\r\n\r\nhello world`,
    ended: false,
  },
  {
    name: "header names keep their case in rawHeaders and are lower-cased in headers",
    request: "GET /headers HTTP/1.1\r\nHost: a\r\nX-Mixed-Case: v  \r\nAccept: a\r\nAccept: b\r\n\r\n",
    response: (() => {
      const body = JSON.stringify({
        h: { host: "a", "x-mixed-case": "v", accept: "a, b" },
        raw: ["Host", "a", "X-Mixed-Case", "v", "Accept", "a", "Accept", "b"],
        v: "1.1",
        m: "GET",
      });
      return `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: ${DATE}\r\n${KA}Content-Length: ${body.length}\r\n\r\n${body}`;
    })(),
    ended: false,
  },
  {
    name: "an invalid header name gets a canned 400 and a closed connection",
    request: "GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n",
    response: "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n",
    ended: true,
  },
  {
    name: "an HTTP/1.1 request without Host gets 400 (RFC 9112 §3.2)",
    request: "GET / HTTP/1.1\r\n\r\n",
    response: "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n",
    ended: true,
  },
  {
    name: "two Host headers get 400 (RFC 9112 §3.2)",
    request: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    response: "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n",
    ended: true,
  },
  {
    name: "Content-Length together with Transfer-Encoding is rejected (RFC 9112 §6.1)",
    request: "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    response: "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n",
    ended: true,
  },
  {
    name: "obs-fold is rejected (RFC 9112 §5.2)",
    request: "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
    response: "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n",
    ended: true,
  },
  {
    name: "an HTTP/2 preface is not HTTP/1.1",
    request: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    response: "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n",
    ended: true,
  },
  {
    name: "valid pipelined requests before a bad one are answered first, in order",
    request: "GET /end HTTP/1.1\r\nHost: a\r\n\r\nGET /seed HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nX\x01: y\r\n\r\n",
    response: `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}Content-Length: 5\r\n\r\nhello` +
      `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n` +
      "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n",
    ended: true,
  },
];

for (const c of CASES) {
  test(`${c.name} (whole, byte by byte, and at every split point)`, async () => {
    for (const pieces of splits(c.request)) {
      const out = await exchange(app, pieces);
      assert.equal(out.text, c.response, `split ${pieces.map((p) => p.length).join("+")}`);
      assert.equal(out.ended, c.ended, `connection ${c.ended ? "ends" : "stays open"} at split ${pieces.map((p) => p.length).join("+")}`);
    }
  });
}

test("ten pipelined requests in one write get ten in-order responses, even when handlers finish out of order", async () => {
  let n = 0;
  const s = await serve((req, res) => {
    const i = n++;
    // Later requests would finish first if responses were not kept in order.
    let turns = 10 - i;
    const tick = () => (turns-- > 0 ? queueMicrotask(tick) : res.end(req.url));
    tick();
  });
  const c = s.connect();
  let input = "";
  for (let i = 0; i < 10; i++) input += `GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`;
  c.send(input);
  await c.settle(500);
  let expected = "";
  for (let i = 0; i < 10; i++) {
    expected += `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}Content-Length: ${`/${i}`.length}\r\n\r\n/${i}`;
  }
  assert.equal(c.text(), expected);
  assert.equal(c.ended, false);
  await s.close();
});

test("the server keeps serving other connections after a bad request", async () => {
  const s = await serve(seed);
  const bad = s.connect();
  const good = s.connect();
  bad.send("GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n");
  good.send("GET /seed HTTP/1.1\r\nHost: a\r\n\r\n");
  await good.settle();
  assert.equal(bad.text(), "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
  assert.equal(bad.ended, true);
  assert.match(good.text(), /^HTTP\/1\.1 200 OK\r\n/);
  good.send("GET /seed HTTP/1.1\r\nHost: a\r\n\r\n");
  await good.settle();
  assert.equal(good.text().split("HTTP/1.1 200 OK").length - 1, 2);
  await s.close();
});

test("a request-target longer than maxHeaderSize gets 414, an oversized header section 431", async () => {
  const longUrl = await exchange(seed, [`GET /${"a".repeat(17000)} HTTP/1.1\r\nHost: a\r\n\r\n`]);
  assert.equal(longUrl.text, "HTTP/1.1 414 URI Too Long\r\nConnection: close\r\n\r\n");
  const bigHeader = await exchange(seed, [`GET / HTTP/1.1\r\nHost: a\r\nX: ${"a".repeat(17000)}\r\n\r\n`]);
  assert.equal(bigHeader.text, "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n");
  const small = await exchange(seed, [`GET / HTTP/1.1\r\nHost: a\r\nX: ${"a".repeat(200)}\r\n\r\n`], { maxHeaderSize: 100 });
  assert.equal(small.text, "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n");
});

test("header bytes are ISO-8859-1: 0x80-0x9F are not remapped as windows-1252 would", async () => {
  let seen = "";
  const out = await exchange((req, res) => {
    seen = req.headers["x-bytes"] as string;
    res.end();
  }, [new Uint8Array([...new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\nX-Bytes: "), 0x80, 0x93, 0xe9, 0xff, 13, 10, 13, 10])]);
  assert.match(out.text, /^HTTP\/1\.1 200 OK/);
  assert.deepEqual([...seen].map((ch) => ch.charCodeAt(0)), [0x80, 0x93, 0xe9, 0xff]);
});

test("Node's duplicate-header rules: first wins for the drop list, cookie joined with '; ', set-cookie an array", async () => {
  let headers: Record<string, unknown> = {};
  let distinct: Record<string, string[]> = {};
  await exchange((req, res) => {
    headers = req.headers;
    distinct = req.headersDistinct;
    res.end();
  }, [
    "GET / HTTP/1.1\r\nHost: a\r\nContent-Type: a\r\nContent-Type: b\r\nCookie: x=1\r\nCookie: y=2\r\n" +
    "Set-Cookie: a\r\nSet-Cookie: b\r\nX-List: 1\r\nX-List: 2\r\n\r\n",
  ]);
  assert.equal(headers["content-type"], "a");
  assert.equal(headers["cookie"], "x=1; y=2");
  assert.deepEqual(headers["set-cookie"], ["a", "b"]);
  assert.equal(headers["x-list"], "1, 2");
  assert.deepEqual(distinct["content-type"], ["a", "b"]);
});

test("response headers keep the order and case they were set in, as node:http sends them", async () => {
  const out = await exchange((_req, res) => {
    res.setHeader("X-A", ["1", "2"]);
    res.setHeader("Content-Type", "text/plain");
    res.writeHead(201, "Made", { "x-b": "3" });
    res.end("abc");
  }, ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"]);
  assert.equal(
    out.text,
    `HTTP/1.1 201 Made\r\nX-A: 1\r\nX-A: 2\r\nContent-Type: text/plain\r\nx-b: 3\r\nDate: ${DATE}\r\n${KA}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
  );
});

test("writeHead takes a flat array and an array of pairs", async () => {
  const flat = await exchange((_req, res) => {
    res.writeHead(200, ["A", "1", "B", "2"]).end();
  }, ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"]);
  assert.equal(flat.text, `HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nDate: ${DATE}\r\n${KA}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`);
  const pairs = await exchange((_req, res) => {
    res.writeHead(200, [["A", "1"], ["A", "2"]]).end();
  }, ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"]);
  assert.equal(pairs.text, `HTTP/1.1 200 OK\r\nA: 1\r\nA: 2\r\nDate: ${DATE}\r\n${KA}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`);
});


test("res._header is the head as sent; repeated heads are reused only when every part is the same", async () => {
  // The serializer reuses the last head's bytes when a head has the same parts: the responses
  // below alternate equal and different heads of equal length, so a reuse keyed on anything
  // less than every part would send a stale value.
  const headers: (string | null)[] = [];
  const s = await serve((req, res) => {
    headers.push(res._header);
    if (req.url === "/a") res.writeHead(200, { "X-V": "1", "Content-Length": 2 });
    else if (req.url === "/b") res.writeHead(200, { "X-V": "2", "Content-Length": 2 });
    else res.writeHead(200, { "X-W": "1", "Content-Length": 2 });
    headers.push(res._header);
    res.end("ok");
  });
  const c = s.connect();
  const urls = ["/a", "/a", "/b", "/a", "/c", "/c"];
  c.send(urls.map((u) => `GET ${u} HTTP/1.1\r\nHost: a\r\n\r\n`).join(""));
  await c.settle();
  const head = (line: string) => `HTTP/1.1 200 OK\r\n${line}\r\nContent-Length: 2\r\nDate: ${DATE}\r\n${KA}\r\n`;
  const want = { "/a": head("X-V: 1"), "/b": head("X-V: 2"), "/c": head("X-W: 1") } as Record<string, string>;
  assert.equal(c.text(), urls.map((u) => `${want[u]}ok`).join(""));
  assert.deepEqual(headers, urls.flatMap((u) => [null, want[u]]));
  await s.close();
});

test("a header value whose toString() writes another response's head: both heads are right", async () => {
  const s = await serve((req, res) => {
    if (req.url === "/outer") {
      let armed = false;
      res.setHeader("X-Late", {
        toString() {
          // Armed only while the outer head is being built (setHeader's checks read it too).
          if (armed && !held.headersSent) held.writeHead(201, { "X-Inner": "yes" });
          return "late";
        },
      } as unknown as string);
      armed = true;
      res.writeHead(200, { "X-Outer": "yes" });
      armed = false;
      assert.ok(held.headersSent);
      res.end("o");
    } else held = res;
  });
  let held!: ServerResponse;
  const inner = s.connect();
  inner.send("GET /inner HTTP/1.1\r\nHost: a\r\n\r\n");
  await inner.settle();
  const outer = s.connect();
  outer.send("GET /outer HTTP/1.1\r\nHost: a\r\n\r\n");
  await outer.settle();
  held.end("i");
  await inner.settle();
  assert.equal(outer.text(), `HTTP/1.1 200 OK\r\nX-Late: late\r\nX-Outer: yes\r\nDate: ${DATE}\r\n${KA}Transfer-Encoding: chunked\r\n\r\n1\r\no\r\n0\r\n\r\n`);
  assert.equal(inner.text(), `HTTP/1.1 201 Created\r\nX-Inner: yes\r\nDate: ${DATE}\r\n${KA}Transfer-Encoding: chunked\r\n\r\n1\r\ni\r\n0\r\n\r\n`);
  await s.close();
});
test("204, 304 and 1xx responses carry no body; unknown codes say 'unknown'", async () => {
  const r204 = await exchange((_req, res) => {
    res.statusCode = 204;
    res.end("dropped");
  }, ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"]);
  assert.equal(r204.text, `HTTP/1.1 204 No Content\r\nDate: ${DATE}\r\n${KA}\r\n`);
  const r304 = await exchange((_req, res) => {
    res.writeHead(304).end("x");
  }, ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"]);
  assert.equal(r304.text, `HTTP/1.1 304 Not Modified\r\nDate: ${DATE}\r\n${KA}\r\n`);
  const r299 = await exchange((_req, res) => {
    res.statusCode = 299;
    res.end("x");
  }, ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"]);
  assert.equal(r299.text, `HTTP/1.1 299 unknown\r\nDate: ${DATE}\r\n${KA}Content-Length: 1\r\n\r\nx`);
});

test("end() with no body sends Content-Length: 0; sendDate = false drops Date", async () => {
  const out = await exchange((_req, res) => {
    res.sendDate = false;
    res.end();
  }, ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"]);
  assert.equal(out.text, `HTTP/1.1 200 OK\r\n${KA}Content-Length: 0\r\n\r\n`);
});

test("HTTP/1.0 with keep-alive and a set Content-Length stays open", async () => {
  const out = await exchange((_req, res) => {
    res.setHeader("content-length", 5);
    res.end("hello");
  }, ["GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"]);
  assert.equal(out.text, `HTTP/1.1 200 OK\r\ncontent-length: 5\r\nDate: ${DATE}\r\n${KA}\r\nhello`);
  assert.equal(out.ended, false);
});

test("bad arguments throw built-in errors that name the value", async () => {
  const errors: unknown[] = [];
  await exchange((_req, res) => {
    const attempt = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        errors.push(e);
      }
    };
    attempt(() => res.setHeader("X-Bad", "a\r\nInjected: yes"));
    attempt(() => res.setHeader("Bad Name", "v"));
    attempt(() => res.writeHead(1000));
    attempt(() => res.writeHead(99));
    attempt(() => res.setHeader("X-Undef", undefined as unknown as string));
    res.writeHead(200);
    attempt(() => res.writeHead(200));
    attempt(() => res.setHeader("X-Late", "1"));
    res.end();
  }, ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"]);
  const [crlf, name, big, small, undef, twice, late] = errors as (Error & { code: string })[];
  assert.ok(crlf instanceof TypeError && crlf.message.includes('"X-Bad"') && crlf.code === "ERR_INVALID_CHAR");
  assert.ok(name instanceof TypeError && name.message.includes('"Bad Name"'));
  assert.ok(big instanceof RangeError && big.message.includes('"1000"'));
  assert.ok(small instanceof RangeError && small.message.includes('"99"'));
  assert.ok(undef instanceof TypeError && undef.message.includes('"X-Undef"'));
  assert.equal(twice.code, "ERR_HTTP_HEADERS_SENT");
  assert.equal(late.code, "ERR_HTTP_HEADERS_SENT");
});

test("write after end emits an error and sends nothing more", async () => {
  let err: (Error & { code?: string }) | undefined;
  const out = await exchange((_req, res) => {
    res.on("error", (e: Error) => (err = e));
    res.end("a");
    res.write("b");
  }, ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"]);
  assert.equal(err?.code, "ERR_STREAM_WRITE_AFTER_END");
  assert.ok(out.text.endsWith("Content-Length: 1\r\n\r\na"));
});

test("'finish' then 'close' are emitted on the response; end(cb) is called", async () => {
  const events: string[] = [];
  await exchange((req, res) => {
    res.on("finish", () => events.push("finish"));
    res.on("close", () => events.push("close"));
    req.on("close", () => events.push("req-close"));
    res.end("x", () => events.push("cb"));
  }, ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"]);
  assert.deepEqual(events.filter((e) => e !== "req-close"), ["finish", "cb", "close"]);
  assert.ok(events.includes("req-close"));
});

test("the body can be read with for await, and setEncoding gives strings", async () => {
  let body = "";
  let decoded = "";
  await exchange(async (req, res) => {
    for await (const chunk of req) body += new TextDecoder().decode(chunk as Uint8Array);
    res.end();
  }, ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello", "world"]);
  assert.equal(body, "helloworld");
  await exchange((req, res) => {
    req.setEncoding("utf8");
    req.on("data", (s: string) => (decoded += s));
    req.on("end", () => res.end());
  }, [new Uint8Array([...new TextEncoder().encode("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n"), 0xc3]), new Uint8Array([0xa9])]);
  assert.equal(decoded, "é");
});

test("an unread request body is drained so keep-alive survives", async () => {
  const s = await serve((_req, res) => res.end("early"));
  const c = s.connect();
  c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello");
  await c.settle();
  c.send("world");
  c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  await c.settle();
  assert.equal(c.text().split("early").length - 1, 2);
  assert.equal(c.ended, false);
  await s.close();
});

test("a huge unread upload is not drained: Connection: close, then a lingering close", async () => {
  const s = await serve((_req, res) => res.end("no"));
  const c = s.connect();
  c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000000\r\n\r\nxxxx");
  await c.settle();
  assert.equal(c.text(), `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\nConnection: close\r\nContent-Length: 2\r\n\r\nno`);
  // The upload keeps arriving and is read and discarded, so the client's TCP does not reset
  // the response away; the connection closes when the client half-closes or after 2 s.
  assert.equal(c.ended, false);
  for (let i = 0; i < 10; i++) c.send("x".repeat(65536));
  await c.settle();
  assert.equal(c.serverPaused, false);
  s.clock.advance(1_000);
  await c.settle();
  assert.equal(c.ended, false);
  s.clock.advance(1_100);
  await c.settle();
  assert.equal(c.ended, true);
  const early = s.connect();
  early.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000000\r\n\r\nxxxx");
  await early.settle();
  early.end();
  await early.settle();
  assert.equal(early.ended, true, "a half-close ends the linger at once");
  await s.close();
});

test("a client reset mid-body aborts the request and closes the response", async () => {
  const events: string[] = [];
  const s = await serve((req, res) => {
    req.on("aborted", () => events.push("aborted"));
    req.on("close", () => events.push("req-close"));
    res.on("close", () => events.push("res-close"));
  });
  const c = s.connect();
  c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhel");
  await c.settle();
  c.destroy();
  await c.settle();
  // node:http 20 gives this order: 'aborted' and the response's 'close' from the socket's
  // 'close', the request's 'close' on the next tick.
  assert.deepEqual(events, ["aborted", "res-close", "req-close"]);
  await s.close();
});

test("a truncated request head at EOF gets 400, as node:http answers", async () => {
  const s = await serve(seed);
  const c = s.connect();
  c.send("GET / HTTP/1.1\r\nHost: a\r\n");
  c.end();
  await c.settle();
  assert.equal(c.text(), "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
  await s.close();
});

test("a half-close after pipelined requests: the responses written before it go out, then the connection ends (node:http)", async () => {
  const s = await serve((req, res) => queueMicrotask(() => res.end(req.url)));
  const c = s.connect();
  c.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
  // The FIN as a socket delivers it: in a later read than the requests, after their handlers ran.
  await c.settle();
  c.end();
  await c.settle(200);
  assert.ok(c.text().endsWith("\r\n\r\n/2"));
  assert.equal(c.text().split("HTTP/1.1 200 OK").length - 1, 2);
  assert.equal(c.ended, true);
  await s.close();
});

test("write() returns false above the high-water mark and 'drain' follows", async () => {
  const s = await serve((_req, res) => {
    const big = new Uint8Array(100_000).fill(97);
    const ok = res.write(big);
    res.on("drain", () => res.end("!"));
    if (ok) res.end("never");
  });
  const c = s.connect({ paused: true, highWaterMark: 16 * 1024 });
  c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  await c.settle();
  assert.ok(c.queuedBytes >= 100_000);
  c.resumeReading();
  await c.settle();
  const text = c.text();
  assert.ok(text.endsWith("1\r\n!\r\n0\r\n\r\n"), text.slice(-40));
  await s.close();
});

test("keep-alive connections close after keepAliveTimeout plus its buffer of idle time", async () => {
  const s = await serve(seed);
  const c = s.connect();
  c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  await c.settle();
  s.clock.advance(5_500);
  await c.settle();
  assert.equal(c.isClosed, false, "open past the advertised 5 s: the 1 s buffer");
  s.clock.advance(1_000);
  await c.settle();
  assert.equal(c.isClosed, true);
  await s.close();
});

test("timeouts hold with a clock that is fractional and 30 days past the server's start", async () => {
  // Connections keep their times as milliseconds since the server's creation, as small integers
  // where they can: this clock gives fractions and jumps 30 days (past 2^31 ms), so both kinds
  // of number meet in the same fields.
  const virtual = new VirtualClock();
  let jump = 0;
  const clock: Clock = {
    now: () => virtual.now() + jump + 0.25,
    setTimeout: (fn, ms) => virtual.setTimeout(fn, ms),
    clearTimeout: (h) => virtual.clearTimeout(h),
  };
  const transport = createMemoryTransport();
  const server = createServer({ transport, clock }, seed);
  await new Promise<void>((resolve) => server.listen(0, resolve));
  const before = transport.connectSync();
  before.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  await before.settle();
  jump = 30 * 24 * 3600 * 1000;
  const after = transport.connectSync();
  after.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  await after.settle();
  assert.match(after.text(), /^HTTP\/1\.1 200 OK/);
  virtual.advance(1_000);
  await after.settle();
  assert.equal(before.isClosed, true, "idle for 30 days: closed by the next sweep");
  virtual.advance(4_500);
  await after.settle();
  assert.equal(after.isClosed, false, "open past the advertised 5 s: the 1 s buffer");
  virtual.advance(1_000);
  await after.settle();
  assert.equal(after.isClosed, true);
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test("a head not complete within headersTimeout gets 408 and a closed connection", async () => {
  const s = await serve(seed, { headersTimeout: 2_000 });
  const c = s.connect();
  c.send("GET / HTTP/1.1\r\nHo");
  s.clock.advance(1_000);
  c.send("st: a\r\n");
  s.clock.advance(1_100);
  await c.settle();
  assert.equal(c.text(), "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
  assert.equal(c.ended, true);
  await s.close();
});

test("close() closes idle connections and lets an active one finish with Connection: close", async () => {
  let release: () => void = () => {};
  const s = await serve((_req, res) => {
    release = () => res.end("done");
  });
  const idle = s.connect();
  const busy = s.connect();
  busy.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  await busy.settle();
  let closed = false;
  s.server.close(() => (closed = true));
  await busy.settle();
  assert.equal(idle.isClosed, true);
  assert.equal(busy.isClosed, false);
  release();
  await busy.settle();
  assert.equal(busy.text(), `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\nConnection: close\r\nContent-Length: 4\r\n\r\ndone`);
  assert.equal(busy.ended, true);
  await busy.settle();
  assert.equal(closed, true);
});

test("'clientError' listeners get the error and the socket, and decide the reply", async () => {
  const s = await serve(seed);
  let code = "";
  s.server.on("clientError", (err: Error & { code: string; bytesParsed: number }, socket: { end(d: string): void }) => {
    code = err.code;
    socket.end("HTTP/1.1 400 Bad Request\r\nX-Custom: 1\r\n\r\n");
  });
  const c = s.connect();
  c.send("GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n");
  await c.settle();
  assert.equal(code, "HPE_INVALID_HEADER_TOKEN");
  assert.equal(c.text(), "HTTP/1.1 400 Bad Request\r\nX-Custom: 1\r\n\r\n");
  await s.close();
});

test("events deferred while a read is processed come before promise continuations queued by its handler, as Node's nextTick queue does", async () => {
  const order: string[] = [];
  const s = await serve((req: IncomingMessage, res: ServerResponse) => {
    res.on("finish", () => order.push(`finish ${req.url}`));
    res.on("close", () => order.push(`close ${req.url}`));
    void Promise.resolve().then(() => order.push(`promise ${req.url}`));
    res.end("x");
    queueMicrotask(() => order.push(`microtask ${req.url}`));
    order.push(`ended ${req.url}`);
  });
  const c = s.connect();
  // Two requests in one read: both handlers run, then what they deferred, then the microtasks.
  c.send("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
  await c.settle();
  assert.deepEqual(order, [
    "ended /a", "ended /b",
    "finish /a", "close /a", "finish /b", "close /b",
    "promise /a", "microtask /a", "promise /b", "microtask /b",
  ]);
  // Outside a read (a response ended later, from a timer), they come in the microtask queue's order.
  order.length = 0;
  const late = await serve((req: IncomingMessage, res: ServerResponse) => {
    setTimeout(() => {
      void Promise.resolve().then(() => order.push("promise before"));
      res.on("finish", () => order.push("finish"));
      res.end("y");
      void Promise.resolve().then(() => order.push("promise after"));
    }, 1);
  });
  const c2 = late.connect();
  c2.send("GET /c HTTP/1.1\r\nHost: h\r\n\r\n");
  await new Promise((r) => setTimeout(r, 30));
  await c2.settle();
  assert.deepEqual(order, ["promise before", "finish", "promise after"]);
  await s.close();
  await late.close();
});
