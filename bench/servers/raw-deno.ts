// Raw TCP ceiling on Deno.listen: fixed responses, no parsing (see _raw.mjs). One read loop
// per connection; writes loop until every byte is taken.
// @ts-ignore: plain .mjs helpers
import { responses, TerminatorCounter } from "./_raw.mjs";
// @ts-ignore
import { PORT, ready } from "./_ready.mjs";
// @ts-ignore
import { coreShadow } from "./_shadow.mjs";

const shadow = await coreShadow();

declare const Deno: any;

async function serve(conn: any) {
  const counter = new TerminatorCounter();
  const buf = new Uint8Array(64 * 1024);
  const feed = shadow?.();
  try {
    conn.setNoDelay?.(true);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      // The core may keep what it is given: a copy, as the deno adapter makes.
      feed?.(buf.slice(0, n));
      const count = counter.count(buf.subarray(0, n));
      if (count === 0) continue;
      const out = responses(counter.isPost === 1, count);
      let off = 0;
      while (off < out.byteLength) off += await conn.write(out.subarray(off));
    }
  } catch {
    // reset by peer
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

const listener = Deno.listen({ hostname: "127.0.0.1", port: PORT });
ready(listener.addr.port);
for await (const conn of listener) serve(conn);
