// What the runtime itself costs per idle connection (bench/memory.ts `--targets bare`): a
// Deno.listen server that answers the one GET each memory-bench client sends, then keeps a
// read pending (a Deno.Conn cannot be watched without one) into a buffer of BARE_READ bytes
// (default 1: the smallest; set BARE_READ=2048 to see what a 2 KiB idle buffer adds).
// @ts-ignore: plain .mjs helpers
import { responses } from "./_raw.mjs";
// @ts-ignore
import { PORT, ready } from "./_ready.mjs";

declare const Deno: any;
const RESPONSE: Uint8Array = responses(false, 1);
const IDLE_READ = Number(Deno.env.get("BARE_READ") ?? 1);

/** One small GET per connection in the memory bench: read it, answer it. */
async function answer(conn: any): Promise<boolean> {
  const n = await conn.read(new Uint8Array(4096));
  if (n === null) return false;
  let off = 0;
  while (off < RESPONSE.byteLength) off += await conn.write(RESPONSE.subarray(off));
  return true;
}

async function serve(conn: any) {
  try {
    // (In its own function so the 4 KiB head buffer is not kept alive by this frame.)
    if (!(await answer(conn))) return;
    const idle = new Uint8Array(IDLE_READ);
    while ((await conn.read(idle)) !== null);
  } catch {
    // reset
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}
const listener = Deno.listen({ hostname: "127.0.0.1", port: PORT });
ready(listener.addr.port);
for await (const conn of listener) serve(conn);
