// `npm run bench:core`: the whole core on one request, with no socket: parse, IncomingMessage,
// ServerResponse, the bench app's handler (bench/servers/app.mjs), serialize, write. A fake
// transport counts the bytes written, so the number is anyhttp's own CPU cost per request,
// free of the kernel and of wrk, and stable enough to compare one change with the next (wrk
// results on these shared 2-core machines swing by ±50 % between runs).
//
//   npm run bench:core                         node (on dist/), 5 rounds × 1 s per workload
//   deno run -A bench/core.ts · bun bench/core.ts
//   ... -- --rounds 9 --seconds 2 --workloads get,pipelined,post --connections 50 --fresh
//   ... -- --pollute 1024     after each read, evict caches by writing 1 MiB (a real server's
//                             trip through the kernel); the eviction loop's own cost subtracted
//   ... -- --alloc            (node) heap bytes allocated per request, by function
//   ... -- --timeouts         the server's default timeouts instead of none (they cost a clock
//                             read or two per request: the sweep is per server, not per request)
//   ... -- --floor            the floor (bench/servers/_floor.mjs: the same parser binding, no
//                             request/response objects, answers built ahead) instead of the
//                             server, on the same fake transport; run both to read anyhttp/floor
//
// Workloads: `get` — wrk's GET (one request per read, the response awaited before the next
// read, as a keep-alive client does); `pipelined` — 100 GETs in one read; `post` — the 4 KiB
// echo. Every response is checked before timing starts.

import process from "node:process";
import type { ConnectionSink, TcpHandle, Transport } from "../core/mod.ts";
// @ts-ignore: plain .mjs shared with the other bench servers
import { handler, POST_BODY } from "./servers/app.mjs";

const g = globalThis as any;
const isDeno = typeof g.Deno !== "undefined";
const isBun = typeof g.Bun !== "undefined";
const argv: string[] = isDeno ? g.Deno.args : g.process.argv.slice(2);
const runtime = isDeno ? `deno ${g.Deno.version.deno}` : isBun ? `bun ${g.Bun.version}` : `node ${g.process.version}`;

function arg(name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
}
// Node runs the npm build (`--dist`, as `npm run bench:core` does): tsx's transform wraps every
// closure in a `__name()` call that costs more than some of the code measured.
const { createServer, RequestParser } = (argv.includes("--dist")
  ? await import("../dist/core.js" as string)
  : await import("../core/mod.ts")) as typeof import("../core/mod.ts");
const FLOOR = argv.includes("--floor");
const ROUNDS = Number(arg("rounds", "5"));
const SECONDS = Number(arg("seconds", "1"));
const WORKLOADS = arg("workloads", "get,pipelined,post").split(",");
// --connections N: reads go round-robin over N connections (cold caches, as a real server's);
// --fresh: every read is a new copy of the bytes (as from a socket), not the same array.
const CONNECTIONS = Number(arg("connections", "1"));
const FRESH = argv.includes("--fresh");
// --pollute KiB: after every read, write one byte per 64-byte cache line of a KiB-sized buffer,
// evicting the core's code and data from the CPU caches roughly as a real server's trip through
// the kernel does between two requests. The loop's own cost, timed alone, is subtracted.
const POLLUTE = new Uint8Array(Number(arg("pollute", "0")) * 1024);
function pollute(round: number): void {
  const p = POLLUTE;
  for (let j = 0; j < p.length; j += 64) p[j] = round;
}

const enc = new TextEncoder();
const GET = enc.encode("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
const PIPE = 100;
const PIPELINED = enc.encode("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n".repeat(PIPE));
const POST = enc.encode(
  `POST / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Length: ${POST_BODY.length}\r\n\r\n${POST_BODY}`,
);

let written = 0;
let lastChunk: Uint8Array | null = null;
const sinks: ConnectionSink[] = [];
let sink!: ConnectionSink;

const makeHandle = (): TcpHandle => ({
  remoteAddress: "127.0.0.1",
  remotePort: 40000,
  remoteFamily: "IPv4",
  localAddress: "127.0.0.1",
  localPort: 8080,
  write(chunk) {
    written += chunk.byteLength;
    lastChunk = chunk;
    return true;
  },
  writev(chunks) {
    for (const c of chunks) written += c.byteLength;
    lastChunk = chunks[chunks.length - 1];
    return true;
  },
  end() {},
  destroy() {},
  pause() {},
  resume() {},
});
const handle = makeHandle();

const transport: Transport = {
  listen(_options, onConnection) {
    sink = onConnection(handle);
    for (let i = 1; i < CONNECTIONS; i++) sinks.push(onConnection(makeHandle()));
    sinks.unshift(sink);
    return { address: { address: "127.0.0.1", family: "IPv4", port: 8080 }, close: async () => {} };
  },
};

const server = FLOOR ? null : createServer(argv.includes("--timeouts") ? { transport } : { transport, keepAliveTimeout: 0, headersTimeout: 0, requestTimeout: 0 }, handler);
if (server) server.listen(8080);
// @ts-ignore: plain .mjs shared with the floor servers
else transport.listen({ port: 8080 }, (await import("./servers/_floor.mjs")).floorServer(RequestParser));

const dec = new TextDecoder();
/** Feed `bytes`, let microtasks run, return what was written. */
async function exchange(bytes: Uint8Array): Promise<string> {
  written = 0;
  const before: Uint8Array[] = [];
  const w = handle.write;
  handle.write = (c) => (before.push(c.slice()), w(c));
  sink.onData(bytes);
  await null;
  await null;
  handle.write = w;
  return before.map((c) => dec.decode(c)).join("");
}

async function check(): Promise<void> {
  const ok = /^HTTP\/1\.1 200 OK\r\nContent-Type: text\/plain\r\nContent-Length: 2\r\nDate: [^\r]+\r\nConnection: keep-alive\r\nKeep-Alive: timeout=\d+\r\n\r\nok$|^HTTP\/1\.1 200 OK\r\nContent-Type: text\/plain\r\nContent-Length: 2\r\nDate: [^\r]+\r\nConnection: keep-alive\r\n\r\nok$/;
  const one = await exchange(GET);
  if (!ok.test(one)) throw new Error(`unexpected GET response: ${JSON.stringify(one)}`);
  const many = await exchange(PIPELINED);
  const n = many.split("HTTP/1.1 200 OK").length - 1;
  if (n !== PIPE) throw new Error(`pipelined: ${n} responses, want ${PIPE}`);
  const post = await exchange(POST);
  if (!post.endsWith(`\r\n\r\n${POST_BODY}`)) throw new Error(`unexpected POST response: ${JSON.stringify(post.slice(0, 200))}`);
}

/**
 * Requests per second for `seconds` of `bytes` (`per` requests each), microtasks run each time,
 * and the process's CPU time per request in µs (steadier than the rate when the machine is
 * shared: it does not count time this process waited for a core; it does count GC threads).
 */
async function time(bytes: Uint8Array, per: number, seconds: number): Promise<[number, number]> {
  let n = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  let t = start;
  while (t < end) {
    for (let i = 0; i < 64; i++) {
      sinks[(n + i) % sinks.length].onData(FRESH ? bytes.slice() : bytes);
      if (POLLUTE.length) pollute(n + i);
      // The response's 'finish'/'close' and the next request's scheduling run as microtasks,
      // as they would between two reads.
      await null;
    }
    n += 64 * per;
    t = performance.now();
  }
  const cpu = process.cpuUsage(cpu0);
  return [n / ((t - start) / 1000), (cpu.user + cpu.system) / n];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** CPU µs of one pollute() call alone (with the same await per call as in time()). */
async function pollutionAlone(): Promise<number> {
  let n = 0;
  const cpu0 = process.cpuUsage();
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 64; i++) {
      pollute(n + i);
      await null;
    }
    n += 64;
  }
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / n;
}

await check();
const inputs: Record<string, [Uint8Array, number]> = { get: [GET, 1], pipelined: [PIPELINED, PIPE], post: [POST, 1] };
console.log(`${FLOOR ? "the floor (no request/response objects)" : "anyhttp core"}, in process, ${runtime}: ${ROUNDS} rounds × ${SECONDS} s, ${CONNECTIONS} connection(s)${FRESH ? ", fresh bytes per read" : ""}${POLLUTE.length ? `, ${POLLUTE.length >> 10} KiB of cache lines written after each read` : ""}`);
let alone = 0;
if (POLLUTE.length) {
  const xs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) xs.push(await pollutionAlone());
  alone = median(xs);
  console.log(`pollution alone: CPU ${alone.toFixed(2)} µs per read (subtracted below)`);
}
/**
 * --alloc (node only): heap bytes allocated per request, by allocating function, from V8's
 * sampling heap profiler with collected objects included. A count, not a time: it does not
 * move with the machine's load, so it can be compared across runs and commits.
 */
async function allocation(w: string, bytes: Uint8Array, per: number): Promise<void> {
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.enable");
  const reads = Math.ceil(20_000 / per);
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 64,
    includeObjectsCollectedByMinorGC: true,
    includeObjectsCollectedByMajorGC: true,
  });
  for (let i = 0; i < reads; i++) {
    sinks[i % sinks.length].onData(FRESH ? bytes.slice() : bytes);
    await null;
  }
  const { profile } = await session.post("HeapProfiler.stopSampling");
  session.disconnect();
  type Node = { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: Node[] };
  const by = new Map<string, number>();
  let total = 0;
  const walk = (n: Node) => {
    total += n.selfSize;
    const f = n.callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`;
    if (n.selfSize) by.set(key, (by.get(key) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c);
  };
  walk(profile.head as Node);
  const n = reads * per;
  console.log(`${w.padEnd(10)} ${(total / n).toFixed(0).padStart(6)} bytes allocated per request; by function:`);
  for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    console.log(`  ${(v / n).toFixed(0).padStart(6)}  ${k}`);
  }
}

for (const w of WORKLOADS) {
  const [bytes, per] = inputs[w];
  await time(bytes, per, 0.3); // warm-up
  if (argv.includes("--alloc")) {
    await allocation(w, bytes, per);
    continue;
  }
  const rates: number[] = [];
  const cpus: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const [rate, cpu] = await time(bytes, per, SECONDS);
    rates.push(rate);
    cpus.push(cpu);
  }
  const m = median(rates);
  console.log(
    `${w.padEnd(10)} ${(m / 1000).toFixed(1).padStart(7)} k req/s  ${(1e6 / m).toFixed(2).padStart(6)} µs/req  ` +
      `(min ${(Math.min(...rates) / 1000).toFixed(1)}k, max ${(Math.max(...rates) / 1000).toFixed(1)}k)  ` +
      `CPU ${(median(cpus) - alone / per).toFixed(2)} µs/req`,
  );
}
void lastChunk;
await server?.close();
