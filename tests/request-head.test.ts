// The request-head rules (core/request-head.ts) as a table: each head and the record the rules
// give it, in the style of hyper's role.rs parse tests. The wire behaviour of the same rules is
// in exchange.test.ts, smuggling.test.ts and the differential corpus.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readRequestHead } from "../core/mod.ts";

const RULES = { requireHostHeader: true, maxRequestBodySize: 1000 };

type Row = {
  name: string;
  raw: string[];
  version?: [number, number];
  parserKeepAlive?: boolean;
  rules?: Partial<typeof RULES>;
  /** The refusal (status and code), or what an accepted head gives. */
  want:
    | { status: number; code: string }
    | { keepAlive: boolean; declaredLength: number; expectation: "continue" | "other" | null };
};

const ok = (keepAlive = true, declaredLength = -1, expectation: "continue" | "other" | null = null) => ({ keepAlive, declaredLength, expectation });

const ROWS: Row[] = [
  { name: "a plain GET", raw: ["Host", "a"], want: ok() },
  { name: "the parser's close verdict is kept", raw: ["Host", "a"], parserKeepAlive: false, want: ok(false) },
  { name: "Host missing on 1.1", raw: [], want: { status: 400, code: "HPE_INVALID_HOST" } },
  { name: "Host missing on 1.1, not required", raw: [], rules: { requireHostHeader: false }, want: ok() },
  { name: "Host missing on 1.0 is fine", raw: [], version: [1, 0], want: ok() },
  { name: "two Host fields", raw: ["Host", "a", "host", "a"], want: { status: 400, code: "HPE_INVALID_HOST" } },
  { name: "an invalid Host", raw: ["Host", "a b"], want: { status: 400, code: "HPE_INVALID_HOST" } },
  { name: "an IPv6 literal Host with a port", raw: ["Host", "[::1]:8080"], want: ok() },
  { name: "HTTP/0.9", raw: [], version: [0, 9], want: { status: 400, code: "HPE_INVALID_VERSION" } },
  { name: "HTTP/2.0 on this parser", raw: ["Host", "a"], version: [2, 0], want: { status: 505, code: "HPE_INVALID_VERSION" } },
  { name: "Content-Length", raw: ["Host", "a", "content-length", "12"], want: ok(true, 12) },
  { name: "Content-Length over maxRequestBodySize", raw: ["Host", "a", "Content-Length", "1001"], want: { status: 413, code: "ERR_HTTP_BODY_TOO_LARGE" } },
  { name: "chunked", raw: ["Host", "a", "Transfer-Encoding", "chunked"], want: ok() },
  { name: "an empty list element before chunked", raw: ["Host", "a", "Transfer-Encoding", ", chunked"], want: ok() },
  { name: "gzip, chunked: not implemented", raw: ["Host", "a", "Transfer-Encoding", "gzip, chunked"], want: { status: 501, code: "HPE_INVALID_TRANSFER_ENCODING" } },
  { name: "Transfer-Encoding on 1.0", raw: ["Transfer-Encoding", "chunked"], version: [1, 0], want: { status: 400, code: "HPE_INVALID_TRANSFER_ENCODING" } },
  { name: "Transfer-Encoding with Content-Length: read as chunked, then close", raw: ["Host", "a", "Transfer-Encoding", "chunked", "Content-Length", "3"], want: ok(false, 3) },
  { name: "Expect: 100-continue", raw: ["Host", "a", "Expect", "100-Continue"], want: ok(true, -1, "continue") },
  { name: "another expectation", raw: ["Host", "a", "Expect", "teapot"], want: ok(true, -1, "other") },
  { name: "Expect on 1.0 is ignored", raw: ["Expect", "100-continue"], version: [1, 0], want: ok() },
  { name: "a refused head never keeps the connection", raw: ["Host", "a", "Host", "b"], want: { status: 400, code: "HPE_INVALID_HOST" } },
];

for (const row of ROWS) {
  test(`request head: ${row.name}`, () => {
    const [major, minor] = row.version ?? [1, 1];
    const h = readRequestHead(row.raw, major, minor, row.parserKeepAlive ?? true, { ...RULES, ...row.rules });
    if ("status" in row.want) {
      assert.equal(h.error?.status, row.want.status);
      assert.equal((h.error as { code?: string } | null)?.code, row.want.code);
      assert.equal(h.keepAlive, false);
    } else {
      assert.equal(h.error, null);
      assert.deepEqual({ keepAlive: h.keepAlive, declaredLength: h.declaredLength, expectation: h.expectation }, row.want);
    }
  });
}
