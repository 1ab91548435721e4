// node:http with the same app, on node, deno (its node:http) and bun (its node:http).
import * as http from "node:http";
import { handler } from "./app.mjs";
import { IDLE_MS, PORT, ready } from "./_ready.mjs";

const server = http.createServer(handler);
if (IDLE_MS) {
  server.keepAliveTimeout = IDLE_MS;
  server.headersTimeout = IDLE_MS + 1000;
  server.requestTimeout = 0;
}
server.listen(PORT, "127.0.0.1", () => ready(server.address().port));
