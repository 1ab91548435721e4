/**
 * The connection's rules as data: which moves each half of an HTTP/1.1 exchange may make.
 *
 * Rule 1: everything that changes a half's state goes through {@link next}; `connection.ts`
 * applies the result and does the I/O. Rule 2: a move that is missing from a table is illegal
 * and throws. This is h11's `_state.py`, cut to a server's needs (RFC 9112 §9).
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
  if (to === undefined) {
    throw new LocalProtocolError(
      "ERR_HTTP_STATE",
      `Cannot apply "${event}": not allowed in state "${state}"`,
    );
  }
  return to;
}
