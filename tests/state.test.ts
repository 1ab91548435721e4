// The connection's rules as data (core/state.ts), tested as h11's test_state.py tests its
// tables: every legal move gives its state, every other move throws, and no state or move in a
// table is one the server never makes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CONNECTION, CONNECTION_ON, LocalProtocolError, type Move, next, RECEIVE, RECEIVE_ON, SEND, SEND_ON } from "../core/mod.ts";
import type {
  ConnectionEvent,
  ConnectionState,
  ReceiveEvent,
  ReceiveState,
  SendEvent,
  SendState,
  Transitions,
} from "../core/mod.ts";

const RECEIVE_STATES: ReceiveState[] = ["idle", "head", "body", "discarding", "done", "must-close", "closed", "error"];
const RECEIVE_EVENTS: ReceiveEvent[] = [
  "message-begin",
  "head-complete",
  "message-complete",
  "hand-off",
  "discard",
  "next",
  "last",
  "peer-closed",
  "parse-error",
];
const SEND_STATES: SendState[] = ["waiting", "body", "done"];
const SEND_EVENTS: SendEvent[] = ["write-informational", "write-head", "write-end"];
const CONNECTION_STATES: ConnectionState[] = ["open", "upgraded", "lingering", "ending", "closed"];
const CONNECTION_EVENTS: ConnectionEvent[] = ["hand-off", "linger", "end", "close"];

/** Every legal move, written out: a change to a table has to change this list too. */
const RECEIVE_MOVES: [ReceiveState, ReceiveEvent, ReceiveState][] = [
  ["idle", "message-begin", "head"],
  ["idle", "peer-closed", "closed"],
  ["idle", "parse-error", "error"],
  ["head", "head-complete", "body"],
  ["head", "peer-closed", "closed"],
  ["head", "parse-error", "error"],
  ["body", "message-complete", "done"],
  ["body", "hand-off", "done"],
  ["body", "discard", "discarding"],
  ["body", "peer-closed", "closed"],
  ["body", "parse-error", "error"],
  ["discarding", "message-complete", "done"],
  ["discarding", "peer-closed", "closed"],
  ["discarding", "parse-error", "error"],
  ["done", "next", "idle"],
  ["done", "last", "must-close"],
  ["done", "peer-closed", "done"],
  ["done", "parse-error", "error"],
  ["must-close", "peer-closed", "must-close"],
  ["closed", "peer-closed", "closed"],
  ["closed", "parse-error", "closed"],
  ["error", "peer-closed", "error"],
  ["error", "parse-error", "error"],
];
const SEND_MOVES: [SendState, SendEvent, SendState][] = [
  ["waiting", "write-informational", "waiting"],
  ["waiting", "write-head", "body"],
  ["body", "write-end", "done"],
];
const CONNECTION_MOVES: [ConnectionState, ConnectionEvent, ConnectionState][] = [
  ["open", "hand-off", "upgraded"],
  ["open", "linger", "lingering"],
  ["open", "end", "ending"],
  ["open", "close", "closed"],
  ["upgraded", "end", "ending"],
  ["upgraded", "close", "closed"],
  ["lingering", "end", "ending"],
  ["lingering", "close", "closed"],
  ["ending", "end", "ending"],
  ["ending", "close", "closed"],
];

function check<S extends string, E extends string>(table: Transitions<S, E>, states: S[], events: E[], moves: [S, E, S][]): void {
  assert.deepEqual(Object.keys(table).sort(), [...states].sort(), "the table's states");
  for (const s of states) {
    for (const e of events) {
      const legal = moves.find(([from, ev]) => from === s && ev === e);
      if (legal) {
        assert.equal(next(table, s, e), legal[2], `${s} --${e}-->`);
      } else {
        assert.throws(() => next(table, s, e), (err: unknown) =>
          err instanceof LocalProtocolError && (err as LocalProtocolError & { code: string }).code === "ERR_HTTP_STATE" &&
          err.message === `Cannot apply "${e}": not allowed in state "${s}"`, `${s} --${e}--> must throw`);
      }
    }
  }
}

/** The states reachable from `start` through the table's moves. */
function reachable<S extends string, E extends string>(table: Transitions<S, E>, start: S): Set<S> {
  const seen = new Set<S>([start]);
  for (const s of seen) for (const to of Object.values(table[s]) as S[]) seen.add(to);
  return seen;
}

test("the request side: exactly the listed moves are legal, every other move throws", () => {
  check(RECEIVE, RECEIVE_STATES, RECEIVE_EVENTS, RECEIVE_MOVES);
});

test("the response side: exactly the listed moves are legal, every other move throws", () => {
  check(SEND, SEND_STATES, SEND_EVENTS, SEND_MOVES);
});

test("the connection as a whole: exactly the listed moves are legal, every other move throws", () => {
  check(CONNECTION, CONNECTION_STATES, CONNECTION_EVENTS, CONNECTION_MOVES);
});

test("every state of each table is reachable from where a connection and a response start", () => {
  assert.deepEqual([...reachable(RECEIVE, "idle")].sort(), [...RECEIVE_STATES].sort());
  assert.deepEqual([...reachable(SEND, "waiting")].sort(), [...SEND_STATES].sort());
  assert.deepEqual([...reachable(CONNECTION, "open")].sort(), [...CONNECTION_STATES].sort());
});

test("closed is final, and a closed connection or request side takes no further exchange", () => {
  assert.deepEqual(CONNECTION.closed, {});
  for (const s of ["must-close", "closed", "error"] as ReceiveState[]) {
    assert.throws(() => next(RECEIVE, s, "message-begin"), LocalProtocolError, s);
    assert.throws(() => next(RECEIVE, s, "next"), LocalProtocolError, s);
  }
});

test("a keep-alive exchange walks the request side back to idle; a hand-off ends it in done", () => {
  let r: ReceiveState = "idle";
  for (const e of ["message-begin", "head-complete", "message-complete", "next"] as ReceiveEvent[]) r = next(RECEIVE, r, e);
  assert.equal(r, "idle");
  let u: ReceiveState = "idle";
  for (const e of ["message-begin", "head-complete", "hand-off"] as ReceiveEvent[]) u = next(RECEIVE, u, e);
  assert.equal(u, "done");
  assert.throws(() => next(RECEIVE, "done", "hand-off"), LocalProtocolError);
});

test("the keep-alive latch: a finished exchange goes back to idle or on to must-close, never back", () => {
  let r: ReceiveState = "idle";
  for (const e of ["message-begin", "head-complete", "discard", "message-complete", "last"] as ReceiveEvent[]) {
    r = next(RECEIVE, r, e);
  }
  assert.equal(r, "must-close");
  assert.deepEqual(Object.values(RECEIVE["must-close"]), ["must-close"]);
});

/** The moves resolved ahead (what the server uses) against the table, for every state and event. */
function sameAsTable<S extends string, E extends string>(
  table: Transitions<S, E>,
  on: { readonly [V in E]: Move<S, E> },
  states: S[],
  events: E[],
): void {
  assert.deepEqual(Object.keys(on).sort(), [...events].sort(), "a move for every event");
  for (const s of states) {
    for (const e of events) {
      let want: S | Error;
      try {
        want = next(table, s, e);
      } catch (err) {
        want = err as Error;
      }
      if (want instanceof Error) assert.throws(() => on[e].next(s), { message: want.message, code: "ERR_HTTP_STATE" }, `${s} --${e}-->`);
      else assert.equal(on[e].next(s), want, `${s} --${e}-->`);
    }
  }
}

test("the moves the server makes (RECEIVE_ON, SEND_ON, CONNECTION_ON) give the tables' answer for every state and event", () => {
  sameAsTable(RECEIVE, RECEIVE_ON, RECEIVE_STATES, RECEIVE_EVENTS);
  sameAsTable(SEND, SEND_ON, SEND_STATES, SEND_EVENTS);
  sameAsTable(CONNECTION, CONNECTION_ON, CONNECTION_STATES, CONNECTION_EVENTS);
});
