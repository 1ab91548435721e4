// anyhttp from source (adapters/mod.ts picks node:net, Deno.listen or Bun.listen).
// node: node --import tsx bench/servers/anyhttp.ts · deno run -A … · bun …
// (A relative import: tsx applies tsconfig "paths" only to files tsconfig.json includes.)
import type { AddressInfo } from "node:net";
import { createServer } from "../../adapters/mod.ts";
// @ts-ignore: plain .mjs helpers shared with the other servers
import { handler } from "./app.mjs";
// @ts-ignore
import { IDLE_MS, PORT, ready } from "./_ready.mjs";

const server = createServer(IDLE_MS ? { keepAliveTimeout: IDLE_MS } : {}, handler);
server.listen(PORT, "127.0.0.1", () => ready((server.address() as AddressInfo).port));
