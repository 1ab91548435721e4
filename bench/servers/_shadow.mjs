// RAW_WITH_CORE=1: the raw ceilings also run the whole anyhttp core on every chunk they read,
// in memory, and throw its output away (they still answer with their fixed responses). The
// difference between a raw server with and without this is what the core costs inside a real
// server under load, with the kernel's work between two reads; bench:core measures the same
// code with warm caches and no socket. Whatever anyhttp costs above "raw + core" is then the
// adapter and the wiring between the runtime's socket and the core.
//
// On node this loads the npm build (dist/core.js: plain node cannot import .ts), on deno and
// bun the TypeScript source.
import { handler } from "./app.mjs";

const g = globalThis;
const isDeno = typeof g.Deno !== "undefined";
const isBun = typeof g.Bun !== "undefined";
const on = (isDeno ? g.Deno.env.get("RAW_WITH_CORE") : g.process.env.RAW_WITH_CORE) === "1";

/** `null` unless RAW_WITH_CORE=1; else a function giving each new connection its feeder. */
export async function coreShadow() {
  if (!on) return null;
  const { createServer } = isDeno || isBun ? await import("../../core/mod.ts") : await import("../../dist/core.js");
  let accept;
  const transport = {
    listen(_options, onConnection) {
      accept = onConnection;
      return { address: { address: "127.0.0.1", family: "IPv4", port: 1 }, close: async () => {} };
    },
  };
  const handle = () => ({
    remoteAddress: "127.0.0.1", remotePort: 1, remoteFamily: "IPv4", localAddress: "127.0.0.1", localPort: 1,
    write: () => true, writev: () => true, end() {}, destroy() {}, pause() {}, resume() {},
  });
  createServer({ transport }, handler).listen(1);
  return () => {
    const sink = accept(handle());
    return (chunk) => sink.onData(chunk);
  };
}
