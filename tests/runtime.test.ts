// The cross-runtime suite: the fixture and the examples run under the runtime that runs this
// file (npm test runs it under node, deno and bun), driven by a raw TCP client. The same
// expectations hold on all three.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { command, type Running, raw, runtime, start, undate } from "./_support/runtime.ts";

const D = "Date: <date>";
const KA = "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n";
const SEED = `HTTP/1.1 200 OK\r\n${D}\r\n${KA}Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n`;
const fixture = new URL("./fixtures/server.ts", import.meta.url).pathname;
let server: Running;

before(async () => {
  server = await start(fixture);
});
after(async () => {
  await server?.stop();
});

test(`[${runtime}] the seed program's bytes`, async () => {
  const r = await raw(server.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", (t) => t.endsWith("0\r\n\r\n"));
  assert.equal(undate(r.text), SEED);
  assert.equal(r.closed, false);
});

test(`[${runtime}] end(data) sets Content-Length; Connection: close closes`, async () => {
  const r = await raw(server.port, "GET /end HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  assert.equal(undate(r.text), `HTTP/1.1 200 OK\r\n${D}\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello`);
  assert.equal(r.closed, true);
});

test(`[${runtime}] ten pipelined requests in one write get ten in-order responses`, async () => {
  let input = "";
  for (let i = 0; i < 10; i++) input += `GET /${i % 2 ? "end" : ""} HTTP/1.1\r\nHost: a\r\n\r\n`;
  const r = await raw(server.port, input, (t) => t.split("HTTP/1.1 200 OK").length - 1 === 10 && /(0\r\n\r\n|hello)$/.test(t));
  let expected = "";
  for (let i = 0; i < 10; i++) {
    expected += i % 2 ? `HTTP/1.1 200 OK\r\n${D}\r\n${KA}Content-Length: 5\r\n\r\nhello` : SEED;
  }
  assert.equal(undate(r.text), expected);
});

test(`[${runtime}] a request split across many writes gets the same response`, async () => {
  const req = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  const r = await raw(server.port, req.split(""), (t) => t.endsWith("0\r\n\r\n"));
  assert.equal(undate(r.text), SEED);
});

test(`[${runtime}] a POST body is echoed, Content-Length and chunked`, async () => {
  const cl = await raw(
    server.port,
    "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world",
    (t) => t.endsWith("0\r\n\r\n"),
  );
  assert.equal(
    undate(cl.text),
    `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n${D}\r\n${KA}Transfer-Encoding: chunked\r\n\r\nb\r\nhello world\r\n0\r\n\r\n`,
  );
  const chunked = await raw(
    server.port,
    ["POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", "0\r\n\r\n"],
    (t) => t.endsWith("0\r\n\r\n"),
  );
  assert.equal(
    undate(chunked.text),
    `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n${D}\r\n${KA}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  );
});

test(`[${runtime}] a bad header gets 400 and a closed connection, and the server keeps serving`, async () => {
  const bad = await raw(server.port, "GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n");
  assert.equal(bad.text, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
  assert.equal(bad.closed, true);
  const garbage = await raw(server.port, new Uint8Array([0, 1, 2, 255, 13, 10, 13, 10]));
  assert.equal(garbage.text, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
  const good = await raw(server.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", (t) => t.endsWith("0\r\n\r\n"));
  assert.equal(undate(good.text), SEED);
});

test(`[${runtime}] HTTP/1.0 gets a close-delimited body`, async () => {
  const r = await raw(server.port, "GET / HTTP/1.0\r\n\r\n");
  assert.equal(undate(r.text), `HTTP/1.1 200 OK\r\n${D}\r\nConnection: close\r\n\r\nok`);
  assert.equal(r.closed, true);
});

test(`[${runtime}] 4 MiB written with backpressure arrives whole`, async () => {
  const r = await raw(server.port, "GET /big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  assert.equal(r.closed, true);
  const head = r.text.indexOf("\r\n\r\n");
  assert.match(r.text.slice(0, head), /Transfer-Encoding: chunked/);
  const body = r.text.slice(head + 4).replace(/\r\n[0-9a-f]+\r\n/g, "").replace(/^[0-9a-f]+\r\n/, "");
  assert.equal(body.replace(/\r\n$/, "").length, 4 * 1024 * 1024);
});

test(`[${runtime}] examples/hello.ts answers the seed request`, async () => {
  const hello = await start(new URL("../examples/hello.ts", import.meta.url).pathname, { PORT: "0" });
  try {
    const r = await raw(hello.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", (t) => t.endsWith("0\r\n\r\n"));
    assert.equal(undate(r.text), SEED);
  } finally {
    await hello.stop();
  }
});

test(`[${runtime}] examples/echo.ts echoes a body`, async () => {
  const echo = await start(new URL("../examples/echo.ts", import.meta.url).pathname, { PORT: "0" });
  try {
    const r = await raw(
      echo.port,
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc",
      (t) => t.endsWith("0\r\n\r\n"),
    );
    assert.equal(
      undate(r.text),
      `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n${D}\r\n${KA}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
    );
  } finally {
    await echo.stop();
  }
});

test(`[${runtime}] address() is known right after listen(), and a busy port is an 'error' event, as in Node`, async () => {
  const { createServer } = await import("../adapters/mod.ts");
  const s = createServer((_req, res) => res.end("ok"));
  // No host, as `listen(0)` in supertest: Node binds at once (with a host it looks it up first,
  // and address() is null until 'listening' there too).
  s.listen(0);
  const a = s.address();
  assert.ok(a !== null && typeof a === "object" && a.port > 0, "address() right after listen()");
  const r = await raw(a.port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  assert.match(r.text, /^HTTP\/1\.1 200 OK\r\n/);
  const busy = createServer();
  const err = await new Promise<Error & { code?: string }>((resolve) => {
    busy.on("error", resolve);
    busy.listen(a.port);
  });
  assert.equal(err.code, "EADDRINUSE");
  assert.equal(busy.address(), null);
  await new Promise<void>((done) => s.close(() => done()));
});

test(`[${runtime}] examples/hello.ts with PORT set to a path serves a unix socket`, async () => {
  const sock = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "anyhttp-example-")), "app.sock");
  const [cmd, args] = command(new URL("../examples/hello.ts", import.meta.url).pathname);
  const child = spawn(cmd, args, { env: { ...process.env, PORT: sock }, stdio: ["ignore", "pipe", "pipe"] });
  try {
    let out = "";
    await new Promise<void>((resolve, reject) => {
      const cap = setTimeout(() => reject(new Error(`no 'listening on ${sock}' in 30 s: ${out}`)), 30_000);
      child.stdout!.on("data", (d) => {
        out += d;
        if (out.includes(`listening on ${sock}`)) {
          clearTimeout(cap);
          resolve();
        }
      });
      child.stderr!.on("data", (d) => (out += d));
      child.once("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const text = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(sock);
      let t = "";
      socket.on("data", (d: Uint8Array) => (t += new TextDecoder().decode(d)));
      socket.on("end", () => resolve(t));
      socket.on("error", reject);
      socket.write("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    });
    assert.equal(undate(text), `HTTP/1.1 200 OK\r\n${D}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, "exit");
      child.kill();
      await exited;
    }
    fs.rmSync(path.dirname(sock), { recursive: true, force: true });
  }
});
