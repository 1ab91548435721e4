// Request-stream model for the property-based suite (tests/fuzz.test.ts) and the long fuzz
// run (tests/_support/fuzz-long.ts): generators, a serializer, the echo app, and a checker of
// the invariants every run must keep.
import fc from "fast-check";
import type { IncomingMessage, ServerResponse } from "../../core/mod.ts";
import { serve } from "./memory.ts";

export interface Req {
  method: string;
  path: string;
  version: "1.1" | "1.0";
  headers: [string, string][];
  body: string;
  /**
   * How the body is framed: `both` sends Content-Length and chunked, `dup-length` the same
   * Content-Length twice (RFC 9112 §6.3: both are ambiguous framing a server must reject).
   */
  framing: "none" | "length" | "chunked" | "both" | "dup-length";
  /** Chunk sizes for chunked framing (the body is cut at these sizes, the rest in one chunk). */
  cuts: number[];
  /** `Connection: close` on HTTP/1.1; on HTTP/1.0, no `Connection: keep-alive`. */
  close: boolean;
}

const TCHAR = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const PCHAR = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?";
const VCHAR = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\x80\xe9\xff";
// Names the generator must not produce: they change framing or the exchange.
const RESERVED = new Set(["host", "content-length", "transfer-encoding", "connection", "expect", "upgrade", "te", "keep-alive", "trailer"]);

const chars = (alphabet: string, min: number, max: number) =>
  fc.array(fc.constantFrom(...alphabet.split("")), { minLength: min, maxLength: max }).map((a) => a.join(""));

const headerValue = chars(VCHAR, 0, 20).map((v) => v.trim());

/** Any bytes, short; or up to 64 KiB of a repeated random run (cheap to generate and compare). */
const body = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 80 }).map((b) => String.fromCharCode(...b)) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }), fc.integer({ min: 81, max: 65536 }))
      .map(([run, n]) => String.fromCharCode(...run).repeat(Math.ceil(n / run.length)).slice(0, n)),
  },
);

/** A request: valid, or (framing `both` / `dup-length`, chunked on HTTP/1.0) one a server must refuse. */
export const request: fc.Arbitrary<Req> = fc.record({
  method: fc.constantFrom("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"),
  path: chars(PCHAR, 0, 24).map((p) => "/" + p),
  version: fc.constantFrom<"1.1" | "1.0">("1.1", "1.1", "1.1", "1.0"),
  headers: fc.array(fc.tuple(chars(TCHAR, 1, 12), headerValue), { maxLength: 6 })
    .map((hs) => hs.filter(([n]) => !RESERVED.has(n.toLowerCase()))),
  body,
  framing: fc.constantFrom<Req["framing"]>("none", "length", "length", "chunked", "chunked", "both", "dup-length"),
  cuts: fc.array(fc.integer({ min: 1, max: 4096 }), { maxLength: 4 }),
  close: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
}).map((r) => (r.framing === "none" ? { ...r, body: "" } : r));

/** What the server must answer to one request, and whether the connection goes on after it. */
export interface Answer {
  status: number;
  /** The echo app's body; `null` for an error (the canned response has none) and for HEAD. */
  body: string | null;
  /** The connection closes after this answer. */
  last: boolean;
}

/**
 * The model: the answers a stream of requests gets, in order, up to the one that closes the
 * connection. Ambiguous framing is refused with 400 and a close: Content-Length with chunked
 * and a repeated Content-Length (RFC 9112 §6.3, llhttp's strict mode as Node's), chunked on
 * HTTP/1.0 (RFC 9112 §6.1). An HTTP/1.0 request gets a close-delimited answer and the
 * connection closes, even with `Connection: keep-alive`: node:http answers `end(data)` to a
 * 1.0 peer that way (no chunked by default, so `_last`), and so does anyhttp.
 */
export function model(reqs: Req[]): Answer[] {
  const out: Answer[] = [];
  for (const r of reqs) {
    const refused = r.framing === "both" || r.framing === "dup-length" || (r.framing === "chunked" && r.version === "1.0");
    if (refused) {
      out.push({ status: 400, body: null, last: true });
      break;
    }
    const last = r.close || r.version === "1.0";
    out.push({ status: 200, body: r.method === "HEAD" ? null : expectedBody(r), last });
    if (last) break;
  }
  return out;
}

/** Wire bytes (as a latin1 string) of one request. */
export function serialize(r: Req): string {
  let s = `${r.method} ${r.path} HTTP/${r.version}\r\nHost: fuzz.example\r\n`;
  for (const [n, v] of r.headers) s += `${n}: ${v}\r\n`;
  if (r.version === "1.1" && r.close) s += "Connection: close\r\n";
  if (r.version === "1.0" && !r.close) s += "Connection: keep-alive\r\n";
  if (r.framing === "length") s += `Content-Length: ${r.body.length}\r\n\r\n${r.body}`;
  else if (r.framing === "dup-length") s += `Content-Length: ${r.body.length}\r\nContent-Length: ${r.body.length}\r\n\r\n${r.body}`;
  else if (r.framing === "chunked" || r.framing === "both") {
    if (r.framing === "both") s += `Content-Length: ${r.body.length}\r\n`;
    s += "Transfer-Encoding: chunked\r\n\r\n";
    let rest = r.body;
    for (const c of r.cuts) {
      if (!rest.length) break;
      const part = rest.slice(0, c);
      rest = rest.slice(c);
      s += `${part.length.toString(16)}\r\n${part}\r\n`;
    }
    if (rest.length) s += `${rest.length.toString(16)};ext=1\r\n${rest}\r\n`;
    s += "0\r\n\r\n";
  } else s += "\r\n";
  return s;
}

/** The app every run uses: echoes method, target and body. */
export function echoApp(req: IncomingMessage, res: ServerResponse): void {
  let body = "";
  req.setEncoding("latin1");
  req.on("data", (s: string) => (body += s));
  req.on("end", () => {
    res.sendDate = false;
    res.end(`${req.method} ${req.url} ${body}`, "latin1");
  });
}

/** What the echo app answers to `r`. */
export function expectedBody(r: Req): string {
  return `${r.method} ${r.path} ${r.body}`;
}

export interface Parsed {
  statuses: number[];
  bodies: string[];
  /** Bytes after the last complete response (must be empty). */
  rest: string;
}

/**
 * Split a byte stream of responses (Content-Length framed, or a final canned error). `heads`
 * says which answers are to HEAD requests (their Content-Length announces no body).
 */
export function parseResponses(text: string, heads: boolean[] = []): Parsed {
  const statuses: number[] = [];
  const bodies: string[] = [];
  let rest = text;
  while (rest.length) {
    const end = rest.indexOf("\r\n\r\n");
    if (end < 0) break;
    const head = rest.slice(0, end);
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(head);
    if (!m) break;
    const len = /\r\nContent-Length: (\d+)/.exec(head);
    const status = Number(m[1]);
    // No length on a 2xx that closes: the body runs to the end (a close-delimited answer).
    const closeDelimited = !len && status < 300 && !heads[statuses.length] && /\r\nConnection: close/.test(head);
    const n = closeDelimited ? rest.length - end - 4 : len && !heads[statuses.length] ? Number(len[1]) : 0;
    if (rest.length < end + 4 + n) break;
    statuses.push(status);
    bodies.push(rest.slice(end + 4, end + 4 + n));
    rest = rest.slice(end + 4 + n);
  }
  return { statuses, bodies, rest };
}

/** Feed `pieces` to a fresh server; return what came back and how the connection ended. */
export async function run(pieces: string[]): Promise<{ text: string; ended: boolean; reset: boolean; seen: number }> {
  let seen = 0;
  const s = await serve((req, res) => {
    seen++;
    echoApp(req, res);
  });
  const c = s.connect();
  for (const p of pieces) {
    if (c.isClosed) break;
    c.send(p);
    await c.settle(3);
  }
  await c.settle(20);
  const out = { text: c.text(), ended: c.ended, reset: c.reset, seen };
  c.destroy();
  await s.close();
  return out;
}

/** Cut `s` at the given fractions (0..1), sorted. */
export function cut(s: string, at: number[]): string[] {
  const points = [...new Set(at.map((f) => Math.floor(f * s.length)))].filter((p) => p > 0 && p < s.length).sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(s.slice(prev, p));
    prev = p;
  }
  out.push(s.slice(prev));
  return out;
}

/** Apply byte mutations (position fraction, kind, byte) to a stream. */
export function mutate(s: string, muts: [number, 0 | 1 | 2, number][]): string {
  let out = s;
  for (const [f, kind, byte] of muts) {
    const i = Math.min(out.length, Math.floor(f * out.length));
    const ch = String.fromCharCode(byte);
    if (kind === 0) out = out.slice(0, i) + ch + out.slice(i);
    else if (kind === 1) out = out.slice(0, i) + out.slice(i + 1);
    else out = out.slice(0, i) + ch + out.slice(i + 1);
  }
  return out;
}
