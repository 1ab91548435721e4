// The Node ecosystem, unchanged, on anyhttp (issue #11, item 7): the real npm packages, each in
// a real scenario whose bytes or messages are asserted, under the runtime that runs this file
// (npm test runs it under node, deno and bun).
//
// Servers whose failure mode is an uncaught exception (ws, socket.io, http-proxy's ws, the
// CONNECT tunnel) run in a child process (tests/ecosystem/servers.ts) so that "the server
// process died" is something a test sees, with the child's stderr in the failure message.
// Everything else runs in this process. Nothing waits for "nothing happened in N ms": each
// test waits for an event, with a generous cap that only turns a hang into a failure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { Buffer } from "node:buffer";
import express from "express";
import Koa from "koa";
import cookieSession from "cookie-session";
import session from "express-session";
import morgan from "morgan";
import compression from "compression";
import multer from "multer";
import httpProxy from "http-proxy";
import { io as ioClient, type Socket as IOClientSocket } from "socket.io-client";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { createApp, createRouter, defineEventHandler, readBody, toNodeListener } from "h3";
import { createServer, type RequestListener, Server } from "../adapters/mod.ts";
import { command, runtime } from "./_support/runtime.ts";
import { isRealWs, WebSocket as WsClient } from "./ecosystem/_real-ws.ts";
import { portOf } from "./_support/address.ts";

/** The cap on any one wait: long enough for a loaded 2-core machine, short of a test timeout. */
const CAP = 20_000;

function within<T>(promise: Promise<T>, what: string, ms = CAP): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cap = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: did not happen within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, cap]).finally(() => clearTimeout(timer));
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(portOf(server)));
  });
}

/** Close a server and every connection it has (also the one @hono/node-server's serve() made). */
function close(server: { close(callback: () => void): unknown; closeAllConnections?(): void }): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}

/** An anyhttp server for `listener` on 127.0.0.1; `run` gets its origin; closed afterwards. */
async function withServer(listener: unknown, run: (origin: string, server: Server) => Promise<void>): Promise<void> {
  // The packages' types name node:http's classes; at run time they take any (req, res).
  const server = createServer(listener as RequestListener);
  const port = await listen(server);
  try {
    await run(`http://127.0.0.1:${port}`, server);
  } finally {
    await close(server);
  }
}

/** A raw response over node:http's client, body undecoded. */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return within(
    new Promise((resolve, reject) => {
      http.get(url, { headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      }).on("error", reject);
    }),
    `GET ${url}`,
  );
}

/** Open a raw connection, send `request`, wait for the first bytes of the answer, and go away. */
async function readALittleAndVanish(port: number, request: string): Promise<string> {
  const socket = net.connect(port, "127.0.0.1");
  try {
    socket.write(request);
    const [first] = await within(once(socket, "data"), "the first bytes of the response");
    return Buffer.from(first as Uint8Array).subarray(0, 64).toString("latin1");
  } finally {
    socket.destroy();
  }
}

// ---- servers in a child process ---------------------------------------------------------------

// deno-lint-ignore no-explicit-any
type Event = Record<string, any>;

interface Fixture {
  port: number;
  events: Event[];
  /** The first event (seen already or to come) for which `match` holds; rejects if the server dies. */
  waitFor(what: string, match: (e: Event) => boolean): Promise<Event>;
  alive(): boolean;
  /** Throws the exit report (with the server's stderr) if the server process has died. */
  assertAlive(): void;
  /** `promise`, or the exit report if the server process dies first. */
  guard<T>(promise: Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

const serversFile = fileURLToPath(new URL("./ecosystem/servers.ts", import.meta.url));

async function fixture(scenario: string): Promise<Fixture> {
  const [cmd, args] = command(serversFile);
  const child = spawn(cmd, args, { env: { ...process.env, SCENARIO: scenario }, stdio: ["ignore", "pipe", "pipe"] });
  const events: Event[] = [];
  const waiters = new Set<{ match: (e: Event) => boolean; resolve: (e: Event) => void; reject: (e: Error) => void; what: string }>();
  let stdout = "";
  let stderr = "";
  let pending = "";
  let exited: string | null = null;
  let died!: (err: Error) => void;
  const death = new Promise<never>((_, reject) => (died = reject));
  death.catch(() => {});
  let ready!: { resolve: (port: number) => void; reject: (e: Error) => void };
  const listening = new Promise<number>((resolve, reject) => (ready = { resolve, reject }));
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (d: string) => (stderr += d));
  child.stdout!.on("data", (d: string) => {
    stdout += d;
    pending += d;
    for (let i = pending.indexOf("\n"); i >= 0; i = pending.indexOf("\n")) {
      const line = pending.slice(0, i);
      pending = pending.slice(i + 1);
      const m = /^listening on \S*:(\d+)/.exec(line);
      if (m) ready.resolve(Number(m[1]));
      if (!line.startsWith("event ")) continue;
      const event = JSON.parse(line.slice(6)) as Event;
      events.push(event);
      for (const w of waiters) {
        if (w.match(event)) {
          waiters.delete(w);
          w.resolve(event);
        }
      }
    }
  });
  child.on("exit", (code, signal) => {
    exited = `the ${scenario} server process exited (code ${code}, signal ${signal})\n--- its stderr:\n${stderr}--- its stdout:\n${stdout}`;
    ready.reject(new Error(exited));
    died(new Error(exited));
    for (const w of waiters) w.reject(new Error(`${exited}\n(while waiting for ${w.what})`));
    waiters.clear();
  });
  const stop = () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once("exit", () => done());
      child.kill("SIGTERM");
    });
  let port: number;
  try {
    port = await within(listening, `the ${scenario} server to listen`, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    events,
    alive: () => exited === null,
    assertAlive() {
      if (exited) throw new Error(exited);
    },
    guard: <T>(promise: Promise<T>) => Promise.race([promise, death]),
    stop,
    waitFor(what, match) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      if (exited) return Promise.reject(new Error(`${exited}\n(while waiting for ${what})`));
      let waiter!: { match: (e: Event) => boolean; resolve: (e: Event) => void; reject: (e: Error) => void; what: string };
      const p = new Promise<Event>((resolve, reject) => (waiter = { match, resolve, reject, what }));
      waiters.add(waiter);
      return within(p, `the server to report ${what}`).finally(() => waiters.delete(waiter));
    },
  };
}

async function withFixture(scenario: string, run: (fx: Fixture) => Promise<void>): Promise<void> {
  const fx = await fixture(scenario);
  try {
    await run(fx);
  } finally {
    await fx.stop();
  }
}

/**
 * The server still answers a plain HTTP request with `expected` (and its process is alive). A
 * refused request is reported with the server's exit report if the process is on its way out.
 */
async function stillServes(fx: Fixture, url = "/still-there", expected = `http ${url}`): Promise<void> {
  let r: Response;
  try {
    r = await fx.guard(within(fetch(`http://127.0.0.1:${fx.port}${url}`), "an HTTP request afterwards"));
  } catch (err) {
    if (!fx.alive()) throw err;
    // Wait for the exit (with the server's stderr) that a refused connection announces.
    await fx.guard(within(new Promise<never>(() => {}), "the server to exit", 5_000)).catch((e: Error) => {
      throw fx.alive() ? err : e;
    });
    throw err;
  }
  assert.equal(r.status, 200);
  assert.equal(await r.text(), expected);
  fx.assertAlive();
}

// ---- ws ------------------------------------------------------------------------------------

type WsClientT = InstanceType<typeof WsClient>;

function wsOpen(url: string): Promise<WsClientT> {
  const ws = new WsClient(url);
  return within(
    new Promise((resolve, reject) => {
      ws.once("open", () => resolve(ws));
      ws.once("error", reject);
    }),
    `a ws connection to ${url}`,
  );
}

function wsNext(ws: WsClientT): Promise<{ data: Buffer; isBinary: boolean }> {
  return within(
    new Promise((resolve) => ws.once("message", (data, isBinary) => resolve({ data: data as Buffer, isBinary }))),
    "a message from the server",
  );
}

function wsClosed(ws: WsClientT): Promise<{ code: number; reason: string }> {
  return within(
    new Promise((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() }))),
    "the client's close event",
  );
}

test(`[${runtime}] ws: the npm package ws (not a runtime's replacement) is what the tests load`, async () => {
  assert.ok(isRealWs, "this process loaded node_modules/ws");
  await withFixture("ws", async (fx) => {
    const e = await fx.waitFor("which ws it loaded", (e) => e.type === "ws-module");
    assert.equal(e.real, true, `the server process loaded ${e.file}`);
  });
});

test(`[${runtime}] ws: a ws client exchanges text and binary messages, then closes with its code and reason`, async () => {
  await withFixture("ws", async (fx) => {
    const ws = await fx.guard(wsOpen(`ws://127.0.0.1:${fx.port}/chat?room=1`));
    assert.equal((await fx.waitFor("the connection", (e) => e.type === "connection")).url, "/chat?room=1");

    ws.send("hello");
    const text = await fx.guard(wsNext(ws));
    assert.deepEqual([text.isBinary, text.data.toString()], [false, "echo:hello"]);

    ws.send(Buffer.from([0, 1, 2, 254, 255]));
    const bin = await fx.guard(wsNext(ws));
    assert.deepEqual([bin.isBinary, [...bin.data]], [true, [255, 254, 2, 1, 0]]);
    // The server's log comes over its stdout, which may trail the echo over the socket.
    await fx.waitFor("the binary message in the server's log", (e) => e.type === "message" && e.binary === true);
    assert.deepEqual(
      fx.events.filter((e) => e.type === "message").map((e) => [e.binary, e.data]),
      [[false, "hello"], [true, [0, 1, 2, 254, 255]]],
    );

    const closed = wsClosed(ws);
    ws.close(4000, "client bye");
    assert.deepEqual(await fx.guard(closed), { code: 4000, reason: "client bye" });
    const serverSaw = await fx.waitFor("the close on its side", (e) => e.type === "close");
    assert.deepEqual([serverSaw.code, serverSaw.reason], [4000, "client bye"]);
    await stillServes(fx);
  });
});

test(`[${runtime}] ws: a close started by the server reaches the ws client with its code and reason`, async () => {
  await withFixture("ws", async (fx) => {
    const ws = await fx.guard(wsOpen(`ws://127.0.0.1:${fx.port}/`));
    const closed = wsClosed(ws);
    ws.send("close-me");
    assert.deepEqual(await fx.guard(closed), { code: 4001, reason: "server says bye" });
    const serverSaw = await fx.waitFor("the close on its side", (e) => e.type === "close");
    assert.deepEqual([serverSaw.code, serverSaw.reason], [4001, "server says bye"]);
    await stillServes(fx);
  });
});

test(`[${runtime}] ws: a client that vanishes (socket destroyed) does not crash the server, which keeps serving`, async () => {
  await withFixture("ws", async (fx) => {
    const ws = await fx.guard(wsOpen(`ws://127.0.0.1:${fx.port}/gone`));
    await fx.waitFor("the connection", (e) => e.type === "connection");
    // No close frame, no FIN handshake: the TCP connection just goes.
    (ws as unknown as { _socket: net.Socket })._socket.destroy();
    const serverSaw = await fx.waitFor("the abnormal close", (e) => e.type === "close");
    assert.equal(serverSaw.code, 1006);

    const again = await fx.guard(wsOpen(`ws://127.0.0.1:${fx.port}/again`));
    again.send("still there?");
    assert.equal((await fx.guard(wsNext(again))).data.toString(), "echo:still there?");
    const closed = wsClosed(again);
    again.close(1000);
    assert.equal((await fx.guard(closed)).code, 1000);
    await stillServes(fx);
  });
});

test(`[${runtime}] ws: the runtime's WebSocket client exchanges text and binary messages and both closes`, async () => {
  // Node 20 has no global WebSocket without a flag: undici's is the one Node 22 exposes.
  const WS: typeof globalThis.WebSocket = globalThis.WebSocket ?? (await import("undici")).WebSocket as never;
  await withFixture("ws", async (fx) => {
    const open = (url: string) =>
      within(
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WS(url);
          ws.binaryType = "arraybuffer";
          ws.addEventListener("open", () => resolve(ws), { once: true });
          ws.addEventListener("error", () => reject(new Error(`WebSocket error on ${url}`)), { once: true });
        }),
        `a WebSocket connection to ${url}`,
      );
    const next = (ws: WebSocket) =>
      within(new Promise<unknown>((resolve) => ws.addEventListener("message", (e) => resolve(e.data), { once: true })), "a message");
    const closed = (ws: WebSocket) =>
      within(
        new Promise<{ code: number; reason: string }>((resolve) =>
          ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason }), { once: true })
        ),
        "the WebSocket's close event",
      );

    const ws = await fx.guard(open(`ws://127.0.0.1:${fx.port}/global`));
    ws.send("hi");
    assert.equal(await fx.guard(next(ws)), "echo:hi");
    ws.send(new Uint8Array([9, 8, 7]));
    assert.deepEqual([...new Uint8Array((await fx.guard(next(ws))) as ArrayBuffer)], [7, 8, 9]);
    const clientClosed = closed(ws);
    ws.close(4002, "global bye");
    assert.deepEqual(await fx.guard(clientClosed), { code: 4002, reason: "global bye" });
    const serverSaw = await fx.waitFor("the client's close", (e) => e.type === "close");
    assert.deepEqual([serverSaw.code, serverSaw.reason], [4002, "global bye"]);

    const ws2 = await fx.guard(open(`ws://127.0.0.1:${fx.port}/global2`));
    const serverClosed = closed(ws2);
    ws2.send("close-me");
    assert.deepEqual(await fx.guard(serverClosed), { code: 4001, reason: "server says bye" });
    await stillServes(fx);
  });
});

test(`[${runtime}] ws: a frame sent in the same write as the upgrade request (the upgrade's head) is delivered and echoed`, async () => {
  await withFixture("ws", async (fx) => {
    const key = randomBytes(16).toString("base64");
    const frame = (opcode: number, payload: Uint8Array) => {
      const mask = randomBytes(4);
      const out = Buffer.alloc(6 + payload.length);
      out[0] = 0x80 | opcode; // FIN
      out[1] = 0x80 | payload.length; // masked, as every client frame
      mask.copy(out, 2);
      for (let i = 0; i < payload.length; i++) out[6 + i] = payload[i] ^ mask[i % 4];
      return out;
    };
    const socket = net.connect(fx.port, "127.0.0.1");
    socket.on("error", () => {});
    let got = Buffer.alloc(0);
    const received = (enough: (b: Buffer) => boolean) =>
      fx.guard(within(
        new Promise<void>((resolve) => {
          const onData = (d: Buffer) => {
            got = Buffer.concat([got, d]);
            check();
          };
          const check = () => {
            if (!enough(got)) return;
            socket.off("data", onData);
            resolve();
          };
          socket.on("data", onData);
          check();
        }),
        "bytes from the server",
      ));
    try {
      socket.write(Buffer.concat([
        Buffer.from(
          `GET /early HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        ),
        frame(0x1, Buffer.from("early")),
      ]));
      await received((b) => b.indexOf("\r\n\r\n") >= 0 && b.length >= b.indexOf("\r\n\r\n") + 4 + 12);
      const end = got.indexOf("\r\n\r\n") + 4;
      const head = got.subarray(0, end).toString("latin1");
      const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
      assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
      assert.ok(head.includes(`\r\nSec-WebSocket-Accept: ${accept}\r\n`), head);
      assert.deepEqual([...got.subarray(end, end + 2)], [0x81, 10]);
      assert.equal(got.subarray(end + 2, end + 12).toString(), "echo:early");
      got = got.subarray(end + 12);
      socket.write(frame(0x8, Buffer.from([0x03, 0xe8]))); // close, 1000
      await received((b) => b.length >= 4);
      assert.deepEqual([...got.subarray(0, 4)], [0x88, 2, 0x03, 0xe8]);
      assert.equal((await fx.waitFor("the close", (e) => e.type === "close")).code, 1000);
    } finally {
      socket.destroy();
    }
    await stillServes(fx);
  });
});

// ---- socket.io -------------------------------------------------------------------------------

async function socketIoRoundTrip(transport: "websocket" | "polling") {
  await withFixture("socketio", async (fx) => {
    const socket: IOClientSocket = ioClient(`http://127.0.0.1:${fx.port}`, {
      transports: [transport],
      forceNew: true,
      reconnection: false,
    });
    try {
      const welcome = within(new Promise((resolve) => socket.once("welcome", resolve)), "the welcome event");
      await fx.guard(within(
        new Promise<void>((resolve, reject) => {
          socket.once("connect", () => resolve());
          socket.once("connect_error", reject);
        }),
        `a socket.io connection over ${transport}`,
      ));
      assert.equal(socket.io.engine.transport.name, transport);
      assert.deepEqual(await fx.guard(welcome), { hello: "from socket.io" });
      const connection = await fx.waitFor("the connection", (e) => e.type === "connection");
      assert.equal(connection.transport, transport);

      const [reply, bin] = await fx.guard(within(
        new Promise<[unknown, Uint8Array]>((resolve) =>
          socket.emit("ping", { n: 1, s: "ünï" }, Buffer.from([1, 2, 3]), (r: unknown, b: Uint8Array) => resolve([r, b]))
        ),
        "the ack",
      ));
      assert.deepEqual(reply, { pong: { n: 1, s: "ünï" } });
      assert.deepEqual([...new Uint8Array(bin)], [3, 2, 1]);
      const ping = await fx.waitFor("the ping", (e) => e.type === "ping");
      assert.deepEqual([ping.payload, ping.bin], [{ n: 1, s: "ünï" }, [1, 2, 3]]);

      socket.disconnect();
      const gone = await fx.waitFor("the disconnect", (e) => e.type === "disconnect");
      assert.equal(gone.reason, "client namespace disconnect");
      // engine.io's socket closes once its transport has: with the websocket transport, that is
      // after ws's socketOnClose.
      const closed = await fx.waitFor("the engine.io connection closing", (e) => e.type === "conn-close");
      assert.equal(closed.reason, "transport close");
      // A fresh connection after the first went: the server is still up.
      const again = ioClient(`http://127.0.0.1:${fx.port}`, { transports: [transport], forceNew: true, reconnection: false });
      try {
        await fx.guard(within(new Promise((resolve) => again.once("welcome", resolve)), "a second connection's welcome"));
      } finally {
        again.disconnect();
      }
      fx.assertAlive();
    } finally {
      socket.disconnect();
    }
  });
}

test(`[${runtime}] socket.io: over the websocket transport, emit with an ack round-trips and disconnect is seen`, async () => {
  await socketIoRoundTrip("websocket");
});

test(`[${runtime}] socket.io: over long-polling, emit with an ack round-trips and disconnect is seen`, async () => {
  await socketIoRoundTrip("polling");
});

// ---- supertest -------------------------------------------------------------------------------

const supertestFile = fileURLToPath(new URL("./ecosystem/supertest-exit.ts", import.meta.url));

/** Run the supertest program; it must print its results and exit by itself within 30 s. */
async function supertestExits(mode: "listener" | "server") {
  const [cmd, args] = command(supertestFile);
  const child = spawn(cmd, args, { env: { ...process.env, MODE: mode }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<[number | null, string | null]>((resolve) => child.once("exit", (code, signal) => resolve([code, signal])));
  try {
    const [code] = await within(exited, `the supertest program (MODE=${mode}) to exit by itself`, 30_000);
    assert.equal(code, 0, out);
    assert.match(out, /^got hello GET \/one \| hello POST \/two \| text\/plain$/m);
  } catch (err) {
    (err as Error).message += `\n--- its output so far:\n${out}`;
    throw err;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

test(`[${runtime}] supertest(listener): requests succeed and the test process exits by itself`, async () => {
  await supertestExits("listener");
});

test(`[${runtime}] supertest(server) on an anyhttp server: requests succeed and the process exits by itself`, async () => {
  await supertestExits("server");
});

// ---- sessions --------------------------------------------------------------------------------

function cookiesOf(r: Response): string[] {
  return r.headers.getSetCookie().map((c) => c.split(";")[0]);
}

test(`[${runtime}] cookie-session with Express: Set-Cookie on res.end() and res.send() without writeHead, and the session round-trips`, async () => {
  const app = express();
  app.use(cookieSession({ name: "sess", keys: ["key one"] }));
  // express-session's types claim req.session too; this is cookie-session's plain object.
  const count = (req: express.Request) => {
    const s = req.session as unknown as { n?: number };
    s.n = (s.n ?? 0) + 1;
    return s.n;
  };
  app.get("/end", (req, res) => {
    res.end(`n=${count(req)}`);
  });
  app.get("/send", (req, res) => {
    res.send(`n=${count(req)}`);
  });
  await withServer(app, async (origin) => {
    for (const route of ["/end", "/send"]) {
      const first = await fetch(`${origin}${route}`);
      assert.equal(await first.text(), "n=1", route);
      const cookies = cookiesOf(first);
      assert.deepEqual(cookies.map((c) => c.split("=")[0]), ["sess", "sess.sig"], `${route}: ${first.headers.get("set-cookie")}`);
      assert.equal(Buffer.from(cookies[0].slice("sess=".length), "base64").toString(), '{"n":1}');
      const second = await fetch(`${origin}${route}`, { headers: { cookie: cookies.join("; ") } });
      assert.equal(await second.text(), "n=2", route);
    }
  });
});

test(`[${runtime}] express-session with Express: Set-Cookie on res.end() and res.send() without writeHead, and the session round-trips`, async () => {
  const app = express();
  app.use(session({ secret: "s3cret", resave: false, saveUninitialized: false, name: "sid" }));
  const count = (req: express.Request) => {
    const s = req.session as unknown as { views?: number };
    s.views = (s.views ?? 0) + 1;
    return s.views;
  };
  app.get("/end", (req, res) => {
    res.end(`views=${count(req)}`);
  });
  app.get("/send", (req, res) => {
    res.send(`views=${count(req)}`);
  });
  await withServer(app, async (origin) => {
    for (const route of ["/end", "/send"]) {
      const first = await fetch(`${origin}${route}`);
      assert.equal(await first.text(), "views=1", route);
      const cookies = cookiesOf(first);
      assert.equal(cookies.length, 1, `${route}: ${first.headers.get("set-cookie")}`);
      assert.match(cookies[0], /^sid=s%3A[\w-]+\.[\w%+/-]+$/);
      assert.match(first.headers.get("set-cookie") ?? "", /; Path=\/; HttpOnly$/);
      const second = await fetch(`${origin}${route}`, { headers: { cookie: cookies[0] } });
      assert.equal(await second.text(), "views=2", route);
      const third = await fetch(`${origin}${route}`, { headers: { cookie: cookies[0] } });
      assert.equal(await third.text(), "views=3", route);
    }
  });
});

// ---- morgan, compression, multer -----------------------------------------------------------------

test(`[${runtime}] morgan logs method, url, status, content-length and a numeric response time`, async () => {
  const lines: string[] = [];
  let logged!: () => void;
  const twoLines = new Promise<void>((resolve) => (logged = resolve));
  const app = express();
  app.use(morgan(":method :url :status :res[content-length] :response-time :total-time", {
    stream: {
      write(line: string) {
        lines.push(line);
        if (lines.length === 2) logged();
      },
    },
  }));
  app.get("/hello", (_req, res) => {
    res.send("hello world");
  });
  app.post("/nope", (_req, res) => {
    res.status(418).end("teapot");
  });
  await withServer(app, async (origin) => {
    assert.equal(await (await fetch(`${origin}/hello`)).text(), "hello world");
    assert.equal((await fetch(`${origin}/nope`, { method: "POST", body: "x" })).status, 418);
    await within(twoLines, "two log lines");
  });
  const [hello, nope] = lines;
  const m1 = /^GET \/hello 200 11 (\d+\.\d{3}) (\d+\.\d{3})\n$/.exec(hello);
  assert.ok(m1, `log line: ${JSON.stringify(hello)}`);
  assert.ok(Number(m1[1]) >= 0 && Number(m1[1]) <= Number(m1[2]), hello);
  // `end(data)` frames the body with a Content-Length of its own that is not a header of the
  // response object: node:http logs "-" here too.
  assert.match(nope, /^POST \/nope 418 - \d+\.\d{3} \d+\.\d{3}\n$/);
});

test(`[${runtime}] compression: a gzip body (sent whole or written in parts) decompresses to the original, with Content-Encoding and Vary`, async () => {
  const text = Array.from({ length: 2000 }, (_, i) => `line ${i}: the quick brown fox\n`).join("");
  const app = express();
  app.use(compression({ threshold: 0 }));
  app.get("/whole", (_req, res) => {
    res.type("text/plain").send(text);
  });
  app.get("/parts", (_req, res) => {
    res.setHeader("content-type", "text/plain");
    res.write(text.slice(0, 1000));
    res.write(text.slice(1000, 30000));
    res.end(text.slice(30000));
  });
  await withServer(app, async (origin) => {
    for (const route of ["/whole", "/parts"]) {
      const r = await rawGet(`${origin}${route}`, { "accept-encoding": "gzip" });
      assert.equal(r.status, 200);
      assert.equal(r.headers["content-encoding"], "gzip", route);
      assert.equal(r.headers["vary"], "Accept-Encoding", route);
      assert.equal(r.headers["content-length"], undefined, route);
      assert.deepEqual([...r.body.subarray(0, 2)], [0x1f, 0x8b], route);
      assert.equal(gunzipSync(r.body).toString(), text, route);
      const plain = await rawGet(`${origin}${route}`, { "accept-encoding": "identity" });
      assert.equal(plain.headers["content-encoding"], undefined, route);
      assert.equal(plain.body.toString(), text, route);
    }
  });
});

test(`[${runtime}] multer: a multipart upload of a file and a field arrives byte for byte`, async () => {
  const bytes = randomBytes(300 * 1024);
  const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
  const app = express();
  const upload = multer({ storage: multer.memoryStorage() });
  app.post("/upload", upload.single("file"), (req, res) => {
    const f = req.file!;
    res.json({ title: req.body.title, name: f.originalname, type: f.mimetype, size: f.size, sha: sha(f.buffer) });
  });
  await withServer(app, async (origin) => {
    const form = new FormData();
    form.append("title", "ünï title");
    form.append("file", new Blob([bytes], { type: "application/x-test" }), "data.bin");
    const r = await fetch(`${origin}/upload`, { method: "POST", body: form });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), {
      title: "ünï title",
      name: "data.bin",
      type: "application/x-test",
      size: bytes.byteLength,
      sha: sha(bytes),
    });
  });
});

// ---- http-proxy and CONNECT ----------------------------------------------------------------------

test(`[${runtime}] http-proxy: proxy.web forwards method, path, body and X-Forwarded-For to a second anyhttp server, and the answer back`, async () => {
  await withServer(async (req: http.IncomingMessage, res: http.ServerResponse) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    res.writeHead(201, { "content-type": "application/json", "x-backend": "yes" });
    res.end(JSON.stringify({ method: req.method, url: req.url, body, xff: req.headers["x-forwarded-for"] ?? null }));
  }, async (backend) => {
    const proxy = httpProxy.createProxyServer({ target: backend, xfwd: true });
    const errors: string[] = [];
    proxy.on("error", (err, _req, res) => {
      errors.push(err.stack ?? String(err));
      (res as http.ServerResponse).writeHead?.(502);
      res.end(`proxy error: ${err.message}`);
    });
    await withServer((req: http.IncomingMessage, res: http.ServerResponse) => proxy.web(req, res), async (front) => {
      const r = await fetch(`${front}/path/to?q=1`, { method: "POST", body: "payload ünï" });
      const text = await r.text();
      assert.deepEqual(errors, []);
      assert.equal(r.status, 201, text);
      assert.equal(r.headers.get("x-backend"), "yes");
      assert.deepEqual(JSON.parse(text), { method: "POST", url: "/path/to?q=1", body: "payload ünï", xff: "127.0.0.1" });
    });
    proxy.close();
  });
});

test(`[${runtime}] http-proxy: proxy.ws carries a WebSocket upgrade to a second anyhttp server, both ways`, async () => {
  await withFixture("proxy-ws", async (fx) => {
    const ws = await fx.guard(wsOpen(`ws://127.0.0.1:${fx.port}/via-proxy`));
    const connection = await fx.waitFor("the backend connection", (e) => e.type === "connection");
    assert.deepEqual([connection.url, connection.forwarded], ["/via-proxy", "127.0.0.1"]);
    ws.send("through");
    assert.equal((await fx.guard(wsNext(ws))).data.toString(), "echo:through");
    const closed = wsClosed(ws);
    ws.close(4000, "bye");
    assert.deepEqual(await fx.guard(closed), { code: 4000, reason: "bye" });
    const serverSaw = await fx.waitFor("the close at the backend", (e) => e.type === "close");
    assert.deepEqual([serverSaw.code, serverSaw.reason], [4000, "bye"]);
    assert.deepEqual(fx.events.filter((e) => e.type === "proxy-error"), []);
    fx.assertAlive();
  });
});

/** Send `first` on a connection to `port` (then `then.send` once `then.after` arrived); collect until the peer closes. */
async function tunnel(port: number, first: string, then?: { after: string; send: string }): Promise<{ text: string; closed: boolean }> {
  const socket = net.connect(port, "127.0.0.1");
  let text = "";
  let sent = false;
  socket.on("data", (d: Uint8Array) => {
    text += Buffer.from(d).toString("latin1");
    if (then && !sent && text.includes(then.after)) {
      sent = true;
      socket.write(then.send);
    }
  });
  socket.on("error", () => {});
  socket.write(first);
  try {
    await within(once(socket, "close"), "the tunnel to close after the target's answer");
    return { text, closed: true };
  } catch {
    return { text, closed: false };
  } finally {
    socket.destroy();
  }
}

test(`[${runtime}] CONNECT: the tunnel from Node's http docs carries a request to the target and closes when the target does`, async () => {
  await withServer((req: http.IncomingMessage, res: http.ServerResponse) => {
    res.setHeader("connection", "close");
    res.end(`tunneled ${req.url}`);
  }, async (target) => {
    const authority = new URL(target).host;
    await withFixture("connect", async (fx) => {
      const { text, closed } = await tunnel(
        fx.port,
        `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`,
        { after: "\r\n\r\n", send: `GET /through HTTP/1.1\r\nHost: ${authority}\r\n\r\n` },
      );
      // The proxy's upstream socket closes once the target has answered and closed; a proxy
      // process that died on the way never says so.
      await fx.waitFor("the upstream connection closing", (e) => e.type === "upstream-close");
      await stillServes(fx, "/", "okay");
      assert.match(
        text,
        /^HTTP\/1\.1 200 Connection Established\r\nProxy-agent: Node\.js-Proxy\r\n\r\nHTTP\/1\.1 200 OK\r\n[^]*\r\n\r\ntunneled \/through$/,
      );
      assert.ok(closed, "the tunnel closed after the target closed");
      assert.deepEqual(fx.events.filter((e) => e.type === "connect").map((e) => [e.url, e.head]), [[authority, 0]]);
    });
  });
});

test(`[${runtime}] CONNECT: bytes sent right behind the CONNECT head reach the target as 'head'`, async () => {
  await withServer((req: http.IncomingMessage, res: http.ServerResponse) => {
    res.setHeader("connection", "close");
    res.end(`tunneled ${req.url}`);
  }, async (target) => {
    const authority = new URL(target).host;
    const get = `GET /early HTTP/1.1\r\nHost: ${authority}\r\n\r\n`;
    await withFixture("connect", async (fx) => {
      const { text, closed } = await tunnel(fx.port, `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n${get}`);
      await fx.waitFor("the upstream connection closing", (e) => e.type === "upstream-close");
      await stillServes(fx, "/", "okay");
      assert.match(
        text,
        /^HTTP\/1\.1 200 Connection Established\r\nProxy-agent: Node\.js-Proxy\r\n\r\nHTTP\/1\.1 200 OK\r\n[^]*\r\n\r\ntunneled \/early$/,
      );
      assert.ok(closed, "the tunnel closed after the target closed");
      assert.deepEqual(fx.events.filter((e) => e.type === "connect").map((e) => [e.url, e.head]), [[authority, get.length]]);
    });
  });
});

// ---- Hono and h3 ---------------------------------------------------------------------------------

test(`[${runtime}] @hono/node-server: serve() with anyhttp's createServer answers a Hono app, JSON and a streamed body`, async () => {
  const app = new Hono();
  let firstChunkRead!: () => void;
  const clientGotFirst = new Promise<void>((resolve) => (firstChunkRead = resolve));
  app.get("/", (c) => c.text("hono ok"));
  app.post("/json", async (c) => c.json({ got: await c.req.json() }));
  app.get("/stream", (c) => {
    const enc = new TextEncoder();
    let step = 0;
    return c.body(
      new ReadableStream({
        async pull(controller) {
          // The second chunk is produced only once the client has the first: a body that
          // were buffered whole would never arrive.
          if (step === 0) controller.enqueue(enc.encode("one\n"));
          else if (step === 1) {
            await clientGotFirst;
            controller.enqueue(enc.encode("two\n"));
          } else controller.close();
          step++;
        },
      }),
      200,
      { "content-type": "text/plain" },
    );
  });
  let served!: ReturnType<typeof serve>;
  const port = await within(
    new Promise<number>((resolve) => {
      served = serve({ fetch: app.fetch, createServer, port: 0, hostname: "127.0.0.1" }, (info) => resolve(info.port));
    }),
    "serve() to listen",
  );
  const server = served;
  try {
    assert.ok(server instanceof Server, "serve() used anyhttp's createServer");
    const r = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", /^text\/plain/);
    assert.equal(await r.text(), "hono ok");

    const j = await fetch(`http://127.0.0.1:${port}/json`, { method: "POST", body: JSON.stringify({ a: [1, "ü"] }), headers: { "content-type": "application/json" } });
    assert.deepEqual(await j.json(), { got: { a: [1, "ü"] } });

    const s = await fetch(`http://127.0.0.1:${port}/stream`);
    assert.equal(s.headers.get("transfer-encoding"), "chunked");
    const reader = s.body!.getReader();
    const dec = new TextDecoder();
    let got = dec.decode((await within(reader.read(), "the first streamed chunk")).value);
    assert.equal(got, "one\n");
    firstChunkRead();
    for (;;) {
      const { done, value } = await within(reader.read(), "the rest of the stream");
      if (done) break;
      got += dec.decode(value);
    }
    assert.equal(got, "one\ntwo\n");
  } finally {
    firstChunkRead();
    await close(server);
  }
});

test(`[${runtime}] h3 v1: createServer(toNodeListener(app)) routes, parses a JSON body, and answers h3's 404`, async () => {
  const app = createApp();
  const router = createRouter()
    .get("/hello/:name", defineEventHandler((event) => `hello ${event.context.params!.name}`))
    .post("/json", defineEventHandler(async (event) => ({ got: await readBody(event) })));
  app.use(router);
  await withServer(toNodeListener(app), async (origin) => {
    const r = await fetch(`${origin}/hello/h3`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", /^text\/html/);
    assert.equal(await r.text(), "hello h3");

    const j = await fetch(`${origin}/json`, { method: "POST", body: JSON.stringify({ x: 1 }), headers: { "content-type": "application/json" } });
    assert.equal(j.status, 200);
    assert.match(j.headers.get("content-type") ?? "", /^application\/json/);
    assert.deepEqual(await j.json(), { got: { x: 1 } });

    const miss = await fetch(`${origin}/nowhere`);
    assert.equal(miss.status, 404);
    assert.match(miss.headers.get("content-type") ?? "", /^application\/json/);
    assert.deepEqual(await miss.json(), { statusCode: 404, statusMessage: "Cannot find any path matching /nowhere.", stack: [] });
  });
});

// ---- client aborts -------------------------------------------------------------------------------

test(`[${runtime}] express: res.sendFile calls its callback with ECONNABORTED when the client goes away mid-transfer`, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "anyhttp-eco-"));
  const file = path.join(dir, "big.bin");
  // 32 MiB: far more than the socket buffers on the way can hold, so the transfer is in
  // progress when the client goes.
  fs.writeFileSync(file, Buffer.alloc(32 * 1024 * 1024, 0x61));
  let callback!: (err: unknown) => void;
  const called = new Promise<unknown>((resolve) => (callback = resolve));
  const app = express();
  app.get("/big", (_req, res) => {
    res.sendFile(file, (err) => callback(err ?? null));
  });
  try {
    await withServer(app, async (origin) => {
      const head = await readALittleAndVanish(Number(new URL(origin).port), "GET /big HTTP/1.1\r\nHost: a\r\n\r\n");
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
      const err = await within(called, "sendFile's callback");
      assert.ok(err instanceof Error, `the callback got ${String(err)}`);
      assert.equal((err as Error & { code?: string }).code, "ECONNABORTED");
      assert.equal((err as Error).message, "Request aborted");
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test(`[${runtime}] koa: a stream set as ctx.body is destroyed when the client goes away`, async () => {
  let produced = 0;
  const source = new Readable({
    read() {
      produced++;
      this.push(Buffer.alloc(64 * 1024, 0x62)); // endless: only a client abort can stop it
    },
  });
  const destroyed = new Promise<boolean>((resolve) => source.once("close", () => resolve(source.destroyed)));
  const app = new Koa();
  app.silent = true;
  app.use((ctx) => {
    ctx.type = "text/plain";
    ctx.body = source;
  });
  try {
    await withServer(app.callback(), async (origin) => {
      const head = await readALittleAndVanish(Number(new URL(origin).port), "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
      assert.equal(await within(destroyed, "the body stream's 'close'"), true);
      assert.ok(produced > 0);
    });
  } finally {
    source.destroy();
  }
});

test(`[${runtime}] stream.pipeline(source, res): a client abort calls back with ERR_STREAM_PREMATURE_CLOSE, destroys the source and closes res unfinished`, async () => {
  const { pipeline } = await import("node:stream");
  const source = new Readable({
    read() {
      this.push(Buffer.alloc(64 * 1024, 0x63));
    },
  });
  let report!: (r: { err: unknown; destroyed: boolean; resClosedUnfinished: boolean | null }) => void;
  const reported = new Promise<{ err: unknown; destroyed: boolean; resClosedUnfinished: boolean | null }>((resolve) => (report = resolve));
  try {
    await withServer((_req: http.IncomingMessage, res: http.ServerResponse) => {
      let resClosedUnfinished: boolean | null = null;
      res.on("close", () => (resClosedUnfinished = !res.writableFinished));
      res.setHeader("content-type", "text/plain");
      pipeline(source, res, (err) => report({ err, destroyed: source.destroyed, resClosedUnfinished }));
    }, async (origin) => {
      const head = await readALittleAndVanish(Number(new URL(origin).port), "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
      const r = await within(reported, "pipeline's callback");
      assert.equal((r.err as { code?: string } | undefined)?.code, "ERR_STREAM_PREMATURE_CLOSE", String(r.err));
      assert.equal(r.destroyed, true, "the source is destroyed");
      assert.equal(r.resClosedUnfinished, true, "res emitted 'close' with writableFinished false");
    });
  } finally {
    source.destroy();
  }
});
