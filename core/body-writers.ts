/**
 * Response body framing (RFC 9112 §6): each writer turns a user's chunk into the chunks to
 * send, passing the user's bytes through untouched (h11 `_writers.py`, hyper
 * `proto/h1/encode.rs`). Pure: values in, arrays of bytes out.
 *
 * @module
 */

import { latin1Encode } from "./_bytes.ts";

const CRLF = new Uint8Array([13, 10]);
const LAST_CHUNK = latin1Encode("0\r\n\r\n");
const EMPTY: Uint8Array[] = [];

/** How a response body is delimited. */
export type Framing = "none" | "length" | "chunked" | "close";

/** Turns body chunks into wire chunks for one framing. */
export interface BodyWriter {
  /** Wire chunks for one body chunk. */
  write(data: Uint8Array): Uint8Array[];
  /** Wire chunks that end the body (with trailer lines, for chunked). */
  end(trailers?: string): Uint8Array[];
}

const hexCache: Uint8Array[] = [];

function hexSize(n: number): Uint8Array {
  if (n < 256) return (hexCache[n] ??= latin1Encode(n.toString(16) + "\r\n"));
  return latin1Encode(n.toString(16) + "\r\n");
}

/**
 * `Transfer-Encoding: chunked` (RFC 9112 §7.1).
 *
 * @example
 * ```ts
 * import { ChunkedWriter } from "@anyhttp/anyhttp/core";
 * const w = new ChunkedWriter();
 * console.log(w.write(new TextEncoder().encode("ok")).length); // 3: size line, data, CRLF
 * ```
 */
export class ChunkedWriter implements BodyWriter {
  write(data: Uint8Array): Uint8Array[] {
    if (data.byteLength === 0) return EMPTY; // a 0-length chunk would read as the terminator
    return [hexSize(data.byteLength), data, CRLF];
  }
  end(trailers?: string): Uint8Array[] {
    // RFC 9112 §7.1.2: last-chunk, then the trailer section, then CRLF.
    if (trailers) return [latin1Encode(`0\r\n${trailers}\r\n`)];
    return [LAST_CHUNK];
  }
}

/** Body delimited by `Content-Length` or by closing the connection: bytes pass as they are. */
export class IdentityWriter implements BodyWriter {
  write(data: Uint8Array): Uint8Array[] {
    return data.byteLength === 0 ? EMPTY : [data];
  }
  end(): Uint8Array[] {
    return EMPTY;
  }
}

/** Responses that have no body (HEAD, 1xx, 204, 304): everything written is dropped. */
export class NoBodyWriter implements BodyWriter {
  write(): Uint8Array[] {
    return EMPTY;
  }
  end(): Uint8Array[] {
    return EMPTY;
  }
}

// The writers keep no state, so every response shares one of each.
const CHUNKED = new ChunkedWriter();
const NO_BODY = new NoBodyWriter();
const IDENTITY = new IdentityWriter();

/** The writer for a framing. */
export function bodyWriter(framing: Framing): BodyWriter {
  switch (framing) {
    case "chunked":
      return CHUNKED;
    case "none":
      return NO_BODY;
    default:
      return IDENTITY;
  }
}
