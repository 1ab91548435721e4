/**
 * Pure pieces of the response wire format: header name and value validation, the cached
 * `Date` value, status lines, and string-to-bytes encoding of body chunks. Values in, values
 * out; no state beyond the one-second `Date` cache, no I/O.
 *
 * @module
 */

import { latin1Encode, utf8Encode } from "./_bytes.ts";
import { typeError } from "./errors.ts";
import { STATUS_CODES } from "./status-codes.ts";

// RFC 9110 §5.1: field-name = token; token = 1*tchar.
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
// RFC 9110 §5.5: field-value = *field-content; no CR, LF, NUL or other CTLs except HTAB.
// obs-text (0x80–0xFF) is allowed, as Node allows it; code units above 0xFF cannot be sent.
const INVALID_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

/** True if `name` is a valid field name (RFC 9110 §5.1). */
export function isToken(name: string): boolean {
  return TOKEN.test(name);
}

// Names already found valid. A server sets the same few names on every response, mostly
// from string literals whose hash the engine keeps, so a Set lookup (~20 ns on Node 20, ~7 ns
// on Bun) replaces the regex (~50 / ~20 ns) for nearly every call. Strings are immutable, so
// a name once valid stays valid; the set stops growing at TOKEN_CACHE names.
const validNames = new Set<string>();
const TOKEN_CACHE = 512;
// Longer names are checked each time: the caches hold at most 512 × 64 characters.
const CACHED_NAME_MAX = 64;

// Lower-cased names by spelling, for the same reason: `toLowerCase()` makes a new string on
// every call (~33 ns on Node 20 and on Bun), a lookup of a name seen before does not.
const lowered = new Map<string, string>();

/** `name.toLowerCase()`, remembered for the first TOKEN_CACHE names asked for. */
export function lowerName(name: string): string {
  let low = lowered.get(name);
  if (low === undefined) {
    low = name.toLowerCase();
    if (lowered.size < TOKEN_CACHE && name.length <= CACHED_NAME_MAX) lowered.set(name, low);
  }
  return low;
}

/** Throw a `TypeError` naming the header unless `name` is a valid field name. */
export function validateHeaderName(name: unknown): asserts name is string {
  if (typeof name === "string" && validNames.has(name)) return;
  if (typeof name !== "string" || !name || !TOKEN.test(name)) {
    throw typeError(
      "ERR_INVALID_HTTP_TOKEN",
      `Header name must be a valid HTTP token ["${String(name)}"]`,
    );
  }
  if (validNames.size < TOKEN_CACHE && name.length <= CACHED_NAME_MAX) validNames.add(name);
}

/** A header value as `setHeader` accepts it. */
export type HeaderValue = string | number | readonly (string | number)[];

// Values recently found valid, one slot per length mod 16: a server sends the same few values
// on most responses (often the same literal string, a pointer check), and a slot check costs
// ~3 ns against ~25 ns for the regex (Node 20.20.2, Deno 2.9.6, Bun 1.4.5). Values over
// CACHED_VALUE_MAX characters are checked each time, so the slots keep no large string alive.
const validValues: string[] = new Array(16).fill("");
const CACHED_VALUE_MAX = 256;

/**
 * Throw a `TypeError` naming the header unless `value` is a valid field value: no CR, LF or
 * other control characters (no header injection is possible through a value).
 */
export function validateHeaderValue(name: string, value: unknown): void {
  if (typeof value === "number") return; // digits, a sign, a point, "NaN", "Infinity"
  if (typeof value === "string" && validValues[value.length & 15] === value) return;
  if (value === undefined) {
    throw typeError("ERR_HTTP_INVALID_HEADER_VALUE", `Invalid value "undefined" for header "${name}"`);
  }
  if (Array.isArray(value)) {
    for (const v of value) validateHeaderValue(name, v);
    return;
  }
  if (INVALID_VALUE_CHAR.test(String(value))) {
    throw typeError("ERR_INVALID_CHAR", `Invalid character in header content ["${name}"]`);
  }
  if (typeof value === "string" && value.length <= CACHED_VALUE_MAX) validValues[value.length & 15] = value;
}

let dateSecond = -1;
let dateValue = "";

/**
 * The IMF-fixdate for `now` (RFC 9110 §5.6.7), computed at most once per second.
 *
 * @example
 * ```ts
 * import { httpDate } from "@anyhttp/anyhttp/core";
 * console.log(httpDate(0)); // "Thu, 01 Jan 1970 00:00:00 GMT"
 * ```
 */
export function httpDate(now: number): string {
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateValue = new Date(second * 1000).toUTCString();
  }
  return dateValue;
}

const statusLines = new Map<number, string>();

/**
 * `HTTP/1.1 <code> <reason>\r\n`, cached per code when the default reason is used.
 * Unknown codes get `unknown`, as Node sends.
 */
export function statusLine(code: number, message?: string): string {
  if (message === undefined) {
    let line = statusLines.get(code);
    if (line === undefined) {
      line = `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? "unknown"}\r\n`;
      statusLines.set(code, line);
    }
    return line;
  }
  return `HTTP/1.1 ${code} ${message}\r\n`;
}

/** A body chunk as users pass it to `write()`/`end()`. */
export type Chunk = string | Uint8Array;

/**
 * Bytes for a body chunk. Strings are encoded with Node's encodings: `utf8` (default),
 * `latin1`/`binary`, `ascii`, `hex`, `base64`, `base64url`, `utf16le`/`ucs2`.
 */
export function chunkBytes(chunk: unknown, encoding?: string): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === "string") return encodeString(chunk, encoding);
  if (ArrayBuffer.isView(chunk)) {
    return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
  throw typeError(
    "ERR_INVALID_ARG_TYPE",
    `The "chunk" argument must be of type string or an instance of Uint8Array. Received ${describe(chunk)}`,
  );
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return `an instance of ${(v as object).constructor?.name ?? "Object"}`;
  return `type ${typeof v} (${String(v)})`;
}

function encodeString(s: string, encoding = "utf8"): Uint8Array {
  if (encoding === "utf8") return utf8Encode(s);
  switch (encoding.toLowerCase()) {
    case "utf8":
    case "utf-8":
      return utf8Encode(s);
    case "latin1":
    case "binary":
      return latin1Encode(s);
    case "ascii": {
      const b = latin1Encode(s);
      for (let i = 0; i < b.length; i++) b[i] &= 0x7f;
      return b;
    }
    case "hex": {
      const n = s.length >>> 1;
      const out = new Uint8Array(n);
      let i = 0;
      for (; i < n; i++) {
        const byte = parseInt(s.substr(i * 2, 2), 16);
        if (Number.isNaN(byte)) break;
        out[i] = byte;
      }
      return out.subarray(0, i);
    }
    case "base64":
    case "base64url": {
      const clean = s.replace(/[^A-Za-z0-9+/\-_]/g, "").replace(/-/g, "+").replace(/_/g, "/");
      const padded = clean + "===".slice((clean.length + 3) % 4);
      return latin1Encode(atob(padded.length % 4 === 1 ? padded.slice(0, -1) : padded));
    }
    case "utf16le":
    case "utf-16le":
    case "ucs2":
    case "ucs-2": {
      const out = new Uint8Array(s.length * 2);
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        out[i * 2] = c & 0xff;
        out[i * 2 + 1] = c >>> 8;
      }
      return out;
    }
    default:
      throw typeError("ERR_UNKNOWN_ENCODING", `Unknown encoding: "${encoding}"`);
  }
}
