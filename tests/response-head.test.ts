// The response-head rules (core/response-head.ts) as a table: the facts of a head and the
// verdict the rules give it (framing, the fields the server adds, whether the connection
// closes), in the style of hyper's role.rs encode tests. The wire bytes of the same rules are
// in server.test.ts, exchange.test.ts and the differential corpus against node:http.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ADVERTISE_TIMEOUT,
  describeResponseHead,
  HAS_CLOSE,
  HAS_CONNECTION,
  HAS_KEEP_ALIVE,
  HAS_LENGTH,
  HAS_TE,
  HAS_TE_CHUNKED,
  HAS_TRAILER,
  LENGTH_KNOWN,
  NO_BODY,
  PEER_CHUNKED,
  REMOVED_CONNECTION,
  REMOVED_LENGTH,
  REMOVED_TE,
  responseHead,
  REUSABLE,
} from "../core/mod.ts";
import type { ResponseHeadVerdict } from "../core/mod.ts";

/** An HTTP/1.1 keep-alive exchange: the usual starting point. */
const H11 = PEER_CHUNKED | REUSABLE;
const KA = "Connection: keep-alive";
const CL = "Connection: close";

const ROWS: [name: string, facts: number, want: ResponseHeadVerdict][] = [
  ["end(data) first: its length", H11 | LENGTH_KNOWN, { framing: "length", adds: [KA, "Content-Length"], closes: false }],
  ["end(data) first, keepAliveTimeout set", H11 | LENGTH_KNOWN | ADVERTISE_TIMEOUT, { framing: "length", adds: [KA, "Keep-Alive", "Content-Length"], closes: false }],
  ["a Keep-Alive field of the handler's is not doubled", H11 | LENGTH_KNOWN | ADVERTISE_TIMEOUT | HAS_KEEP_ALIVE, { framing: "length", adds: [KA, "Content-Length"], closes: false }],
  ["write() first: chunked", H11, { framing: "chunked", adds: [KA, "Transfer-Encoding: chunked"], closes: false }],
  ["the handler's Content-Length", H11 | HAS_LENGTH, { framing: "length", adds: [KA], closes: false }],
  ["the handler's Content-Length wins over a known length", H11 | HAS_LENGTH | LENGTH_KNOWN, { framing: "length", adds: [KA], closes: false }],
  ["the handler's chunked", H11 | HAS_TE | HAS_TE_CHUNKED, { framing: "chunked", adds: [KA], closes: false }],
  ["TE without chunked: close-delimited (RFC 9112 §6.3 item 8)", H11 | HAS_TE, { framing: "close", adds: [CL], closes: true }],
  ["TE wins over Content-Length", H11 | HAS_TE | HAS_TE_CHUNKED | HAS_LENGTH, { framing: "chunked", adds: [KA], closes: false }],
  ["a Trailer field: chunked even with a known length", H11 | HAS_TRAILER | LENGTH_KNOWN, { framing: "chunked", adds: [KA, "Transfer-Encoding: chunked"], closes: false }],
  ["Content-Length removed: chunked", H11 | LENGTH_KNOWN | REMOVED_LENGTH, { framing: "chunked", adds: [KA, "Transfer-Encoding: chunked"], closes: false }],
  ["Content-Length and TE removed: close-delimited", H11 | LENGTH_KNOWN | REMOVED_LENGTH | REMOVED_TE, { framing: "close", adds: [CL], closes: true }],
  ["TE removed, length unknown: close-delimited", H11 | REMOVED_TE, { framing: "close", adds: [CL], closes: true }],
  ["HEAD / 204 / 304 / 1xx: no body, keep-alive", H11 | NO_BODY, { framing: "none", adds: [KA], closes: false }],
  ["no body wins over the handler's TE", H11 | NO_BODY | HAS_TE, { framing: "none", adds: [KA], closes: false }],
  ["HTTP/1.0 peer, length unknown: close-delimited", REUSABLE, { framing: "close", adds: [CL], closes: true }],
  ["HTTP/1.0 peer, length known: still close-delimited (Node)", REUSABLE | LENGTH_KNOWN, { framing: "close", adds: [CL], closes: true }],
  ["HTTP/1.0 keep-alive peer with the handler's length", REUSABLE | HAS_LENGTH, { framing: "length", adds: [KA], closes: false }],
  ["the connection cannot be reused", PEER_CHUNKED | LENGTH_KNOWN, { framing: "length", adds: [CL, "Content-Length"], closes: true }],
  ["the handler's Connection: close", H11 | LENGTH_KNOWN | HAS_CONNECTION | HAS_CLOSE, { framing: "length", adds: ["Content-Length"], closes: true }],
  ["the handler's Connection: keep-alive is kept as written", H11 | LENGTH_KNOWN | HAS_CONNECTION, { framing: "length", adds: ["Content-Length"], closes: false }],
  ["the handler's Connection on a close-delimited body: closes anyway", H11 | HAS_TE | HAS_CONNECTION, { framing: "close", adds: [], closes: true }],
  ["Connection removed: none added, keep-alive", H11 | LENGTH_KNOWN | REMOVED_CONNECTION, { framing: "length", adds: ["Content-Length"], closes: false }],
  ["Connection removed, not reusable: none added, closes", PEER_CHUNKED | LENGTH_KNOWN | REMOVED_CONNECTION, { framing: "length", adds: ["Content-Length"], closes: true }],
];

test("the response-head rules: each row's facts give its verdict", () => {
  for (const [name, facts, want] of ROWS) {
    assert.deepEqual(describeResponseHead(responseHead(facts)), want, name);
  }
});

test("a bit the rules do not know changes nothing (server-response.ts keeps its Date bit there)", () => {
  for (const [name, facts] of ROWS) assert.equal(responseHead(facts | (1 << 20)), responseHead(facts), name);
});
