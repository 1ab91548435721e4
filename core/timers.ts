/**
 * A connection's timers as one pure function: given where the connection is and its
 * timestamps, which timer has run out. Node's server timeouts: `headersTimeout` (the head must
 * arrive in time, counted from accept for the first request), `requestTimeout` (the whole
 * request), `keepAliveTimeout` (idle between requests, plus Node's `keepAliveTimeoutBuffer`),
 * and the socket's own `setTimeout`. The server's sweep asks {@link Connection.checkTimeouts},
 * which asks this and acts.
 *
 * @module
 */

/** Where the connection is, as far as its timers care. */
export type TimerPhase =
  | "first" // nothing received yet on a new connection
  | "keep-alive" // idle between requests
  | "head" // a request head is arriving
  | "body" // a request body is arriving (or being discarded)
  | "other"; // answering, closing, or handed off: only the socket's timeout runs

/** Which timer ran out; `""`: none. */
export type ExpiredTimer = "" | "keep-alive" | "headers" | "request" | "socket";

/** The server's timeouts, ms (0: off). */
export interface TimerSettings {
  /** Idle time between requests before a keep-alive connection closes. */
  readonly keepAliveTimeout: number;
  /** Extra idle time past the advertised `keepAliveTimeout`. */
  readonly keepAliveTimeoutBuffer: number;
  /** Time allowed for a request head. */
  readonly headersTimeout: number;
  /** Time allowed for a whole request. */
  readonly requestTimeout: number;
}

/**
 * The timer that has run out at `now`. Times are on one clock: `headStart` when the current
 * head began (accept, for the first), `requestStart` when the current request began,
 * `lastActivity` when the connection last read or was reset by the socket's timer;
 * `socketTimeout` is the socket's `setTimeout` (0: off).
 *
 * @example
 * ```ts
 * import { expiredTimer } from "@anyhttp/anyhttp/core";
 * const settings = { keepAliveTimeout: 5000, keepAliveTimeoutBuffer: 1000, headersTimeout: 60000, requestTimeout: 300000 };
 * console.log(expiredTimer(settings, "keep-alive", 6000, 0, 0, 0, 0)); // "keep-alive"
 * ```
 */
export function expiredTimer(
  s: TimerSettings,
  phase: TimerPhase,
  now: number,
  headStart: number,
  requestStart: number,
  lastActivity: number,
  socketTimeout: number,
): ExpiredTimer {
  switch (phase) {
    case "keep-alive":
      // Node's keepAliveTimeoutBuffer: close a little after the advertised timeout, so a
      // client reusing the connection just before its own timer does not race our close.
      if (s.keepAliveTimeout > 0 && now - lastActivity >= s.keepAliveTimeout + s.keepAliveTimeoutBuffer) return "keep-alive";
      break;
    case "first":
    case "head":
      if (s.headersTimeout > 0 && now - headStart >= s.headersTimeout) return "headers";
      if (phase === "head" && s.requestTimeout > 0 && now - requestStart >= s.requestTimeout) return "request";
      break;
    case "body":
      if (s.requestTimeout > 0 && now - requestStart >= s.requestTimeout) return "request";
      break;
  }
  return socketTimeout > 0 && now - lastActivity >= socketTimeout ? "socket" : "";
}
