/**
 * The response-head rules as one pure function (Node's `_storeHeader`, RFC 9112 §6 and §9):
 * from what the handler's head says, and what the request and the connection allow, to the
 * body's framing, the field the server adds for it, the `Connection` field, and whether the
 * connection closes after this response. `server-response.ts` scans the fields and writes the
 * head; the decisions are made here, once.
 *
 * Facts in and the verdict out are bit sets: it runs for every response and allocates nothing.
 * {@link describeResponseHead} spells a verdict out (for tests and readers).
 *
 * @module
 */

import type { Framing } from "./body-writers.ts";

// ---- Facts: what the head and the exchange say -------------------------------------------
/** The head has a `Connection` field (the server then adds none). */
export const HAS_CONNECTION = 1;
/** ... with a `close` token (Node's `RE_CONN_CLOSE`). */
export const HAS_CLOSE = 2;
/** The head has a `Content-Length` field. */
export const HAS_LENGTH = 4;
/** The head has a `Transfer-Encoding` field. */
export const HAS_TE = 8;
/** ... with a `chunked` token (Node's `chunkExpression`). */
export const HAS_TE_CHUNKED = 16;
/** The head has a `Trailer` field (a length would leave no room for trailers). */
export const HAS_TRAILER = 32;
/** The head has a `Keep-Alive` field (the server then adds none). */
export const HAS_KEEP_ALIVE = 64;
/** The handler removed `Connection` (Node: it is then not added). */
export const REMOVED_CONNECTION = 128;
/** The handler removed `Content-Length`. */
export const REMOVED_LENGTH = 256;
/** The handler removed `Transfer-Encoding`. */
export const REMOVED_TE = 512;
/** No content: a HEAD request, or a 1xx, 204 or 304 status (RFC 9110 §6.4.1). */
export const NO_BODY = 1024;
/** The peer reads chunked: HTTP/1.1, or HTTP/1.0 with `TE: chunked` (Node's rule). */
export const PEER_CHUNKED = 2048;
/** The whole body is known before the head (`end(data)`): its length can be sent. */
export const LENGTH_KNOWN = 4096;
/** The connection and `res.shouldKeepAlive` allow keep-alive (see Connection.keepAlive). */
export const REUSABLE = 8192;
/** A `keepAliveTimeout` is set, to advertise in `Keep-Alive: timeout=`. */
export const ADVERTISE_TIMEOUT = 16384;

// ---- Verdict -----------------------------------------------------------------------------
/** The bits of a verdict that hold its framing: an index into {@link FRAMINGS}. */
export const FRAMING = 3;
/** Framings by verdict bits. */
export const FRAMINGS: readonly Framing[] = ["none", "length", "chunked", "close"];
const NONE = 0;
const LENGTH = 1;
const CHUNKED = 2;
const CLOSE = 3;
/** Add `Content-Length: <the known length>`. */
export const ADD_LENGTH = 4;
/** Add `Transfer-Encoding: chunked`. */
export const ADD_CHUNKED = 8;
/** Add `Connection: keep-alive`. */
export const SAY_KEEP_ALIVE = 16;
/** Add `Keep-Alive: timeout=...` after it. */
export const SAY_TIMEOUT = 32;
/** Add `Connection: close`. */
export const SAY_CLOSE = 64;
/** The connection closes after this response. */
export const CLOSES = 128;

/**
 * Decide a response head. `facts`: the bits above that hold.
 *
 * @example
 * ```ts
 * import { describeResponseHead, LENGTH_KNOWN, PEER_CHUNKED, responseHead, REUSABLE } from "@anyhttp/anyhttp/core";
 * // res.end("ok") to an HTTP/1.1 keep-alive request:
 * console.log(describeResponseHead(responseHead(PEER_CHUNKED | LENGTH_KNOWN | REUSABLE)));
 * // { framing: "length", adds: ["Connection: keep-alive", "Content-Length"], closes: false }
 * ```
 */
export function responseHead(facts: number): number {
  // Framing first (RFC 9112 §6.3), so the Connection field can tell the truth about it.
  let v: number;
  if ((facts & NO_BODY) !== 0) v = NONE;
  else if ((facts & HAS_TE) !== 0) v = (facts & HAS_TE_CHUNKED) !== 0 ? CHUNKED : CLOSE;
  else if ((facts & HAS_LENGTH) !== 0) v = LENGTH;
  // An HTTP/1.0 peer: the body ends when the connection closes (RFC 9112 §6.3, item 8).
  else if ((facts & PEER_CHUNKED) === 0) v = CLOSE;
  else if ((facts & (HAS_TRAILER | LENGTH_KNOWN | REMOVED_LENGTH)) === LENGTH_KNOWN) v = LENGTH | ADD_LENGTH;
  else if ((facts & REMOVED_TE) === 0) v = CHUNKED | ADD_CHUNKED;
  else v = CLOSE;
  // A close-delimited body ends the connection. (Node still says keep-alive for a non-chunked
  // Transfer-Encoding set by the handler; we say close, RFC 9112 §6.3 item 8.)
  let closes = (facts & HAS_CLOSE) !== 0 || (v & FRAMING) === CLOSE;
  if ((facts & HAS_CONNECTION) === 0) {
    // Keep-alive needs a body the peer can delimit without the close (RFC 9112 §9.3).
    const keep = !closes && (facts & REUSABLE) !== 0 && (facts & (HAS_LENGTH | PEER_CHUNKED)) !== 0;
    if (!keep) closes = true;
    if ((facts & REMOVED_CONNECTION) !== 0) {
      // Node: a removed Connection header is not replaced.
    } else if (keep) {
      v |= SAY_KEEP_ALIVE;
      if ((facts & (ADVERTISE_TIMEOUT | HAS_KEEP_ALIVE)) === ADVERTISE_TIMEOUT) v |= SAY_TIMEOUT;
    } else {
      v |= SAY_CLOSE;
    }
  }
  if (closes) v |= CLOSES;
  return v;
}

/** A verdict of {@link responseHead}, spelled out. */
export interface ResponseHeadVerdict {
  /** How the body is delimited. */
  framing: Framing;
  /** The fields the server adds, in order (`Content-Length` and `Keep-Alive` without values). */
  adds: string[];
  /** Whether the connection closes after this response. */
  closes: boolean;
}

/** Spell out a verdict of {@link responseHead}. */
export function describeResponseHead(v: number): ResponseHeadVerdict {
  const adds: string[] = [];
  if ((v & SAY_KEEP_ALIVE) !== 0) adds.push("Connection: keep-alive");
  if ((v & SAY_TIMEOUT) !== 0) adds.push("Keep-Alive");
  if ((v & SAY_CLOSE) !== 0) adds.push("Connection: close");
  if ((v & ADD_LENGTH) !== 0) adds.push("Content-Length");
  if ((v & ADD_CHUNKED) !== 0) adds.push("Transfer-Encoding: chunked");
  return { framing: FRAMINGS[v & FRAMING], adds, closes: (v & CLOSES) !== 0 };
}
