// node:http's createServer options, each observed on the wire (memory transport, clock pinned)
// or through the calls the server makes on the connection's handle; and the options refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createMemoryTransport,
  createServer,
  type IncomingMessage,
  loadLlhttp,
  maxHeaderSize,
  METHODS,
  RequestParser,
  type ServerResponse,
  type Transport,
} from "../core/mod.ts";
import http, { createServer as runtimeCreateServer, METHODS as runtimeMETHODS } from "../adapters/mod.ts";
import { DATE, exchange, serve } from "./_support/memory.ts";
import { portOf } from "./_support/address.ts";

const KA = "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n";
const OK2 = `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}Content-Length: 2\r\n\r\nok`;
const BAD = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
const echoX = (req: IncomingMessage, res: ServerResponse) => res.end(String(req.headers.x));

// ---- insecureHTTPParser ------------------------------------------------------------------

test("insecureHTTPParser: a control character in a header value is served, as node:http does", async () => {
  const request = "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n";
  const strict = await exchange(echoX, [request]);
  assert.equal(strict.text, BAD);
  const lenient = await exchange(echoX, [request], { insecureHTTPParser: true });
  assert.equal(lenient.text, `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}Content-Length: 3\r\n\r\na\x01b`);
});

test("insecureHTTPParser: Transfer-Encoding with Content-Length is read as chunked and the connection closes (RFC 9112 §6.3)", async () => {
  const echo = (req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (d: Uint8Array) => (body += new TextDecoder().decode(d)));
    req.on("end", () => res.end(body));
  };
  const request = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" +
    "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
  assert.equal((await exchange(echo, [request])).text, BAD);
  const lenient = await exchange(echo, [request], { insecureHTTPParser: true });
  assert.equal(lenient.text, `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc`);
  assert.ok(lenient.ended);
});

test("insecureHTTPParser keeps the smuggling vectors closed: bare CR, spaces after a chunk size, a bad Content-Length", async () => {
  const options = { insecureHTTPParser: true };
  for (
    const request of [
      "GET / HTTP/1.1\rHost: a\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\rabc\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 0\r\n\r\n0123456789",
    ]
  ) {
    const out = await exchange(echoX, [request], options);
    assert.match(out.text, /^HTTP\/1\.1 400 Bad Request\r\nConnection: close\r\n\r\n$/, JSON.stringify(request));
  }
  // A bare LF ends a header line (RFC 9112 §2.2 allows it): served; strict: 400.
  const bareLf = "GET / HTTP/1.1\r\nHost: a\nX: y\n\n";
  assert.equal((await exchange(echoX, [bareLf])).text, BAD);
  const lf = await exchange(echoX, [bareLf], options);
  assert.equal(lf.text, `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}Content-Length: 1\r\n\r\ny`);
});

test("insecureHTTPParser is per server: a strict server after a lenient one still answers 400", async () => {
  const request = "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n";
  assert.match((await exchange(echoX, [request], { insecureHTTPParser: true })).text, /^HTTP\/1\.1 200/);
  assert.equal((await exchange(echoX, [request])).text, BAD);
});

// ---- uniqueHeaders -----------------------------------------------------------------------

test("uniqueHeaders: a list for a unique name is one field line joined with '; ', others one line each", async () => {
  const handler = (_req: IncomingMessage, res: ServerResponse) => {
    res.setHeader("X-U", "a");
    res.appendHeader("X-U", "b");
    res.setHeader("X-V", ["a", "b"]);
    res.end("ok");
  };
  const request = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  const plain = await exchange(handler, [request]);
  assert.equal(plain.text, `HTTP/1.1 200 OK\r\nX-U: a\r\nX-U: b\r\nX-V: a\r\nX-V: b\r\nDate: ${DATE}\r\n${KA}Content-Length: 2\r\n\r\nok`);
  const unique = await exchange(handler, [request], { uniqueHeaders: ["x-u"] });
  assert.equal(unique.text, `HTTP/1.1 200 OK\r\nX-U: a; b\r\nX-V: a\r\nX-V: b\r\nDate: ${DATE}\r\n${KA}Content-Length: 2\r\n\r\nok`);
});

// ---- highWaterMark -----------------------------------------------------------------------

test("highWaterMark: reported by req and res, given to the handle, and write() says wait above it", async () => {
  const seen: unknown[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    seen.push(req.readableHighWaterMark, res.writableHighWaterMark, res.write("x".repeat(2000)));
    res.end();
  };
  for (const [options, expected, calls] of [
    [{}, [16384, 16384, true], []],
    [{ highWaterMark: 1024 }, [1024, 1024, false], [["setHighWaterMark", 1024]]],
  ] as const) {
    seen.length = 0;
    const s = await serve(handler, options);
    const c = s.connect({ paused: true });
    c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    await c.settle();
    assert.deepEqual(seen, expected);
    assert.deepEqual(c.socketCalls, calls);
    await s.close();
  }
});

test("highWaterMark: a request body buffered above it pauses reading", async () => {
  let paused = 0;
  const s = await serve(() => {}, { highWaterMark: 1024 });
  const c = s.connect();
  const pause = c.handle.pause;
  c.handle.pause = () => {
    paused++;
    pause();
  };
  c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1500\r\n\r\n" + "x".repeat(1500));
  assert.equal(paused, 1);
  await s.close();
});

// ---- rejectNonStandardBodyWrites ---------------------------------------------------------

test("rejectNonStandardBodyWrites: a body write to a HEAD or 204 response throws ERR_HTTP_BODY_NOT_ALLOWED", async () => {
  const codes: string[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === "/204") res.statusCode = 204;
    try {
      if (req.url === "/204") res.end("x");
      else res.write("x");
    } catch (e) {
      codes.push((e as { code: string }).code);
    }
    if (!res.writableEnded) res.end();
  };
  const requests = ["HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", "GET /204 HTTP/1.1\r\nHost: a\r\n\r\n"];
  const head = `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}\r\n`;
  const noContent = `HTTP/1.1 204 No Content\r\nDate: ${DATE}\r\n${KA}\r\n`;
  const ignored = await exchange(handler, requests);
  assert.deepEqual(codes, []);
  assert.equal(ignored.text, head + noContent);
  const rejected = await exchange(handler, requests, { rejectNonStandardBodyWrites: true });
  assert.deepEqual(codes, ["ERR_HTTP_BODY_NOT_ALLOWED", "ERR_HTTP_BODY_NOT_ALLOWED"]);
  assert.equal(rejected.text, head + noContent);
});

// ---- noDelay, keepAlive, keepAliveInitialDelay -------------------------------------------

test("noDelay, keepAlive and keepAliveInitialDelay reach each connection's handle", async () => {
  for (const [options, calls] of [
    [{}, []],
    [{ noDelay: true }, []],
    [{ noDelay: false }, [["setNoDelay", false]]],
    [{ keepAlive: true }, [["setKeepAlive", true, 0]]],
    [{ keepAlive: true, keepAliveInitialDelay: 30_000 }, [["setKeepAlive", true, 30_000]]],
    [{ keepAliveInitialDelay: 30_000 }, []],
  ] as const) {
    const s = await serve((_req, res) => res.end("ok"), options);
    const c = s.connect();
    c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert.equal(c.text(), OK2);
    assert.deepEqual(c.socketCalls, calls, JSON.stringify(options));
    await s.close();
  }
});

test("an option the transport cannot honour is refused at createServer, naming it and why", () => {
  const transport: Transport = {
    unsupported: { keepAliveInitialDelay: "no delay here" },
    listen: () => ({ address: { address: "x", family: "none", port: 0 }, close: async () => {} }),
  };
  assert.throws(() => createServer({ transport, keepAlive: true, keepAliveInitialDelay: 1000 }), {
    code: "ERR_OPTION_NOT_SUPPORTED",
    message: 'Cannot use option "keepAliveInitialDelay": no delay here',
  });
  createServer({ transport, keepAlive: true, keepAliveInitialDelay: 0 });
});

test("the runtime's keepAliveInitialDelay: refused on Deno (Deno.Conn has no delay), taken on Node and Bun", () => {
  const make = () => runtimeCreateServer({ keepAlive: true, keepAliveInitialDelay: 1000 });
  if ("Deno" in globalThis) {
    assert.throws(make, { code: "ERR_OPTION_NOT_SUPPORTED", message: /"keepAliveInitialDelay": Deno\.Conn\.setKeepAlive\(\)/ });
  } else {
    assert.equal(make().keepAliveInitialDelay, 1000);
  }
});

// ---- shouldUpgradeCallback ---------------------------------------------------------------

test("shouldUpgradeCallback decides: true hands the connection off with the bytes after the head, false serves it as a request", async () => {
  const asked: string[] = [];
  const s = await serve((req, res) => res.end(`served ${req.url}`), {
    shouldUpgradeCallback(req) {
      asked.push(`${req.url} ${req.headers.upgrade} ${this === s.server}`);
      return req.url === "/yes";
    },
  });
  s.server.on("upgrade", (_req: IncomingMessage, socket: { write(b: string): void; end(): void }, head: Uint8Array) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\nhead=${new TextDecoder().decode(head)}`);
    socket.end();
  });
  const up = "Upgrade: x\r\nConnection: Upgrade\r\n";
  const no = s.connect();
  // Declined, with a body and a pipelined request behind it: both are HTTP.
  no.send(`POST /no HTTP/1.1\r\nHost: a\r\n${up}Content-Length: 3\r\n\r\nabcGET /next HTTP/1.1\r\nHost: a\r\n\r\n`);
  await no.settle();
  assert.equal(
    no.text(),
    `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}Content-Length: 10\r\n\r\nserved /no` +
      `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${KA}Content-Length: 12\r\n\r\nserved /next`,
  );
  const yes = s.connect();
  yes.send(`GET /yes HTTP/1.1\r\nHost: a\r\n${up}\r\nhello`);
  await yes.settle();
  assert.equal(yes.text(), "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\nhead=hello");
  assert.deepEqual(asked, ["/no x true", "/yes x true"]);
  await s.close();
});

test("without shouldUpgradeCallback an Upgrade is handed off only to an 'upgrade' listener (Node's default)", async () => {
  const request = "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n";
  const out = await exchange((_req, res) => res.end("ok"), [request]);
  assert.equal(out.text, OK2);
});

// ---- optimizeEmptyRequests ---------------------------------------------------------------

test("optimizeEmptyRequests: a request with no body framing is ended and closed at once, with no events", async () => {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const events: string[] = [];
    req.on("end", () => events.push("end"));
    req.on("close", () => events.push("close"));
    req.resume();
    const state = `${req.readableEnded} ${req.destroyed}`;
    setTimeout(() => res.end(`${state} [${events}]`), 5);
  };
  const run = async (options: object, request: string) => {
    const s = await serve(handler, options);
    const c = s.connect();
    c.send(request);
    await new Promise((r) => setTimeout(r, 30));
    const body = c.text().split("\r\n\r\n")[1];
    await s.close();
    return body;
  };
  const get = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  assert.equal(await run({}, get), "false false [end,close]");
  assert.equal(await run({ optimizeEmptyRequests: true }, get), "true true []");
  // A request with a body is left alone.
  const post = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n";
  assert.equal(await run({ optimizeEmptyRequests: true }, post), "false false [end,close]");
});

// ---- the options already handled, checked once more -----------------------------------

test("requireHostHeader, joinDuplicateHeaders, maxHeaderSize and the timeouts take effect", async () => {
  const noHost = "GET / HTTP/1.1\r\n\r\n";
  assert.equal((await exchange((_q, r) => r.end("ok"), [noHost])).text, BAD);
  assert.equal((await exchange((_q, r) => r.end("ok"), [noHost], { requireHostHeader: false })).text, OK2);
  // Node keeps the first of a duplicated User-Agent; joinDuplicateHeaders joins them.
  const echoUa = (req: IncomingMessage, res: ServerResponse) => res.end(String(req.headers["user-agent"]));
  const dup = "GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: 1\r\nUser-Agent: 2\r\n\r\n";
  assert.match((await exchange(echoUa, [dup])).text, /\r\n\r\n1$/);
  assert.match((await exchange(echoUa, [dup], { joinDuplicateHeaders: true })).text, /\r\n\r\n1, 2$/);
  const big = `GET / HTTP/1.1\r\nHost: a\r\nX: ${"y".repeat(100)}\r\n\r\n`;
  assert.equal((await exchange(echoX, [big], { maxHeaderSize: 64 })).text, "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n");
  for (const [options, advance] of [[{ headersTimeout: 1000, requestTimeout: 2000 }, 1000], [{ headersTimeout: 0, requestTimeout: 2000 }, 2000]] as const) {
    const s = await serve((_q, r) => r.end("ok"), { ...options, connectionsCheckingInterval: 10 });
    const c = s.connect();
    c.send("GET / HTTP/1.1\r\n");
    s.clock.advance(advance - 10);
    assert.equal(c.text(), "");
    s.clock.advance(20);
    assert.equal(c.text(), "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
    await s.close();
  }
  const s = await serve((_q, r) => r.end("ok"), { keepAliveTimeout: 1000, keepAliveTimeoutBuffer: 0, connectionsCheckingInterval: 10 });
  const c = s.connect();
  c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  s.clock.advance(990);
  assert.ok(!c.isClosed);
  s.clock.advance(30);
  assert.ok(c.isClosed);
  await s.close();
});

test("IncomingMessage and ServerResponse options: the server makes its objects from the classes given", async () => {
  const core = await import("../core/mod.ts");
  class Req extends core.IncomingMessage {
    tag = "req";
  }
  class Res extends core.ServerResponse {
    tag = "res";
  }
  const out = await exchange(
    (req, res) => res.end(`${(req as Req).tag} ${(res as Res).tag}`),
    ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"],
    { IncomingMessage: Req, ServerResponse: Res },
  );
  assert.match(out.text, /\r\n\r\nreq res$/);
});

// ---- refused and invalid -----------------------------------------------------------------

test("httpValidation: only \"strict\" is taken; the others are refused naming the option and why", () => {
  const transport = createMemoryTransport();
  createServer({ transport, httpValidation: "strict" });
  for (const v of ["relaxed", "insecure"] as const) {
    assert.throws(() => createServer({ transport, httpValidation: v }), {
      code: "ERR_OPTION_NOT_SUPPORTED",
      message: new RegExp(`^Cannot use option "httpValidation": "${v}" is not supported \\(llhttp 9\\.3`),
    });
  }
});

test("a boolean option of the wrong type throws ERR_INVALID_ARG_TYPE, as node:http", () => {
  const transport = createMemoryTransport();
  for (const name of ["insecureHTTPParser", "rejectNonStandardBodyWrites", "noDelay", "keepAlive", "optimizeEmptyRequests", "requireHostHeader", "joinDuplicateHeaders"]) {
    assert.throws(() => createServer({ transport, [name]: "yes" }), { code: "ERR_INVALID_ARG_TYPE", message: new RegExp(`"options\\.${name}"`) }, name);
  }
  assert.throws(() => createServer({ transport, highWaterMark: -1 }), { code: "ERR_OUT_OF_RANGE" });
  assert.throws(() => createServer({ transport, shouldUpgradeCallback: 1 as never }), { code: "ERR_INVALID_ARG_TYPE" });
});

// ---- module members ----------------------------------------------------------------------

test("METHODS is exactly the methods the parser accepts, and maxHeaderSize is 16384", () => {
  // Every method name llhttp knows (HTTP, RTSP and the rest), from the wasm itself.
  const w = loadLlhttp();
  const candidates: string[] = [];
  for (let m = 0; m < 64; m++) {
    const mem = new Uint8Array(w.memory.buffer);
    let at: number;
    try {
      at = w.llhttp_method_name(m);
    } catch {
      continue; // not a method number: llhttp traps
    }
    let name = "";
    while (mem[at] !== 0) name += String.fromCharCode(mem[at++]);
    if (name !== "<unknown>" && !candidates.includes(name)) candidates.push(name);
  }
  assert.ok(candidates.length > METHODS.length);
  const accepted = candidates.filter((m) => {
    const p = new RequestParser({ maxHeaderSize: 16384, maxHeadersCount: 2000 });
    const ok = p.execute(new TextEncoder().encode(`${m} / HTTP/1.1\r\nHost: a\r\n\r\n`)) === "complete";
    p.free();
    return ok;
  });
  assert.deepEqual(accepted.sort(), METHODS);
  assert.equal(maxHeaderSize, 16384);
});

test("the default export is shaped like node:http's", async () => {
  assert.equal(typeof http.createServer, "function");
  assert.equal(http.METHODS, runtimeMETHODS);
  assert.equal(http.maxHeaderSize, 16384);
  assert.equal(http.STATUS_CODES[404], "Not Found");
  const server = http.createServer((_req, res) => res.end("ok"));
  assert.ok(server instanceof http.Server);
  assert.equal(typeof http.validateHeaderName, "function");
  const nodeHttp = await import("node:http");
  if (!("Deno" in globalThis) && !("Bun" in globalThis)) {
    assert.deepEqual(http.METHODS, nodeHttp.METHODS);
    assert.equal(http.maxHeaderSize, nodeHttp.maxHeaderSize);
  }
  for (const name of Object.keys(http)) assert.ok(name in nodeHttp, name);
});

test("on the runtime's sockets: noDelay false, keepAlive and highWaterMark are applied and the server still answers", async () => {
  const deno = "Deno" in globalThis;
  const seen: unknown[] = [];
  const server = runtimeCreateServer(
    { noDelay: false, keepAlive: true, keepAliveInitialDelay: deno ? 0 : 5000, highWaterMark: 1024 },
    (req, res) => {
      // write()'s verdict is the transport's: bytes the kernel took at once are not buffered
      // (node:http says false here: it corks the socket during a response write).
      seen.push(res.writableHighWaterMark, typeof res.write("x".repeat(4000)));
      if (deno) assert.throws(() => req.socket.setKeepAlive(true, 5000), { code: "ERR_OPTION_NOT_SUPPORTED" });
      else req.socket.setKeepAlive(true, 5000);
      res.end();
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = portOf(server);
  const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
  assert.equal(body.length, 4000);
  assert.deepEqual(seen, [1024, "boolean"]);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
