/**
 * Whose fault it was. `RemoteProtocolError`: the peer broke HTTP (it carries llhttp's `HPE_*`
 * code and the status to answer with). `LocalProtocolError`: our caller asked for something
 * illegal (writing headers twice, writing after end). Bad argument types and ranges are plain
 * `TypeError` / `RangeError`, each with Node's `code` so code written for `node:http` that
 * checks `err.code` keeps working. Same split as h11 (`h11/_util.py`).
 *
 * @module
 */

/**
 * The client sent something that is not HTTP/1.1 as RFC 9112 defines it.
 *
 * @example
 * ```ts
 * import { RemoteProtocolError } from "@anyhttp/anyhttp/core";
 * const err = new RemoteProtocolError("HPE_INVALID_METHOD", "Invalid method encountered", 400);
 * console.log(err.status); // 400
 * ```
 */
export class RemoteProtocolError extends Error {
  /** llhttp's error name, e.g. `"HPE_INVALID_HEADER_TOKEN"`. Node's `clientError` uses the same. */
  readonly code: string;
  /** The status the server answers with: 400, 408, 413, 414 or 431. */
  readonly status: number;
  /** How many bytes of the failing chunk were parsed before the error. */
  bytesParsed = 0;
  /** The chunk that failed to parse (Node's `err.rawPacket`). */
  rawPacket?: Uint8Array;
  /** Node's name for llhttp's reason string. */
  readonly reason: string;

  /** A parse failure: llhttp's `HPE_*` code, its reason, and the status to answer with. */
  constructor(code: string, reason: string, status = 400) {
    super(`Parse Error: ${reason}`);
    this.name = "RemoteProtocolError";
    this.code = code;
    this.reason = reason;
    this.status = status;
  }
}

/**
 * The program asked the server to do something HTTP forbids at this point.
 *
 * @example
 * ```ts
 * import { LocalProtocolError } from "@anyhttp/anyhttp/core";
 * const err = new LocalProtocolError("ERR_HTTP_HEADERS_SENT", "Cannot write headers: headers already sent");
 * console.log(err.code);
 * ```
 */
export class LocalProtocolError extends Error {
  /** Node's error code for the same mistake, e.g. `"ERR_HTTP_HEADERS_SENT"`. */
  readonly code: string;
  /** A misuse: Node's error code for it and a message saying what was refused. */
  constructor(code: string, message: string) {
    super(message);
    this.name = "LocalProtocolError";
    this.code = code;
  }
}

/** A `TypeError` carrying Node's `code`. */
export function typeError(code: string, message: string): TypeError {
  const e = new TypeError(message) as TypeError & { code: string };
  e.code = code;
  return e;
}

/** A `RangeError` carrying Node's `code`. */
export function rangeError(code: string, message: string): RangeError {
  const e = new RangeError(message) as RangeError & { code: string };
  e.code = code;
  return e;
}

/**
 * An option this runtime (or transport) cannot do, refused at once rather than ignored:
 * a `TypeError` with Node's `ERR_FEATURE_UNAVAILABLE_ON_PLATFORM`.
 *
 * @example
 * ```ts
 * import { unavailableOption } from "@anyhttp/anyhttp/core";
 * const e = unavailableOption("ipv6Only", "Deno", "Deno.listen has no IPV6_V6ONLY option");
 * console.log(e.message); // Cannot use option "ipv6Only" on Deno: Deno.listen has no IPV6_V6ONLY option
 * ```
 */
export function unavailableOption(option: string, runtime: string, why: string): TypeError {
  return typeError("ERR_FEATURE_UNAVAILABLE_ON_PLATFORM", `Cannot use option "${option}" on ${runtime}: ${why}`);
}
