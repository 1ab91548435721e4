// Bun.serve with the same app (the body is read whole, then sent with Content-Length).
// @ts-ignore: plain .mjs helper
import { IDLE_MS, PORT, ready } from "./_ready.mjs";

declare const Bun: any;
const OK_HEADERS = { "Content-Type": "text/plain" };
const ECHO_HEADERS = { "Content-Type": "application/octet-stream" };

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: PORT,
  // Bun closes idle connections after 10 s by default; 255 s is its maximum.
  idleTimeout: IDLE_MS ? 255 : 10,
  async fetch(req: Request) {
    if (req.method === "POST") return new Response(await req.arrayBuffer(), { headers: ECHO_HEADERS });
    return new Response("ok", { headers: OK_HEADERS });
  },
});
ready(server.port);
