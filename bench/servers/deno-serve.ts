// Deno.serve with the same app (the body is read whole, then sent with Content-Length).
// @ts-ignore: plain .mjs helper
import { PORT, ready } from "./_ready.mjs";

declare const Deno: any;
const OK_HEADERS = { "Content-Type": "text/plain" };
const ECHO_HEADERS = { "Content-Type": "application/octet-stream" };

Deno.serve({
  hostname: "127.0.0.1",
  port: PORT,
  onListen: ({ port }: { port: number }) => ready(port),
}, async (req: Request) => {
  if (req.method === "POST") return new Response(await req.arrayBuffer(), { headers: ECHO_HEADERS });
  return new Response("ok", { headers: OK_HEADERS });
});
