// The one app every abuse target serves (anyhttp on node/deno/bun, node:http on Node), plus the
// shared start-up: options, the ready line, clean exit. Plain JS so that node, deno and bun
// all load it as is.
//
//   GET  /         → 200 "ok"
//   GET  /n/<i>    → 200 "<i>"  (pipeline flood: proves the responses come back in order)
//   POST /ignore   → 200 "ignored", without reading the request body
//   GET  /stream   → 200, 100 MiB in 64 KiB chunks, honouring write() === false / 'drain',
//                    stopping when the response closes (the client went away)
//   GET  /__mem    → 200 JSON: a full GC where the runtime allows it, then the runtime's own
//                    memory numbers and the app's counters ({ rss, heapUsed, heapTotal,
//                    external, gc, pid, youngGen, connections, streamsActive, streamsStarted })
import { gcNow, youngGeneration } from "../../servers/_heap.mjs";
const g = globalThis;
const isDeno = typeof g.Deno !== "undefined";

function env(name) {
  return isDeno ? g.Deno.env.get(name) : g.process.env[name];
}

/** The options every target gets (node:http: see node-http.mjs for connectionsCheckingInterval). */
export const OPTIONS = { headersTimeout: 2000, keepAliveTimeout: 5000 };

export const STREAM_BYTES = 100 * 1024 * 1024;
const CHUNK = new Uint8Array(64 * 1024).fill(0x61); // one buffer, written again and again

/** Counters: /stream responses started, and those whose 'close' has not fired yet. */
const stats = { streamsStarted: 0, streamsActive: 0 };
let server = null;

/** The fixture hands over its server so /__mem can report getConnections(). */
export function attach(s) {
  server = s;
}

function connections() {
  return new Promise((resolve) => {
    if (!server || typeof server.getConnections !== "function") return resolve(null);
    server.getConnections((err, n) => resolve(err ? null : n));
  });
}

async function memory() {
  const gc = gcNow();
  const m = isDeno ? g.Deno.memoryUsage() : g.process.memoryUsage();
  const pid = isDeno ? g.Deno.pid : g.process.pid;
  return {
    rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, gc, pid,
    youngGen: await youngGeneration(), connections: await connections(), ...stats,
  };
}

function text(res, body) {
  res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": body.length });
  res.end(body);
}

function stream(res) {
  res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": STREAM_BYTES });
  let sent = 0;
  let gone = false;
  stats.streamsStarted++;
  stats.streamsActive++;
  res.on("close", () => {
    gone = true;
    stats.streamsActive--;
  });
  const pump = () => {
    while (!gone && sent < STREAM_BYTES) {
      sent += CHUNK.byteLength;
      const last = sent >= STREAM_BYTES;
      if (last) {
        res.end(CHUNK);
        return;
      }
      if (res.write(CHUNK) === false) {
        res.once("drain", pump);
        return;
      }
    }
  };
  pump();
}

/** `(req, res)` for createServer(). */
export function handler(req, res) {
  const url = req.url;
  if (req.method === "POST" && url === "/ignore") return text(res, "ignored");
  if (req.method === "GET") {
    if (url === "/") return text(res, "ok");
    if (url.startsWith("/n/")) return text(res, url.slice(3));
    if (url === "/stream") return stream(res);
    if (url === "/__mem") {
      memory().then((m) => {
        const body = JSON.stringify(m);
        res.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length });
        res.end(body);
      });
      return;
    }
  }
  res.writeHead(404, { "Content-Length": 0 });
  res.end();
}

function exit() {
  if (isDeno) g.Deno.exit(0);
  else g.process.exit(0);
}

/** Call once the server listens: the runner waits for this line. */
export function ready(port, what) {
  console.log(`ABUSE-READY ${port} ${what}`);
}

if (isDeno) {
  g.Deno.addSignalListener("SIGTERM", exit);
  g.Deno.addSignalListener("SIGINT", exit);
} else {
  g.process.on("SIGTERM", exit);
  g.process.on("SIGINT", exit);
}

/** Port to listen on: ABUSE_PORT or 0. */
export const PORT = Number(env("ABUSE_PORT") ?? 0);
