// The raw ceiling's logic (_raw.mjs: count request heads, answer each with a fixed response) on
// anyhttp's own transport for the running runtime (adapters/mod.ts picks node:net, Deno.listen
// or Bun.listen), with no HTTP core. Against raw-node.mjs / raw-deno.ts / raw-bun.ts, which do
// the same on the bare runtime API, it measures what the adapter alone costs per request.
//   node --import tsx bench/servers/raw-transport.ts · deno run -A … · bun …
import { runtimeTransport } from "../../adapters/mod.ts";
// @ts-ignore: plain .mjs helpers
import { responses, TerminatorCounter } from "./_raw.mjs";
// @ts-ignore
import { PORT, ready } from "./_ready.mjs";

const listener = await runtimeTransport.listen({ port: PORT, host: "127.0.0.1" }, (handle) => {
  const counter = new TerminatorCounter();
  return {
    onData(chunk: Uint8Array) {
      const n = counter.count(chunk);
      if (n > 0) handle.write(responses(counter.isPost === 1, n));
    },
    onEnd() {
      handle.end();
    },
    onDrain() {},
    onClose() {},
  };
});
ready(listener.address.port);
