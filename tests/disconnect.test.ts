// A client that goes away, as handlers see it: the order of 'aborted' / 'close' / 'error' on
// req, res and the socket, res's writable flags at its 'close', and what stream.pipeline does
// with the source, for a real TCP client that destroys its socket (a) before the response
// starts, (b) in the middle of a streamed response held back by backpressure, (c) after the
// response finished. Run under node, deno and bun; under node, node:http's own server runs the
// same scenario in the same process and must give the same order. Each scenario waits for its
// last events (with a generous cap), never for a fixed time.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import * as net from "node:net";
import { pipeline, Readable } from "node:stream";
import { createServer } from "../adapters/mod.ts";
import { runtime } from "./_support/runtime.ts";

type Kind = "before" | "streaming" | "after";
type Make = (handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) => http.Server;

/** Generous: only a broken server takes this long; the events normally come in milliseconds. */
const CAP_MS = 10_000;

async function scenario(make: Make, kind: Kind): Promise<string[]> {
  const log: string[] = [];
  // The last events: req, res and socket 'close' (and pipeline's callback when streaming).
  let pending = kind === "streaming" ? 4 : 3;
  let allDone!: () => void;
  const done = new Promise<void>((r) => (allDone = r));
  const last = () => --pending === 0 && allDone();
  let ready!: () => void;
  const handlerReady = new Promise<void>((r) => (ready = r));
  const server = make((req, res) => {
    req.on("aborted", () => log.push("req aborted"));
    req.on("end", () => log.push("req end"));
    req.on("error", (e: NodeJS.ErrnoException) => log.push(`req error ${e.code}`));
    req.on("close", () => (log.push("req close"), last()));
    res.on("finish", () => log.push("res finish"));
    res.on("error", (e: NodeJS.ErrnoException) => log.push(`res error ${e.code}`));
    res.on("close", () => {
      log.push(`res close finished=${res.writableFinished} ended=${res.writableEnded} destroyed=${res.destroyed}`);
      last();
    });
    req.socket.on("close", () => (log.push("socket close"), last()));
    if (kind === "streaming") {
      // Endless 16 KiB chunks into a client that reads nothing: backpressure holds the source.
      const source = new Readable({
        read() {
          this.push("x".repeat(16384));
        },
      });
      source.on("close", () => log.push("source close"));
      pipeline(source, res, (err) => {
        log.push(`pipeline cb ${(err as NodeJS.ErrnoException | undefined)?.code}`);
        last();
      });
      // Held back: the response stopped taking data.
      const check = () => (res.writableNeedDrain ? ready() : setImmediate(check));
      check();
    } else if (kind === "after") {
      res.end("ok");
    } else {
      ready();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  client.on("error", () => {});
  if (kind === "streaming") client.pause();
  client.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  if (kind === "after") {
    await new Promise<void>((r) => {
      let text = "";
      client.on("data", (d: Buffer) => (text += d.toString("latin1")).endsWith("\r\n\r\nok") && r());
    });
  } else {
    await handlerReady;
  }
  log.push("-- client destroys its socket");
  client.destroy();
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([done, new Promise((r) => (timer = setTimeout(r, CAP_MS)))]);
  clearTimeout(timer);
  // Whatever the last events queued runs before the log is read.
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  return log;
}

// node:http 20's order, recorded from its own server by the node run of this file.
const EXPECTED: Record<Kind, string[]> = {
  before: [
    "-- client destroys its socket",
    "req aborted",
    "res close finished=false ended=false destroyed=true",
    "socket close",
    "req error ECONNRESET",
    "req close",
  ],
  streaming: [
    "-- client destroys its socket",
    "req aborted",
    "res close finished=false ended=false destroyed=true",
    "socket close",
    "source close",
    "pipeline cb ERR_STREAM_PREMATURE_CLOSE",
    "req error ECONNRESET",
    "req close",
  ],
  after: [
    "res finish",
    "res close finished=true ended=true destroyed=true",
    "req end",
    "req close",
    "-- client destroys its socket",
    "socket close",
  ],
};

const WHEN: Record<Kind, string> = {
  before: "before the response starts",
  streaming: "mid-response, with the response held back by backpressure",
  after: "after the response finished",
};

for (const kind of ["before", "streaming", "after"] as Kind[]) {
  test(`[${runtime}] a client that destroys its socket ${WHEN[kind]}: req, res and pipeline see it in node:http's order`, async () => {
    const log = await scenario(createServer, kind);
    if (runtime === "node" || kind !== "streaming") {
      assert.deepEqual(log, EXPECTED[kind]);
    } else {
      // Deno's and Bun's process.nextTick (under their stream code: the source's 'close',
      // pipeline's callback) runs after the core's microtasks, where Node's runs before: the
      // two sequences interleave differently there, each keeping its own order.
      const pipelineEvents = (e: string) => e.startsWith("source") || e.startsWith("pipeline");
      assert.deepEqual(log.filter((e) => !pipelineEvents(e)), EXPECTED[kind].filter((e) => !pipelineEvents(e)));
      assert.deepEqual(log.filter(pipelineEvents), EXPECTED[kind].filter(pipelineEvents));
    }
  });
  if (runtime === "node") {
    test(`[node] node:http itself gives that order (${WHEN[kind]})`, async () => {
      assert.deepEqual(await scenario(http.createServer, kind), EXPECTED[kind]);
    });
  }
}
