// The raw TCP ceiling's logic, shared by raw-node.mjs (node:net), raw-bun.ts (Bun.listen) and
// raw-deno.ts (Deno.listen). No HTTP parsing: each request is recognised by its head terminator
// "\r\n\r\n" (counted across chunk boundaries) and answered with a precomputed response, so
// pipelined requests get one response each.
//
// A connection's first byte picks its response for its whole life: "P" (POST) gets the 4 KiB
// echo response, anything else the 2-byte "ok" response. For POST this is an upper bound, not
// an echo: the ceiling answers as soon as the head arrives, never looks at Content-Length and
// never copies the body; it only moves ~4.2 KB in and ~4.2 KB out per request. It is correct
// only because wrk's POST body (POST_BODY) contains no "\r\n\r\n" and requests on a
// connection are all alike.
import { POST_BODY } from "./app.mjs";

const enc = new TextEncoder();
// The same header set node:http and anyhttp send (Date fixed at start-up, never refreshed).
const date = new Date().toUTCString();
const GET_RESPONSE = enc.encode(
  `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nDate: ${date}\r\n` +
    "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nok",
);
const POST_RESPONSE = enc.encode(
  `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${POST_BODY.length}\r\n` +
    `Date: ${date}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n${POST_BODY}`,
);

const caches = [new Map(), new Map()];

/** `n` copies of the connection's response, back to back (cached per n). */
export function responses(isPost, n) {
  const one = isPost ? POST_RESPONSE : GET_RESPONSE;
  if (n === 1) return one;
  const cache = caches[isPost ? 1 : 0];
  let buf = cache.get(n);
  if (!buf) {
    buf = new Uint8Array(one.byteLength * n);
    for (let i = 0; i < n; i++) buf.set(one, i * one.byteLength);
    if (cache.size < 1024) cache.set(n, buf);
  }
  return buf;
}

/** Per connection: counts "\r\n\r\n" in each chunk, including ones split across chunks. */
export class TerminatorCounter {
  /** -1 until the first byte: then whether this connection sends POSTs. */
  isPost = -1;
  // The last three bytes of the previous chunk (older first).
  #a = 0;
  #b = 0;
  #c = 0;

  /** Requests whose head ended in `chunk`. */
  count(chunk) {
    const len = chunk.length;
    if (len === 0) return 0;
    if (this.isPost === -1) this.isPost = chunk[0] === 0x50 ? 1 : 0;
    let n = 0;
    let j = chunk.indexOf(10);
    while (j !== -1) {
      // bytes j-3, j-2, j-1 must be \r \n \r
      const b1 = j >= 1 ? chunk[j - 1] : this.#c;
      const b2 = j >= 2 ? chunk[j - 2] : j === 1 ? this.#c : this.#b;
      const b3 = j >= 3 ? chunk[j - 3] : j === 2 ? this.#c : j === 1 ? this.#b : this.#a;
      if (b1 === 13 && b2 === 10 && b3 === 13) n++;
      j = chunk.indexOf(10, j + 1);
    }
    if (len >= 3) {
      this.#a = chunk[len - 3];
      this.#b = chunk[len - 2];
      this.#c = chunk[len - 1];
    } else if (len === 2) {
      this.#a = this.#c;
      this.#b = chunk[0];
      this.#c = chunk[1];
    } else {
      this.#a = this.#b;
      this.#b = this.#c;
      this.#c = chunk[0];
    }
    return n;
  }
}
