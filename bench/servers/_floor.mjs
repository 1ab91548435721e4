// The floor of anyhttp's architecture (issue 15, step 1): anyhttp's own transport for the
// runtime (the TcpHandle/Listener the real server gets) and its llhttp binding (RequestParser,
// pooled as core/parser/pool.ts pools it) on every read, answering each complete request with
// bytes built ahead: no IncomingMessage, no ServerResponse, no headers object, no events, no
// microtasks. What is left is what any design on this wasm and these transports must do; anyhttp
// above it is what its request/response objects and wiring cost.
//
// Per read, as the connection does it:
// - a parser is taken from the pool when bytes arrive at a message boundary (setLimits,
//   acceptUpgrade, setLenient, as takeParser), executed on the chunk, resume()d and
//   release()d between pipelined messages, and given back (reset + release) when a message
//   ends with nothing more read, or when the connection closes;
// - the answers of one read leave in one write (the connection batches a read's responses and
//   joins small pieces: #flush / joinWire);
// - the clock is read once per read, and the Date value rebuilt when its second changed
//   (serializer.ts httpDate; the raw ceilings fix Date at start-up instead).
//
// Answers, byte for byte what anyhttp sends for bench/servers/app.mjs (verifyServer checks it):
// POST → 200 with its body echoed, application/octet-stream (the body's views into the read
// chunks are kept until the message ends and joined with the head in the one write); any other
// method → 200 "ok" text/plain. A request llhttp says does not keep the connection alive gets
// `Connection: close` and the connection ends after it. A parse error gets node's canned 400
// and the connection ends.
//
// Not done, because the bench never needs it and a real server would: write backpressure
// (write() returning false does not pause reads), timeouts, limits on bodies, HEAD/1xx/204.
import { concat } from "./app.mjs";

const enc = new TextEncoder();
const ENDED = 1;
const OK = enc.encode("ok");
const BAD_REQUEST = enc.encode("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
// core/server.ts defaults.
const LIMITS = { maxHeaderSize: 16 * 1024, maxHeadersCount: 2000 };
const POOL_MAX = 256;
const noUpgrade = () => false;

// ---- the precomputed answers, rebuilt when the Date second changes ----

let second = -1;
let date = "";
// GET answers, keep-alive: n copies back to back (a pipelined read answers n at once).
let getN = new Map();
// Heads by `${type}/${length}/${keepAlive}`.
let heads = new Map();

function tick(now) {
  const s = Math.floor(now / 1000);
  if (s === second) return;
  second = s;
  date = new Date(s * 1000).toUTCString();
  getN = new Map();
  heads = new Map();
}

function head(type, length, keepAlive) {
  const key = `${type}/${length}/${keepAlive ? 1 : 0}`;
  let h = heads.get(key);
  if (!h) {
    h = enc.encode(
      `HTTP/1.1 200 OK\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\nDate: ${date}\r\n` +
        (keepAlive ? "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n" : "Connection: close\r\n\r\n"),
    );
    if (heads.size < 1024) heads.set(key, h);
  }
  return h;
}

function gets(n) {
  let buf = getN.get(n);
  if (!buf) {
    const h = head("text/plain", 2, true);
    const one = new Uint8Array(h.byteLength + 2);
    one.set(h);
    one.set(OK, h.byteLength);
    buf = new Uint8Array(one.byteLength * n);
    for (let i = 0; i < n; i++) buf.set(one, i * one.byteLength);
    if (getN.size < 1024) getN.set(n, buf);
  }
  return buf;
}


// ---- the parser pool, as core/connection.ts takeParser / giveParser ----

/** `RequestParser` is the binding's class (source or dist), passed in by the entry file. */
export function floorServer(RequestParser) {
  const pool = [];
  const take = () => {
    const p = pool.pop() ?? new RequestParser(LIMITS);
    p.setLimits(LIMITS);
    p.acceptUpgrade = noUpgrade;
    p.setLenient(false);
    return p;
  };
  const give = (p) => {
    if (pool.length >= POOL_MAX) return p.free();
    p.reset();
    p.release();
    pool.push(p);
  };

  /** The sink for one connection (an OnConnection for `transport.listen`). */
  return (handle) => {
    let parser = null;
    let flags = 0;
    // Body views of the message being read, and their length.
    let body = null;
    let bodyBytes = 0;
    return {
      onData(chunk) {
        if ((flags & ENDED) !== 0) return;
        tick(Date.now());
        let out = null;
        let n = 0;
        let close = false;
        let start = 0;
        while (start < chunk.byteLength) {
          const p = (parser ??= take());
          const result = p.execute(chunk, start);
          if (result === "error") {
            close = true;
            if (n) (out ??= []).push(gets(n));
            (out ??= []).push(BAD_REQUEST);
            n = 0;
            give(p);
            parser = null;
            break;
          }
          for (const b of p.bodyChunks) {
            (body ??= []).push(b);
            bodyBytes += b.byteLength;
          }
          if (result !== "complete") break; // "ok": the whole read is consumed, message goes on
          start += p.consumed;
          const keepAlive = p.shouldKeepAlive;
          const echo = p.method === "POST";
          if (!echo && keepAlive) n++;
          else {
            if (n) (out ??= []).push(gets(n));
            n = 0;
            (out ??= []).push(echo ? head("application/octet-stream", bodyBytes, keepAlive) : head("text/plain", 2, keepAlive));
            if (!echo) out.push(OK);
            else if (body !== null) for (const b of body) out.push(b);
          }
          body = null;
          bodyBytes = 0;
          if (!keepAlive) {
            close = true;
            give(p);
            parser = null;
            break;
          }
          if (start >= chunk.byteLength) {
            // Nothing more read: the connection goes idle without a parser.
            give(p);
            parser = null;
          } else {
            p.resume();
            p.release();
          }
        }
        if (n) (out ??= []).push(gets(n));
        if (out !== null) handle.write(concat(out));
        if (close) {
          flags |= ENDED;
          handle.end();
        }
      },
      onEnd() {
        flags |= ENDED;
        handle.end();
      },
      onDrain() {},
      onClose() {
        if (parser !== null) give(parser);
        parser = null;
      },
    };
  };
}
