// Express 5, Koa and Fastify, unchanged, on anyhttp's createServer, in this process and under
// the runtime that runs this file (npm test runs it under node, deno and bun), driven by fetch()
// over real TCP. Each app has the same routes: a route parameter, a JSON body parsed and
// echoed, a Node Readable piped into the response, a handler that throws, and a miss.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { EventEmitter, once } from "node:events";
import express from "express";
import Koa from "koa";
import Fastify from "fastify";
import { createServer, type Server } from "../adapters/mod.ts";
import { runtime } from "./_support/runtime.ts";
import { portOf } from "./_support/address.ts";

/** 4 MiB in 1024 chunks: more than the high-water marks and kernel buffers on the way. */
function bigStream(): Readable {
  return Readable.from((function* () {
    for (let i = 0; i < BIG_CHUNKS; i++) yield "x".repeat(4095) + "\n";
  })());
}
const BIG_CHUNKS = 1024;

/** Emits "seen" when a `/big` response's write() says wait (see watchBackpressure). */
const backpressure = new EventEmitter();

/** Wrap write() of each `/big` response of `server` to report a `false` (backpressure). */
function watchBackpressure(server: Server): Server {
  server.prependListener("request", (req, res) => {
    if (req.url !== "/big") return;
    const write = res.write;
    res.write = function (this: typeof res, ...args: Parameters<typeof res.write>) {
      const ok = write.apply(this, args);
      if (!ok) backpressure.emit("seen");
      return ok;
    } as typeof res.write;
  });
  return server;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${portOf(server)}`));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/**
 * GET each path in turn on a single connection (keep-alive), each after the previous answer;
 * the bodies (Content-Length framed). Rejects if the server closes before the last answer.
 */
function onOneConnection(origin: string, paths: string[]): Promise<string[]> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const bodies: string[] = [];
    let text = "";
    const next = () => socket.write(`GET ${paths[bodies.length]} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
    const cap = setTimeout(() => socket.destroy(new Error(`only ${bodies.length} answers in 10 s`)), 10_000);
    socket.on("connect", next);
    socket.on("data", (d: Uint8Array) => {
      text += new TextDecoder().decode(d);
      const end = text.indexOf("\r\n\r\n");
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
      if (end < 0 || !length || text.length < end + 4 + Number(length[1])) return;
      bodies.push(text.slice(end + 4, end + 4 + Number(length[1])));
      text = text.slice(end + 4 + Number(length[1]));
      if (bodies.length < paths.length) return next();
      clearTimeout(cap);
      socket.destroy();
      resolve(bodies);
    });
    socket.on("close", () => reject(new Error(`closed after ${bodies.length} of ${paths.length} answers`)));
    socket.on("error", reject);
  });
}

/** The same expectations for every framework; `base()` is the app's origin. */
function suite(name: string, base: () => string, kind: { json: RegExp; missing: RegExp }) {
  test(`[${runtime}] ${name}: a route parameter reaches the handler`, async () => {
    const r = await fetch(`${base()}/users/42?x=1`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", kind.json);
    assert.deepEqual(await r.json(), { id: "42" });
  });

  test(`[${runtime}] ${name}: a JSON body is parsed and echoed`, async () => {
    const body = { name: "ünïcødé €", list: [1, 2, 3], nested: { ok: true } };
    const r = await fetch(`${base()}/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", kind.json);
    assert.deepEqual(await r.json(), { got: body });
  });

  test(`[${runtime}] ${name}: a Node Readable piped into the response arrives whole`, async () => {
    const r = await fetch(`${base()}/stream`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", /^text\/plain/);
    assert.equal(r.headers.get("transfer-encoding"), "chunked");
    assert.equal(await r.text(), "abc");
  });

  test(`[${runtime}] ${name}: a large streamed response arrives whole, with backpressure`, async () => {
    // A client that does not read until the server's write() said wait: backpressure must
    // happen (within a generous cap), then every byte still arrives.
    const { hostname, port } = new URL(base());
    const socket = net.connect(Number(port), hostname);
    socket.pause();
    const waited = once(backpressure, "seen", { signal: AbortSignal.timeout(10_000) });
    socket.write(`GET /big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
    await waited;
    const chunks: Buffer[] = [];
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.resume();
    await once(socket, "close");
    const text = Buffer.concat(chunks).toString("latin1");
    const head = text.slice(0, text.indexOf("\r\n\r\n"));
    assert.match(head, /^HTTP\/1\.1 200 /);
    const body = text.slice(head.length + 4).replace(/\r\n[0-9a-f]+\r\n/g, "").replace(/^[0-9a-f]+\r\n/, "").replace(/\r\n$/, "");
    assert.equal(body.length, BIG_CHUNKS * 4096);
    assert.equal(body.split("\n").length, BIG_CHUNKS + 1);
  });

  test(`[${runtime}] ${name}: a handler that throws gets the framework's 500`, async () => {
    const r = await fetch(`${base()}/boom`);
    assert.equal(r.status, 500);
    await r.arrayBuffer();
  });

  test(`[${runtime}] ${name}: an unknown route gets the framework's 404`, async () => {
    const r = await fetch(`${base()}/missing`);
    assert.equal(r.status, 404);
    assert.match(await r.text(), kind.missing);
  });

  test(`[${runtime}] ${name}: the connection is reused across requests`, async () => {
    // One TCP connection, five requests one after the other: each is answered on it.
    const bodies = await onOneConnection(base(), [0, 1, 2, 3, 4].map((i) => `/users/${i}`));
    assert.deepEqual(bodies.map((b) => JSON.parse(b)), [0, 1, 2, 3, 4].map((i) => ({ id: String(i) })));
  });
}

const servers: Server[] = [];
const staticDir = fs.mkdtempSync(path.join(os.tmpdir(), "anyhttp-frameworks-"));
fs.writeFileSync(path.join(staticDir, "hello.txt"), "hello from disk\n".repeat(1000));
const origins = { express: "", koa: "", fastify: "" };
let fastifyServer: Server | undefined;
// deno-lint-ignore no-explicit-any
let fastify: any;

before(async () => {
  origins.express = await listen(expressApp());
  origins.koa = await listen(koaApp());
  fastify = fastifyApp();
  await fastify.ready();
  origins.fastify = await fastify.listen({ port: 0, host: "127.0.0.1" });
});

after(async () => {
  fs.rmSync(staticDir, { recursive: true, force: true });
  await Promise.all(servers.map(close));
  fastifyServer?.closeAllConnections();
  await fastify?.close();
});

function expressApp(): Server {
  const app = express();
  app.set("env", "test"); // finalhandler prints thrown errors unless env is "test"
  app.use(express.json());
  app.get("/users/:id", (req, res) => {
    res.json({ id: req.params.id });
  });
  app.post("/echo", (req, res) => {
    res.json({ got: req.body });
  });
  app.get("/stream", (_req, res) => {
    res.type("text/plain");
    Readable.from(["a", "b", "c"]).pipe(res);
  });
  app.get("/big", (_req, res) => {
    res.type("text/plain");
    bigStream().pipe(res);
  });
  app.get("/boom", () => {
    throw new Error("boom");
  });
  // A mounted sub-app: Express swaps the prototypes to the sub-app's on the way in, and back
  // to the parent's on the way out.
  const sub = express();
  sub.set("env", "test");
  sub.get("/hi", (req, res) => {
    res.json({ baseUrl: req.baseUrl, url: req.url });
  });
  app.use("/sub", sub);
  app.get("/after-sub", (req, res) => {
    res.send(`after ${req.originalUrl}`);
  });
  app.use("/static", express.static(staticDir));
  app.get("/file", (_req, res) => {
    res.sendFile(path.join(staticDir, "hello.txt"));
  });
  // Express swaps the prototypes of req and res for its own (see core/_surface.ts).
  const server = watchBackpressure(createServer(app));
  servers.push(server);
  return server;
}

function koaApp(): Server {
  const app = new Koa();
  app.silent = true; // no error printing for /boom
  app.use(async (ctx, next) => {
    const m = /^\/users\/([^/]+)$/.exec(ctx.path);
    if (m && ctx.method === "GET") {
      ctx.body = { id: m[1] };
    } else if (ctx.path === "/echo" && ctx.method === "POST") {
      // Koa has no body parser: read the request stream, as a Node handler would.
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
      ctx.body = { got: JSON.parse(Buffer.concat(chunks).toString("utf8")) };
    } else if (ctx.path === "/stream") {
      ctx.type = "text/plain";
      ctx.body = Readable.from(["a", "b", "c"]);
    } else if (ctx.path === "/big") {
      ctx.type = "text/plain";
      ctx.body = bigStream();
    } else if (ctx.path === "/boom") {
      throw new Error("boom");
    } else {
      await next();
    }
  });
  const server = watchBackpressure(createServer(app.callback()));
  servers.push(server);
  return server;
}

function fastifyApp() {
  const app = Fastify({
    logger: false,
    // Fastify builds on the server it is given; it calls the handler with (req, res).
    serverFactory: (handler) => (fastifyServer = watchBackpressure(createServer(handler))),
  });
  app.get<{ Params: { id: string } }>("/users/:id", async (req) => ({ id: req.params.id }));
  app.post("/echo", async (req) => ({ got: req.body }));
  app.get("/stream", (_req, reply) => {
    reply.type("text/plain").send(Readable.from(["a", "b", "c"]));
  });
  app.get("/big", (_req, reply) => {
    reply.type("text/plain").send(bigStream());
  });
  app.get("/boom", async () => {
    throw new Error("boom");
  });
  return app;
}

suite("express", () => origins.express, { json: /^application\/json/, missing: /Cannot GET \/missing/ });
suite("koa", () => origins.koa, { json: /^application\/json/, missing: /^Not Found$/ });
suite("fastify", () => origins.fastify, { json: /^application\/json/, missing: /Route GET:\/missing not found/ });

test(`[${runtime}] express: X-Powered-By and an ETag, as on node:http`, async () => {
  const r = await fetch(`${origins.express}/users/7`);
  assert.equal(r.headers.get("x-powered-by"), "Express");
  assert.match(r.headers.get("etag") ?? "", /^W\/"/);
  await r.arrayBuffer();
});

test(`[${runtime}] express: a mounted sub-app routes, misses fall through to the parent's 404`, async () => {
  const hit = await fetch(`${origins.express}/sub/hi`);
  assert.deepEqual(await hit.json(), { baseUrl: "/sub", url: "/hi" });
  const miss = await fetch(`${origins.express}/sub/nope`);
  assert.equal(miss.status, 404);
  assert.match(await miss.text(), /Cannot GET \/sub\/nope/);
  const after = await fetch(`${origins.express}/after-sub`);
  assert.equal(await after.text(), "after /after-sub");
});

test(`[${runtime}] express: express.static and res.sendFile stream a file from disk`, async () => {
  const expected = "hello from disk\n".repeat(1000);
  for (const url of ["/static/hello.txt", "/file"]) {
    const r = await fetch(`${origins.express}${url}`);
    assert.equal(r.status, 200, url);
    assert.match(r.headers.get("content-type") ?? "", /^text\/plain/);
    assert.equal(r.headers.get("content-length"), String(expected.length));
    assert.equal(await r.text(), expected, url);
  }
});

test(`[${runtime}] fastify: listen() went through the anyhttp server`, () => {
  assert.ok(fastifyServer);
  assert.equal(origins.fastify, `http://127.0.0.1:${portOf(fastifyServer!)}`);
});

test(`[${runtime}] fastify: a body over bodyLimit gets 413`, async () => {
  const r = await fetch(`${origins.fastify}/echo`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ pad: "x".repeat(1024 * 1024 + 10) }),
  });
  assert.equal(r.status, 413);
  await r.arrayBuffer();
});
