/**
 * The connection's rules as data: which moves each half of an HTTP/1.1 exchange may make.
 *
 * Rule 1: everything that changes a state goes through a table: {@link next}, or the same
 * table's moves resolved ahead ({@link Move}: {@link RECEIVE_ON}, {@link SEND_ON},
 * {@link CONNECTION_ON}), which the server's hot paths use; `connection.ts`, `wire.ts` and
 * `server-response.ts` apply the result and do the I/O. Rule 2: a move that is missing from a
 * table is illegal and throws. This is h11's `_state.py`, cut to a server's needs (RFC 9112 §9).
 *
 * - receive half (the request): `idle → head → body → done`, back to `idle` once both halves
 *   are done and the connection is kept alive, or on to `must-close` when it is not (h11's
 *   MUST_CLOSE: the keep-alive latch is off); `error` or `closed` from anywhere; `done` at once
 *   when the connection is handed off (an upgrade or CONNECT: HTTP ends there). A body the
 *   handler did not read is `discarding` once the response is done (RFC 9112 §9.3: read it to
 *   keep the connection).
 * - send half (the response, made when the request head is complete): `waiting → body → done`;
 *   `waiting` may send any number of 1xx heads first.
 * - the connection as a whole: `open`, then `upgraded` (bytes belong to the socket's new
 *   owner), `lingering` (closing, but still reading and discarding so the peer sees our
 *   response, RFC 9112 §9.6), `ending` (our FIN or a destroy is on its way) and `closed`.
 *
 * @module
 */

import { LocalProtocolError } from "./errors.ts";

/** Where the request side is. */
export type ReceiveState = "idle" | "head" | "body" | "discarding" | "done" | "must-close" | "closed" | "error";
/** What happens on the request side. */
export type ReceiveEvent =
  | "message-begin"
  | "head-complete"
  | "message-complete"
  | "hand-off"
  | "discard"
  | "next"
  | "last"
  | "peer-closed"
  | "parse-error";

/** Where the response side is. */
export type SendState = "waiting" | "body" | "done";
/** What happens on the response side. */
export type SendEvent = "write-informational" | "write-head" | "write-end";

/** A transition table: for each state, the events allowed in it and where they lead. */
export type Transitions<S extends string, E extends string> = {
  readonly [K in S]: { readonly [V in E]?: S };
};

/** The request side's legal moves. */
export const RECEIVE: Transitions<ReceiveState, ReceiveEvent> = {
  idle: { "message-begin": "head", "peer-closed": "closed", "parse-error": "error" },
  head: { "head-complete": "body", "peer-closed": "closed", "parse-error": "error" },
  // A bodiless request goes head-complete → message-complete in one execute().
  body: {
    "message-complete": "done",
    "hand-off": "done",
    discard: "discarding",
    "peer-closed": "closed",
    "parse-error": "error",
  },
  discarding: { "message-complete": "done", "peer-closed": "closed", "parse-error": "error" },
  // A timeout or a hand-off refusal can also end a finished exchange, or a closed one.
  done: { next: "idle", last: "must-close", "peer-closed": "done", "parse-error": "error" },
  "must-close": { "peer-closed": "must-close" },
  closed: { "peer-closed": "closed", "parse-error": "closed" },
  error: { "peer-closed": "error", "parse-error": "error" },
};

/**
 * The response side's legal moves. A response lives for one exchange: the connection makes a
 * new one for the next request, and a closed connection stops its writes (it is not a state).
 */
export const SEND: Transitions<SendState, SendEvent> = {
  waiting: { "write-informational": "waiting", "write-head": "body" },
  body: { "write-end": "done" },
  done: {},
};

/** Where the connection as a whole is. */
export type ConnectionState = "open" | "upgraded" | "lingering" | "ending" | "closed";
/** What happens to the connection as a whole. */
export type ConnectionEvent = "hand-off" | "linger" | "end" | "close";

/**
 * The connection's legal moves. `end` is our side closing (a FIN after what is queued, or a
 * destroy); `close` is the transport reporting the connection gone, which can come from
 * anywhere (a reset). A destroy may follow an end.
 */
export const CONNECTION: Transitions<ConnectionState, ConnectionEvent> = {
  open: { "hand-off": "upgraded", linger: "lingering", end: "ending", close: "closed" },
  upgraded: { end: "ending", close: "closed" },
  lingering: { end: "ending", close: "closed" },
  ending: { end: "ending", close: "closed" },
  closed: {},
};

/**
 * One event of a table, resolved ahead from it: the states the event may come in and where
 * each leads. The server's hot paths move through these ({@link RECEIVE_ON}, {@link SEND_ON},
 * {@link CONNECTION_ON}) instead of {@link next}: a lookup by a state name that varies goes
 * through V8's megamorphic property cache, which costs more than the whole move
 * (`bench:core`: ~0.1 µs per request on Node 20), while these compare a few interned strings.
 * The tables stay the truth: every move is built from them, and `tests/state.test.ts` checks
 * that both give the same answer for every state and event.
 */
export class Move<S extends string, E extends string> {
  /** The event this move applies. */
  readonly event: E;
  readonly #from: S[] = [];
  readonly #to: S[] = [];

  /** `event` of `table`. */
  constructor(table: Transitions<S, E>, event: E) {
    this.event = event;
    for (const state in table) {
      const to = table[state][event];
      if (to !== undefined) {
        this.#from.push(state);
        this.#to.push(to);
      }
    }
  }

  /** Where `state` leads on this event; throws as {@link next} does when the move is illegal. */
  next(state: S): S {
    const from = this.#from;
    for (let i = 0; i < from.length; i++) if (from[i] === state) return this.#to[i];
    throw illegal(state, this.event);
  }
}

/** Every event of `table` (each is legal in some state) as a {@link Move}, by event name. */
function movesOf<S extends string, E extends string>(table: Transitions<S, E>): { readonly [V in E]: Move<S, E> } {
  const out = {} as { [V in E]: Move<S, E> };
  for (const state in table) {
    for (const name of Object.keys(table[state])) {
      const e = name as E;
      out[e] ??= new Move(table, e);
    }
  }
  return Object.freeze(out);
}

/** The request side's moves, by event. */
export const RECEIVE_ON: { readonly [V in ReceiveEvent]: Move<ReceiveState, ReceiveEvent> } = movesOf(RECEIVE);
/** The response side's moves, by event. */
export const SEND_ON: { readonly [V in SendEvent]: Move<SendState, SendEvent> } = movesOf(SEND);
/** The connection's moves, by event. */
export const CONNECTION_ON: { readonly [V in ConnectionEvent]: Move<ConnectionState, ConnectionEvent> } = movesOf(CONNECTION);

function illegal(state: string, event: string): LocalProtocolError {
  return new LocalProtocolError("ERR_HTTP_STATE", `Cannot apply "${event}": not allowed in state "${state}"`);
}

/**
 * Apply `event` to `state` under `table`. A missing entry is an illegal move.
 *
 * @example
 * ```ts
 * import { next, SEND } from "@anyhttp/anyhttp/core";
 * console.log(next(SEND, "waiting", "write-head")); // "body"
 * ```
 */
export function next<S extends string, E extends string>(
  table: Transitions<S, E>,
  state: S,
  event: E,
): S {
  const to = table[state][event];
  if (to === undefined) throw illegal(state, event);
  return to;
}
