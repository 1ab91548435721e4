// anyhttp from source, on whichever runtime runs it (adapters/mod.ts picks node:net,
// Deno.listen or Bun.listen). node --import tsx · deno run -A · bun.
// A relative import: tsx applies tsconfig "paths" only to files tsconfig.json includes.
import type { AddressInfo } from "node:net";
import { createServer } from "../../../adapters/mod.ts";
// @ts-ignore: plain .mjs shared by every fixture
import { attach, handler, OPTIONS, PORT, ready } from "./app.mjs";

const server = createServer(OPTIONS, handler);
attach(server);
server.listen(PORT, "127.0.0.1", () => ready((server.address() as AddressInfo).port, "anyhttp source"));
