// The smuggling corpus (tests/fixtures/smuggling.ts) replayed whole, byte by byte and at every
// split point: the same verdict every time, never two requests where there was one.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "../core/mod.ts";
import { STATUS_CODES } from "../core/mod.ts";
import { SMUGGLING } from "./fixtures/smuggling.ts";
import { exchange, splits } from "./_support/memory.ts";

function app(req: IncomingMessage, res: ServerResponse): void {
  let body = "";
  req.setEncoding("latin1");
  req.on("data", (s: string) => (body += s));
  req.on("end", () => {
    res.sendDate = false;
    res.end(`${req.method} ${req.url} [${body}]`);
  });
}

/** The response bodies in `text`, in order (each response here has a Content-Length or closes). */
function bodies(text: string): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length) {
    const end = rest.indexOf("\r\n\r\n");
    assert.ok(end > 0, `a response head in ${JSON.stringify(rest)}`);
    const head = rest.slice(0, end);
    const len = /Content-Length: (\d+)/.exec(head);
    const n = len ? Number(len[1]) : rest.length - end - 4;
    out.push(rest.slice(end + 4, end + 4 + n));
    rest = rest.slice(end + 4 + n);
  }
  return out;
}

for (const c of SMUGGLING) {
  test(`${c.reject ? `rejects (${c.reject})` : "accepts"}: ${c.name} — ${c.rfc}`, async () => {
    for (const pieces of splits(c.request)) {
      const at = `split ${pieces.map((p) => p.length).join("+")}`;
      const out = await exchange(app, pieces);
      if (c.reject) {
        assert.equal(out.text, `HTTP/1.1 ${c.reject} ${STATUS_CODES[c.reject]}\r\nConnection: close\r\n\r\n`, at);
        assert.ok(out.ended, `closed after the error, ${at}`);
      } else {
        assert.deepEqual(bodies(out.text), c.accept, at);
      }
    }
  });
}
