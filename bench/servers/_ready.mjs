// Shared by every bench server, on node, deno and bun: announce the port, stop cleanly on
// SIGTERM/SIGINT (so `node --cpu-prof` writes its profile), and, with BENCH_CONTROL=1, answer
// control lines on stdin (used by bench/memory.ts):
//   "mem\n" → one stdout line `MEM {"rss":…,"heapUsed":…,…}` (after a full GC when the runtime
//             lets us: node --expose-gc, deno --v8-flags=--expose-gc, Bun.gc(true))
import { gcNow, youngGeneration } from "./_heap.mjs";
const g = globalThis;
const isDeno = typeof g.Deno !== "undefined";
const isBun = typeof g.Bun !== "undefined";

function env(name) {
  return isDeno ? g.Deno.env.get(name) : g.process.env[name];
}

/** The port to listen on (PORT, default 0 = any free port). */
export const PORT = Number(env("PORT") ?? 0);
/** Set to make servers keep idle connections open for the memory benchmark. */
export const IDLE_MS = Number(env("BENCH_IDLE_MS") ?? 0);

function exit() {
  if (isDeno) g.Deno.exit(0);
  else g.process.exit(0);
}

async function memory() {
  const gc = gcNow();
  const m = isDeno ? g.Deno.memoryUsage() : g.process.memoryUsage();
  const out = { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, youngGen: await youngGeneration(), gc };
  if (isBun) {
    // JSC's own numbers; process.memoryUsage().heapUsed on Bun is a coarser estimate.
    const jsc = await import("bun:jsc");
    const s = jsc.heapStats();
    return { ...out, jscHeapSize: s.heapSize, jscExtraMemory: s.extraMemorySize };
  }
  return out;
}

async function control() {
  let buf = "";
  const onText = async (text) => {
    buf += text;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line === "mem") console.log(`MEM ${JSON.stringify(await memory())}`);
      else if (line === "exit") exit();
    }
  };
  if (isDeno) {
    const dec = new TextDecoder();
    for await (const chunk of g.Deno.stdin.readable) await onText(dec.decode(chunk, { stream: true }));
  } else {
    g.process.stdin.setEncoding("utf8");
    g.process.stdin.on("data", onText);
  }
}

/** Call once the server listens. */
export function ready(port) {
  console.log(`listening on http://127.0.0.1:${port}`);
  if (env("BENCH_CONTROL") === "1") control();
}

if (isDeno) {
  g.Deno.addSignalListener("SIGTERM", exit);
  g.Deno.addSignalListener("SIGINT", exit);
} else {
  g.process.on("SIGTERM", exit);
  g.process.on("SIGINT", exit);
}
