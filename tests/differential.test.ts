// Differential test: the same app (tests/fixtures/differential-app.mjs) runs under the real
// node:http (tests/fixtures/reference.mjs, always the system `node`, whichever runner runs
// this file: node:http inside Deno or Bun is not Node's) and under anyhttp on the runtime
// running this file (tests/fixtures/differential.ts). Every request of the corpus
// (tests/fixtures/differential-cases.ts) goes to both over raw TCP; the responses must be the
// same bytes (Date value masked) and both servers must close, or keep, the connection alike.
// Cases marked `differs` are anyhttp's deliberate departures (README): there anyhttp must send
// the case's `expect`, and node:http must still send something else.
import * as net from "node:net";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { type Running, runtime, start, undate } from "./_support/runtime.ts";
import { type Case, cases } from "./fixtures/differential-cases.ts";

const here = (p: string) => new URL(p, import.meta.url).pathname;
let reference: Running;
let anyhttp: Running;

/** Start tests/fixtures/reference.mjs with the system `node` (found on PATH). */
function startReference(): Promise<Running> {
  const file = here("./fixtures/reference.mjs");
  return start(file, {}, ["node", [file]]);
}

/**
 * Whether `text` holds the case's final responses completely (1xx skipped; no body for HEAD,
 * 204 and 304; chunked or Content-Length framing). A close-delimited body is never complete:
 * the exchange then ends when the server closes.
 */
function complete(text: string, c: Case): boolean {
  let at = 0;
  let finals = 0;
  const want = c.responses ?? 1;
  while (finals < want) {
    const end = text.indexOf("\r\n\r\n", at);
    if (end < 0) return false;
    const head = text.slice(at, end + 2);
    at = end + 4;
    const status = Number(/^HTTP\/1\.[01] (\d{3}) /.exec(head)?.[1]);
    if (!status) return false;
    if (status < 200) continue;
    const isHead = c.head === true || (Array.isArray(c.head) && c.head.includes(finals));
    finals++;
    if (isHead || status === 204 || status === 304) continue;
    if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) {
      for (;;) {
        const eol = text.indexOf("\r\n", at);
        if (eol < 0) return false;
        const size = parseInt(text.slice(at, eol), 16);
        at = eol + 2;
        if (Number.isNaN(size)) return false;
        if (size === 0) {
          // Trailer section: lines up to an empty one.
          for (;;) {
            const line = text.indexOf("\r\n", at);
            if (line < 0) return false;
            const empty = line === at;
            at = line + 2;
            if (empty) break;
          }
          break;
        }
        at += size + 2;
        if (at > text.length) return false;
      }
      continue;
    }
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) return false;
    at += Number(length[1]);
    if (at > text.length) return false;
  }
  return true;
}

/** Bytes of a request: each char of the case's strings is one byte. */
function bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * How long a connection may stay silent and open before the exchange counts as hung: generous
 * for loopback (answers come in milliseconds), and under both servers' 5 s keep-alive timeout,
 * so an idle close is never mistaken for closing after the response.
 */
const HUNG_MS = 4_000;

/** A request both servers answer with a complete 404 (the app has no such route). */
const PROBE = "GET /__probe HTTP/1.1\r\nHost: probe\r\n\r\n";
const PROBE_CASE: Case = { name: "probe", request: PROBE };

/**
 * Send the case's request on a fresh connection and read until the case's responses are
 * complete. Whether the server keeps the connection is then decided from the socket itself,
 * not from a pause: a probe request follows, and the connection is open if the probe is
 * answered, closed if the server ends or resets it. A close-delimited answer ends with the
 * server's close. `hung` says the HUNG_MS cap was hit: neither answered nor closed, which a case
 * must say it expects.
 */
function exchange(port: number, c: Case): Promise<{ text: string; closed: boolean; hung?: true }> {
  const parts = (Array.isArray(c.request) ? c.request : [c.request]).map(bytes);
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    /** The case's bytes, once its responses were complete and the probe went out. */
    let answered: string | null = null;
    let finished = false;
    const finish = (closed: boolean, hung?: true) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: undate(answered ?? text), closed, ...(hung ? { hung } : {}) });
    };
    const timer = setTimeout(() => finish(false, true), HUNG_MS);
    socket.on("error", () => finish(true));
    socket.on("end", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("data", (d: Uint8Array) => {
      for (const b of d) text += String.fromCharCode(b);
      if (answered === null) {
        if (!complete(text, c)) return;
        answered = text;
        socket.write(bytes(PROBE));
      }
      if (complete(text.slice(answered.length), PROBE_CASE)) finish(false);
    });
    socket.on("connect", async () => {
      for (const p of parts) {
        socket.write(p);
        if (parts.length > 1) await new Promise((r) => setTimeout(r, 5));
      }
    });
  });
}

before(async () => {
  [reference, anyhttp] = await Promise.all([startReference(), start(here("./fixtures/differential.ts"))]);
});
after(async () => {
  await Promise.all([reference?.stop(), anyhttp?.stop()]);
});

test(`[${runtime}] the corpus is well formed`, () => {
  const names = new Set<string>();
  for (const c of cases) {
    assert.ok(!names.has(c.name), `duplicate case name: ${c.name}`);
    names.add(c.name);
    if (c.differs) assert.ok(c.expect !== undefined && c.closed !== undefined, `${c.name}: differs needs expect and closed`);
    else assert.ok(c.expect === undefined && c.closed === undefined, `${c.name}: expect without differs`);
  }
  assert.ok(cases.length >= 40);
});

for (const c of cases) {
  test(`[${runtime}] ${c.differs ? "differs on purpose: " : ""}${c.name}`, async () => {
    const [node, ours] = await Promise.all([exchange(reference.port, c), exchange(anyhttp.port, c)]);
    // node:http leaves a peer hanging in some departures; anyhttp never does.
    assert.equal(ours.hung, undefined, `anyhttp neither answered the probe nor closed within ${HUNG_MS} ms`);
    if (c.differs) {
      assert.deepEqual(ours, { text: c.expect, closed: c.closed }, `anyhttp's deliberate answer (${c.differs})`);
      assert.notDeepEqual(node, ours, "node:http now answers like anyhttp: drop `differs`");
    } else {
      assert.deepEqual(ours, node, "anyhttp's response (actual) vs node:http's (expected)");
    }
  });
}
