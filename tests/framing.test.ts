// Request framing the parser binding checks beyond llhttp. Chunk extensions and chunk-size lines are bounded (core/parser/llhttp.ts MAX_CHUNK_FRAMING):
// what a client sends between two pieces of body data is at most 16 KiB, past it 413 and a
// closed connection, as Node answers past 16 KiB of extensions (CVE-2024-22019). Memory
// transport, clock pinned, exact bytes; each message replayed whole, byte by byte, and cut at
// a spread of points around the limit.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "../core/mod.ts";
import { MAX_CHUNK_FRAMING } from "../core/parser/llhttp.ts";
import { DATE, exchange } from "./_support/memory.ts";

/** Answers with the body's length once it has all of it. */
function count(req: IncomingMessage, res: ServerResponse): void {
  let n = 0;
  req.on("data", (d: Uint8Array) => (n += d.byteLength));
  req.on("end", () => res.end(String(n)));
}

const HEAD = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
const TOO_LARGE = "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n";
const ok = (body: string) =>
  `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

/** Whole, byte by byte (for messages up to 40 KB), and two-part cuts every `step` bytes plus around `near`. */
function ways(message: string, near: number[], step = 997): string[][] {
  const out: string[][] = [[message]];
  if (message.length <= 40_000) out.push(message.split(""));
  const cuts = new Set<number>();
  for (let i = 1; i < message.length; i += step) cuts.add(i);
  for (const n of near) for (let d = -3; d <= 3; d++) if (n + d > 0 && n + d < message.length) cuts.add(n + d);
  for (const i of cuts) out.push([message.slice(0, i), message.slice(i)]);
  return out;
}

// The gap before the first data byte: the head's final CRLF CRLF (4), then "5;" + ext + CRLF.
const extFor = (gap: number) => "e".repeat(gap - 4 - 2 - 2);

test("a chunk extension that keeps the gap at the limit is accepted; one byte more gets 413", async () => {
  for (const [gap, expected] of [[MAX_CHUNK_FRAMING, ok("5")], [MAX_CHUNK_FRAMING + 1, TOO_LARGE]] as const) {
    const message = `${HEAD}5;${extFor(gap)}\r\nhello\r\n0\r\n\r\n`;
    for (const pieces of ways(message, [HEAD.length + gap - 4])) {
      const out = await exchange(count, pieces);
      assert.equal(out.text, expected, `gap ${gap}, pieces ${pieces.length}`);
      if (expected === TOO_LARGE) assert.equal(out.ended, true);
    }
  }
});

test("20 KB of extension on one chunk, or 1 MB before any data, gets 413 and a closed connection", async () => {
  for (const message of [
    `${HEAD}5;ext=${"a".repeat(20_000)}\r\nhello\r\n0\r\n\r\n`,
    `${HEAD}1;${"x".repeat(1 << 20)}`,
  ]) {
    const reads: string[] = [];
    for (let i = 0; i < message.length; i += 65536) reads.push(message.slice(i, i + 65536));
    for (const pieces of [[message], reads]) {
      const out = await exchange(count, pieces);
      assert.equal(out.text, TOO_LARGE);
      assert.equal(out.ended, true);
    }
  }
});

test("a long run of extensions between later chunks is caught too, not only before the first", async () => {
  const message = `${HEAD}5\r\nhello\r\n5;${"e".repeat(MAX_CHUNK_FRAMING)}\r\nworld\r\n0\r\n\r\n`;
  for (const pieces of ways(message, [HEAD.length + 10 + MAX_CHUNK_FRAMING], 4999)) {
    const out = await exchange(count, pieces);
    assert.equal(out.text, TOO_LARGE, `pieces ${pieces.length}`);
  }
});

test("ten thousand one-byte chunks with short extensions are fine: the bound is per gap, not per body", async () => {
  const message = `${HEAD}${"1;a=b\r\nx\r\n".repeat(10_000)}0\r\n\r\n`;
  const reads: string[] = [];
  for (let i = 0; i < message.length; i += 4096) reads.push(message.slice(i, i + 4096));
  for (const pieces of [[message], reads]) {
    assert.equal((await exchange(count, pieces)).text, ok("10000"));
  }
});

test("a trailer section is held to maxHeaderSize, not to the chunk framing bound", async () => {
  // 150 lines: 15.9 KB of names and values (under maxHeaderSize), 16.5 KB with their framing.
  const trailers = Array.from({ length: 150 }, (_, i) => `x-t${String(i).padStart(3, "0")}: ${"v".repeat(100)}\r\n`).join("");
  const message = `${HEAD}5\r\nhello\r\n0\r\n${trailers}\r\n`;
  for (const pieces of ways(message, [message.length - 2], 1499)) {
    assert.equal((await exchange(count, pieces)).text, ok("5"), `pieces ${pieces.length}`);
  }
});

test("a Content-Length body of any size is not framing", async () => {
  const body = "b".repeat(3 * MAX_CHUNK_FRAMING);
  const message = `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const reads: string[] = [];
  for (let i = 0; i < message.length; i += 1000) reads.push(message.slice(i, i + 1000));
  for (const pieces of [[message], reads]) {
    assert.equal((await exchange(count, pieces)).text, ok(String(body.length)));
  }
});

test("request lines of other protocols llhttp knows (RTSP, ICE) get 400 and a close, whole or split anywhere", async () => {
  const canned = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
  const hello = (_req: IncomingMessage, res: ServerResponse) => res.end("served");
  for (const line of ["OPTIONS /x RTSP/1.0", "SOURCE /x ICE/1.0", "GET /x RTSP/1.0"]) {
    const message = `${line}\r\nHost: a\r\n\r\n`;
    const all = [[message], message.split("")];
    for (let i = 1; i < message.length; i++) all.push([message.slice(0, i), message.slice(i)]);
    for (const pieces of all) {
      const out = await exchange(hello, pieces);
      assert.equal(out.text, canned, `${line} in ${pieces.length} pieces`);
      assert.equal(out.ended, true);
    }
  }
  // HTTP itself, split in the same places, is still served.
  const message = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
  for (let i = 1; i < message.length; i++) {
    const out = await exchange(hello, [message.slice(0, i), message.slice(i)]);
    assert.ok(out.text.endsWith("\r\n\r\nserved"), `cut at ${i}: ${out.text}`);
  }
});
