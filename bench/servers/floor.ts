// The floor (see _floor.mjs) from source: anyhttp's transport for the running runtime
// (adapters/mod.ts picks node:net, Deno.listen or Bun.listen) and core/parser/llhttp.ts.
//   node --import tsx bench/servers/floor.ts · deno run -A … · bun …
import { runtimeTransport } from "../../adapters/mod.ts";
import { RequestParser } from "../../core/parser/llhttp.ts";
// @ts-ignore: plain .mjs helpers shared with the other servers
import { floorServer } from "./_floor.mjs";
// @ts-ignore
import { PORT, ready } from "./_ready.mjs";

const listener = await runtimeTransport.listen({ port: PORT, host: "127.0.0.1" }, floorServer(RequestParser));
ready((listener.address as { port: number }).port);
