// Memory check for streaming a file: `stream.pipeline(fs.createReadStream(file), res)` on an
// anyhttp server must not buffer the file. Serves a 100 MiB file to a real TCP client in a
// separate process, once reading as fast as it can and once throttled, and reports the server
// process's RSS before and during each transfer (sampled every 20 ms from inside the server).
//
//   node --import tsx bench/pipeline-rss.ts
//   npx deno run -A --v8-flags=--expose-gc bench/pipeline-rss.ts
//   npx bun bench/pipeline-rss.ts
//   ... --mib 400 --slow-mib-per-s 20      file size, throttled client's rate
//   ... --node-http                        the same with the runtime's own node:http, for reference
//
// The server runs under the runtime that runs this file; the client is always the system node
// (so the client's own buffering is not in the numbers). Not a test: it prints one line per
// transfer and a JSON summary. RSS moves with the runtime's heap sizing by a few tens of MiB
// either way; what matters is that it does not follow the file size (compare --mib 100 and
// --mib 400) and stays close to node:http's on the same runtime.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { pipeline } from "node:stream";
import { createServer } from "../adapters/mod.ts";

const g = globalThis as { Deno?: { args: string[] }; Bun?: { gc(full: boolean): void }; gc?: () => void };
const runtime = g.Deno ? "deno" : g.Bun ? "bun" : "node";
const argv = g.Deno ? g.Deno.args : process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(argv[i + 1]);
};
const MIB = arg("mib", 100);
const SLOW = arg("slow-mib-per-s", 20);
const useNodeHttp = argv.includes("--node-http");
// Off by default: a full GC before the baseline lets the heap shrink, and the transfer then
// regrows it by the runtime's young-generation size, which hides what the server holds.
const forceGc = argv.includes("--gc");

const CLIENT = `
const net = require("node:net");
const [port, rate] = process.argv.slice(1).map(Number);
const s = net.connect(port, "127.0.0.1", () => s.write("GET / HTTP/1.1\\r\\nHost: a\\r\\nConnection: close\\r\\n\\r\\n"));
let bytes = 0, windowBytes = 0, windowStart = Date.now();
const t0 = Date.now();
s.on("data", (d) => {
  bytes += d.length;
  if (!rate) return;
  windowBytes += d.length;
  const ahead = windowBytes / rate * 1000 - (Date.now() - windowStart);
  if (ahead > 5) { s.pause(); setTimeout(() => s.resume(), ahead); }
  if (Date.now() - windowStart > 1000) { windowBytes = 0; windowStart = Date.now(); }
});
s.on("close", () => { console.log(JSON.stringify({ bytes, ms: Date.now() - t0 })); });
`;

function gc(): void {
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.();
}

const rssMiB = () => process.memoryUsage().rss / 1024 / 1024;
// Bytes held in ArrayBuffers (Buffers included) where the runtime reports it: a server that
// buffered the file would show it here first.
const buffersMiB = () => {
  const m = process.memoryUsage() as { arrayBuffers?: number; external?: number };
  return (m.arrayBuffers || m.external || 0) / 1024 / 1024;
};

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

interface Result {
  server: string;
  client: string;
  bytes: number;
  seconds: number;
  baselineMiB: number;
  peakMiB: number;
  growthMiB: number;
  peakBuffersMiB: number;
}

async function transfer(server: { address(): unknown }, label: string, rate: number, cold = false): Promise<Result> {
  const port = (server.address() as { port: number }).port;
  if (forceGc) gc();
  await sleep(200);
  const baseline = rssMiB();
  let peak = baseline;
  let peakBuffers = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB());
    peakBuffers = Math.max(peakBuffers, buffersMiB());
  }, 20);
  const child = spawn("node", ["-e", CLIENT, String(port), String(rate)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  await new Promise((r) => child.once("exit", r));
  clearInterval(sampler);
  peak = Math.max(peak, rssMiB());
  const { bytes, ms } = JSON.parse(out) as { bytes: number; ms: number };
  const r: Result = {
    server: label,
    client: (rate ? `slow ${rate / 1024 / 1024} MiB/s` : "fast") + (cold ? " (warm-up)" : ""),
    bytes,
    seconds: ms / 1000,
    baselineMiB: +baseline.toFixed(1),
    peakMiB: +peak.toFixed(1),
    growthMiB: +(peak - baseline).toFixed(1),
    peakBuffersMiB: +peakBuffers.toFixed(1),
  };
  console.log(
    `${runtime} ${label.padEnd(9)} ${r.client.padEnd(17)} ${(bytes / 1024 / 1024).toFixed(0)} MiB in ${r.seconds.toFixed(1)} s: ` +
      `RSS ${r.baselineMiB} MiB before, ${r.peakMiB} MiB peak, +${r.growthMiB} MiB; ArrayBuffers peak ${r.peakBuffersMiB} MiB`,
  );
  return r;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "anyhttp-rss-"));
const file = path.join(dir, "big.bin");
{
  const block = Buffer.alloc(1024 * 1024, 120);
  const fd = fs.openSync(file, "w");
  for (let i = 0; i < MIB; i++) fs.writeSync(fd, block);
  fs.closeSync(fd);
}
const size = fs.statSync(file).size;

// deno-lint-ignore no-explicit-any
const handler = (req: any, res: any) => {
  if (req.url === "/warm") return void res.end("ok");
  res.setHeader("Content-Type", "application/octet-stream");
  res.setHeader("Content-Length", size);
  pipeline(fs.createReadStream(file), res, (err: NodeJS.ErrnoException | null) => {
    if (err && err.code !== "ERR_STREAM_PREMATURE_CLOSE") console.error("pipeline failed:", err);
  });
};

const results: Result[] = [];
try {
  const label = useNodeHttp ? "node:http" : "anyhttp";
  const server = (useNodeHttp ? http.createServer(handler) : createServer(handler)) as unknown as {
    listen(port: number, host: string, cb: () => void): unknown;
    address(): unknown;
    close(cb?: () => void): unknown;
  };
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  // Warm-up, not measured: small exchanges (parser instantiation, first-request code paths),
  // then one whole transfer, during which the runtime sizes its heap for a stream of
  // short-lived 64 KiB buffers (node:http's first transfer shows the same).
  for (let i = 0; i < 20; i++) await (await fetch(`http://127.0.0.1:${port}/warm`)).text();
  await transfer(server, label, 0, true);
  results.push(await transfer(server, label, 0));
  results.push(await transfer(server, label, SLOW * 1024 * 1024));
  await new Promise<void>((r) => server.close(() => r()));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify({ runtime, fileMiB: MIB, results }));
process.exit(0);
