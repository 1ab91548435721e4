// The llhttp binding: the wasm modules, fragment joining, latin1, pauses, limits.
import { test } from "node:test";
import assert from "node:assert/strict";
import { llhttpBuild, REQUIRED_EXPORTS, RequestParser } from "../core/mod.ts";
import { llhttpSimdWasm, llhttpWasm } from "../core/parser/_wasm.ts";

const enc = (s: string) => {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
};

test("both llhttp builds compile and export every function the binding calls", () => {
  for (const bytes of [llhttpSimdWasm, llhttpWasm]) {
    const mod = new WebAssembly.Module(bytes as BufferSource);
    const names = WebAssembly.Module.exports(mod).map((e) => e.name);
    for (const fn of REQUIRED_EXPORTS) assert.ok(names.includes(fn), fn);
  }
});

interface Parsed {
  method: string;
  url: string;
  raw: string[];
  trailers: string[];
  body: string;
  version: string;
}

/** Feed `pieces` through one parser, collecting every message. */
function parseAll(pieces: Uint8Array[], maxHeaderSize = 16384): Parsed[] | string {
  const p = new RequestParser({ maxHeaderSize, maxHeadersCount: 2000 });
  const out: Parsed[] = [];
  let body = "";
  try {
    for (let chunk of pieces) {
      while (chunk.byteLength > 0) {
        const r = p.execute(chunk);
        if (r === "error") return `${p.error!.code} ${p.error!.status}`;
        for (const b of p.bodyChunks) {
          assert.ok(b.buffer === chunk.buffer, "body is a view into the caller's chunk");
          for (const x of b) body += String.fromCharCode(x);
        }
        if (r === "complete") {
          out.push({ method: p.method, url: p.url, raw: p.rawHeaders, trailers: p.rawTrailers, body, version: `${p.versionMajor}.${p.versionMinor}` });
          body = "";
          p.resume();
        }
        chunk = chunk.subarray(p.consumed);
      }
    }
    return out;
  } finally {
    p.free();
  }
}

const CASES = [
  "GET /hello/world HTTP/1.1\r\nHost: example.com\r\nX-Long-Header-Name-For-Splitting: value one  \r\n\r\n",
  "POST /upload?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /next HTTP/1.1\r\nHost: b\r\n\r\n",
  "PUT /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT1: v1\r\nT2: v2\r\n\r\n",
  "GET / HTTP/1.0\r\nX-Empty:\r\nX-Latin: caf\xe9\x80\r\n\r\n",
];

for (const input of CASES) {
  test(`parsing is the same whole, byte by byte and at every split: ${JSON.stringify(input.slice(0, 30))}`, () => {
    const bytes = enc(input);
    const whole = parseAll([bytes]);
    assert.equal(typeof whole, "object");
    const bytewise = parseAll([...bytes].map((b) => new Uint8Array([b])));
    assert.deepEqual(bytewise, whole);
    for (let i = 1; i < bytes.length; i++) {
      assert.deepEqual(parseAll([bytes.slice(0, i), bytes.slice(i)]), whole, `split at ${i}`);
    }
  });
}

test("URL and header fragments split across chunks are joined (the llhttp-wasm wrapper bug)", () => {
  const input = "GET /hello/world HTTP/1.1\r\nHost: example.com\r\n\r\n";
  const r = parseAll([enc(input.slice(0, 8)), enc(input.slice(8))]) as Parsed[];
  assert.equal(r[0].url, "/hello/world");
  const h = parseAll([enc(input.slice(0, 40)), enc(input.slice(40))]) as Parsed[];
  assert.deepEqual(h[0].raw, ["Host", "example.com"]);
});

test("values are trimmed of trailing whitespace, empty values kept, bytes decoded as latin1", () => {
  const r = parseAll([enc(CASES[3])]) as Parsed[];
  assert.deepEqual(r[0].raw, ["X-Empty", "", "X-Latin", "caf\xe9\x80"]);
  assert.equal(r[0].version, "1.0");
});

test("trailers are separate from headers", () => {
  const r = parseAll([enc(CASES[2])]) as Parsed[];
  assert.deepEqual(r[0].trailers, ["T1", "v1", "T2", "v2"]);
  assert.equal(r[0].body, "abc0123456789abcdef");
});

test("the parser stops after each message and reports how much it consumed", () => {
  const p = new RequestParser({ maxHeaderSize: 16384, maxHeadersCount: 2000 });
  const two = enc("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
  assert.equal(p.execute(two), "complete");
  assert.equal(p.consumed, 28);
  assert.equal(p.url, "/1");
  p.resume();
  assert.equal(p.execute(two.subarray(28)), "complete");
  assert.equal(p.url, "/2");
  p.free();
});

test("parsers taking turns on the shared llhttp instance each parse their own pipelined bytes", () => {
  const a = new RequestParser({ maxHeaderSize: 16384, maxHeadersCount: 2000 });
  const b = new RequestParser({ maxHeaderSize: 16384, maxHeadersCount: 2000 });
  // Same lengths, so a parser reading the other's bytes in the shared input buffer would
  // stop at the same places and only the strings would tell.
  const ca = enc("GET /a1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /a2 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi");
  const cb = enc("GET /b1 HTTP/1.1\r\nHost: b\r\n\r\nPOST /b2 HTTP/1.1\r\nHost: b\r\nContent-Length: 2\r\n\r\nyo");
  assert.equal(a.execute(ca), "complete");
  assert.equal(a.url, "/a1");
  assert.equal(b.execute(cb), "complete");
  assert.equal(b.url, "/b1");
  a.resume();
  b.resume();
  const body = (p: RequestParser) => p.bodyChunks.map((c) => String.fromCharCode(...c)).join("");
  assert.equal(a.execute(ca, a.consumed), "complete");
  assert.deepEqual([a.url, a.rawHeaders, body(a)], ["/a2", ["Host", "a", "Content-Length", "2"], "hi"]);
  assert.equal(b.execute(cb, b.consumed), "complete");
  assert.deepEqual([b.url, b.rawHeaders, body(b)], ["/b2", ["Host", "b", "Content-Length", "2"], "yo"]);
  a.free();
  b.free();
});

test("limits: URL over maxHeaderSize is 414, header section over it is 431, errors carry llhttp codes", () => {
  assert.equal(parseAll([enc(`GET /${"a".repeat(200)} HTTP/1.1\r\n\r\n`)], 100), "HPE_URI_TOO_LONG 414");
  assert.equal(parseAll([enc(`GET / HTTP/1.1\r\nX: ${"a".repeat(200)}\r\n\r\n`)], 100), "HPE_HEADER_OVERFLOW 431");
  assert.equal(parseAll([enc("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n")]), "HPE_INVALID_HEADER_TOKEN 400");
  assert.equal(parseAll([enc("BREW / HTTP/1.1\r\n\r\n")]), "HPE_INVALID_METHOD 400");
});

test("the SIMD build is used where the engine supports it", () => {
  new RequestParser({ maxHeaderSize: 1, maxHeadersCount: 1 }).free();
  assert.equal(llhttpBuild, "simd");
});

test("heads with bytes 0x80–0xFF decode byte for byte as latin1, whatever UTF-8 would make of them", () => {
  // Long enough that the head goes through the fast (ASCII-only) decoder first: valid UTF-8
  // (é, U+FFFD, a BOM), lone continuation bytes and windows-1252's 0x80–0x9F must all come
  // out as one code unit per byte. (llhttp rejects such bytes in the URL and in names.)
  const values = ["caf\xc3\xa9 au lait, s'il vous pla\xc3\xaet", "\xef\xbf\xbd replacement", "\xef\xbb\xbfbom first",
    "lone \x80\x81\x8d\x9f\xa0\xff bytes here", "plain ascii value that is long enough"];
  const head = `GET /a/long/enough/path?q=1 HTTP/1.1\r\nHost: a\r\n${values.map((v, i) => `X-V${i}: ${v}\r\n`).join("")}\r\n`;
  const expectRaw = ["Host", "a", ...values.flatMap((v, i) => [`X-V${i}`, v])];
  const bytes = enc(head);
  const whole = parseAll([bytes]) as Parsed[];
  assert.equal(whole[0].url, "/a/long/enough/path?q=1");
  assert.deepEqual(whole[0].raw, expectRaw);
  for (let i = 1; i < bytes.length; i += 7) {
    assert.deepEqual(parseAll([bytes.slice(0, i), bytes.slice(i)]), whole, `split at ${i}`);
  }
});

test("a body between headers and trailers is not part of any header string", () => {
  const body = "x".repeat(5000);
  const input = `POST /t HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n` +
    "2\r\nyz\r\n0\r\nT-One: 1\r\nT-Two: two  \r\n\r\n";
  const r = parseAll([enc(input)]) as Parsed[];
  assert.deepEqual(r[0].raw, ["Host", "a", "Transfer-Encoding", "chunked"]);
  assert.deepEqual(r[0].trailers, ["T-One", "1", "T-Two", "two"]);
  assert.equal(r[0].body, `${body}yz`);
});

test("headers past maxHeadersCount are parsed and dropped, in heads and across chunks", () => {
  const input = `GET / HTTP/1.1\r\n${Array.from({ length: 6 }, (_, i) => `Name-${i}: value number ${i}\r\n`).join("")}\r\n`;
  const bytes = enc(input);
  for (let i = 0; i < bytes.length; i += 5) {
    const p = new RequestParser({ maxHeaderSize: 16384, maxHeadersCount: 3 });
    const pieces = i === 0 ? [bytes] : [bytes.subarray(0, i), bytes.subarray(i)];
    let result = "";
    for (const piece of pieces) result = p.execute(piece);
    assert.equal(result, "complete");
    assert.deepEqual(p.rawHeaders, ["Name-0", "value number 0", "Name-1", "value number 1", "Name-2", "value number 2"]);
    p.free();
  }
});

test("a chunk big enough to grow wasm memory: heads before and after it decode from the grown memory", () => {
  const p = new RequestParser({ maxHeaderSize: 16384, maxHeadersCount: 2000 });
  const small = enc("GET /before HTTP/1.1\r\nHost: a\r\nX-Long-Enough-Name: some value\r\n\r\n");
  assert.equal(p.execute(small), "complete");
  assert.deepEqual(p.rawHeaders, ["Host", "a", "X-Long-Enough-Name", "some value"]);
  p.resume();
  // 8 MiB in one chunk: the input buffer is reallocated, so wasm memory grows and every
  // earlier view of it is detached.
  const body = 8 * 1024 * 1024;
  const big = new Uint8Array(body + 100);
  const head = enc(`POST /big HTTP/1.1\r\nHost: b\r\nContent-Length: ${body}\r\n\r\n`);
  big.set(head);
  assert.equal(p.execute(big.subarray(0, head.byteLength + body)), "complete");
  assert.equal(p.url, "/big");
  assert.deepEqual(p.rawHeaders, ["Host", "b", "Content-Length", String(body)]);
  p.resume();
  assert.equal(p.execute(enc("GET /after HTTP/1.1\r\nHost: c\r\nX-Another-Long-Name: another value \r\n\r\n")), "complete");
  assert.equal(p.url, "/after");
  assert.deepEqual(p.rawHeaders, ["Host", "c", "X-Another-Long-Name", "another value"]);
  p.free();
});

test("trailers split anywhere are joined and trimmed like headers", () => {
  const input = "POST /t HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT-One: 1 \r\nT-Long-Trailer-Name: two  \t\r\n\r\n";
  const bytes = enc(input);
  const whole = parseAll([bytes]) as Parsed[];
  assert.deepEqual(whole[0].trailers, ["T-One", "1", "T-Long-Trailer-Name", "two"]);
  for (let i = 1; i < bytes.length; i++) {
    assert.deepEqual(parseAll([bytes.slice(0, i), bytes.slice(i)]), whole, `split at ${i}`);
  }
});
