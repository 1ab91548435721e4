// A connection's timers (core/timers.ts) as a table: where the connection is, how long since
// each stamp, and which timer the rules say has run out. The wire behaviour of the same timers
// (408 answers, keep-alive closes, 'timeout' events) is in server.test.ts and options.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type ExpiredTimer, expiredTimer, type TimerPhase } from "../core/mod.ts";

const S = { keepAliveTimeout: 5_000, keepAliveTimeoutBuffer: 1_000, headersTimeout: 60_000, requestTimeout: 300_000 };
const OFF = { keepAliveTimeout: 0, keepAliveTimeoutBuffer: 1_000, headersTimeout: 0, requestTimeout: 0 };

// [name, settings, phase, now, headStart, requestStart, lastActivity, socketTimeout, want]
type Row = [string, typeof S, TimerPhase, number, number, number, number, number, ExpiredTimer];
const ROWS: Row[] = [
  ["keep-alive idle, inside the timeout", S, "keep-alive", 5_999, 0, 0, 0, 0, ""],
  ["keep-alive idle, past timeout + buffer", S, "keep-alive", 6_000, 0, 0, 0, 0, "keep-alive"],
  ["keep-alive idle, keepAliveTimeout 0: kept", OFF, "keep-alive", 1e9, 0, 0, 0, 0, ""],
  ["nothing sent since accept, inside headersTimeout", S, "first", 59_999, 0, 0, 0, 0, ""],
  ["nothing sent since accept, past headersTimeout", S, "first", 60_000, 0, 0, 0, 0, "headers"],
  ["nothing sent since accept: requestTimeout starts with the first byte", { ...S, headersTimeout: 0 }, "first", 1e9, 0, 0, 0, 0, ""],
  ["a head arriving too slowly", S, "head", 70_000, 10_000, 10_000, 69_000, 0, "headers"],
  ["a head in time, the request started long ago", S, "head", 400_000, 350_000, 0, 399_000, 0, "request"],
  ["a body arriving too slowly", S, "body", 300_000, 0, 0, 299_999, 0, "request"],
  ["a body in time", S, "body", 299_999, 0, 0, 0, 0, ""],
  ["headersTimeout does not apply to a body", S, "body", 100_000, 0, 50_000, 99_000, 0, ""],
  ["answering: only the socket's timer", S, "other", 1e9, 0, 0, 0, 0, ""],
  ["the socket's timer", S, "other", 1_000, 0, 0, 0, 1_000, "socket"],
  ["the socket's timer, activity since", S, "other", 1_000, 0, 0, 1, 1_000, ""],
  ["a server timer goes before the socket's", S, "keep-alive", 6_000, 0, 0, 0, 10, "keep-alive"],
  ["the socket's timer while idle between requests", S, "keep-alive", 3_000, 0, 0, 0, 2_000, "socket"],
  ["all off", OFF, "head", 1e9, 0, 0, 0, 0, ""],
];

test("the timers: each row's phase and times give its expired timer", () => {
  for (const [name, s, phase, now, head, request, last, socket, want] of ROWS) {
    assert.equal(expiredTimer(s, phase, now, head, request, last, socket), want, name);
  }
});
