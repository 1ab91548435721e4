/**
 * The rules a request head must pass before a handler sees it, as one pure function: the
 * parsed head in, a record out (hyper's `ParsedMessage`): the fields the server acts on, the
 * declared body length, whether the request lets the connection be reused, what it expects,
 * or the protocol error to answer with.
 *
 * It must not know the connection, the parser or any runtime: the connection applies the
 * record (`connection.ts #onHead`).
 *
 * @module
 */

import { RemoteProtocolError } from "./errors.ts";

/** What `readRequestHead` decided about a request head. */
export interface RequestHead {
  /** `Content-Length` as a number, -1 without one. */
  declaredLength: number;
  /** Whether the head frames a body: `Content-Length` or `Transfer-Encoding` is present. */
  framed: boolean;
  /** Why the head is refused (its status says what to answer), or null. */
  error: RemoteProtocolError | null;
  /** Whether the connection may carry another request, as far as this request says. */
  keepAlive: boolean;
  /** `Expect` on HTTP/1.1: `"continue"` for 100-continue, `"other"` for anything else. */
  expectation: "continue" | "other" | null;
}

/** The server's settings the rules read. */
export interface RequestHeadRules {
  /** Refuse an HTTP/1.1 request without `Host` (RFC 9112 §3.2). */
  readonly requireHostHeader: boolean;
  /** Largest declared body accepted, in bytes. */
  readonly maxRequestBodySize: number;
}

// RFC 9112 §3.2 + RFC 3986 §3.2.2: Host = uri-host [ ":" port ]; uri-host is an IP-literal in
// brackets, or a reg-name / IPv4 of unreserved, pct-encoded and sub-delims characters. Empty
// is allowed (a target with no authority).
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|\[v[0-9A-Fa-f]+\.[\w\-.~!$&'()*+,;=:]+\]|[\w\-.~!$&'()*+,;=%]*)(?::\d*)?$/;
// RFC 9110 §10.1.1: the one expectation defined.
const CONTINUE = /(?:^|\W)100-continue(?:$|\W)/i;

// The last Host value found valid: a client sends the same one on every request.
let lastValidHost = "";

/**
 * True if `value` is a syntactically valid Host field value.
 *
 * @example
 * ```ts
 * import { validHost } from "@anyhttp/anyhttp/core";
 * console.log(validHost("example.com:8080"), validHost("a b")); // true false
 * ```
 */
export function validHost(value: string): boolean {
  if (value === lastValidHost) return true;
  if (!HOST.test(value)) return false;
  lastValidHost = value;
  return true;
}

/**
 * Apply the request-head rules to a parsed head: `raw` is `[name, value, ...]` as received,
 * `parserKeepAlive` llhttp's verdict from the version and `Connection`.
 *
 * @example
 * ```ts
 * import { readRequestHead } from "@anyhttp/anyhttp/core";
 * const rules = { requireHostHeader: true, maxRequestBodySize: Infinity };
 * const h = readRequestHead(["Content-Length", "5"], 1, 1, true, rules);
 * console.log(h.error?.status); // 400: an HTTP/1.1 request without Host
 * ```
 */
export function readRequestHead(
  raw: readonly string[],
  versionMajor: number,
  versionMinor: number,
  parserKeepAlive: boolean,
  rules: RequestHeadRules,
): RequestHead {
  // The fields the rules act on, in one pass (names compared case-insensitively).
  let hosts = 0;
  let host: string | undefined;
  let contentLength: string | undefined;
  let te: string | undefined;
  let expect: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    // The usual spellings first: toLowerCase() allocates (and is slow on JSC).
    switch (name.length) {
      case 4:
        if (name === "Host" || name === "host" || name.toLowerCase() === "host") {
          hosts++;
          host = raw[i + 1];
        }
        break;
      case 6:
        if (name === "Expect" || name.toLowerCase() === "expect") expect = expect === undefined ? raw[i + 1] : `${expect}, ${raw[i + 1]}`;
        break;
      case 14:
        // llhttp rejects a second Content-Length, so the first is the only one.
        if (name === "Content-Length" || name.toLowerCase() === "content-length") contentLength ??= raw[i + 1];
        break;
      case 17:
        if (name === "Transfer-Encoding" || name.toLowerCase() === "transfer-encoding") {
          te = te === undefined ? raw[i + 1] : `${te}, ${raw[i + 1]}`;
        }
        break;
    }
  }
  const declaredLength = contentLength === undefined ? -1 : Number(contentLength);
  const error = refusal(hosts, host, te, declaredLength, versionMajor, versionMinor, rules);
  return {
    declaredLength,
    framed: contentLength !== undefined || te !== undefined,
    error,
    // RFC 9112 §6.3 item 3: a request with both Transfer-Encoding and Content-Length (which only
    // the lenient parser lets through) is read by its Transfer-Encoding alone, and the server
    // MUST close the connection after responding (RFC 9112 §11.2: request smuggling).
    keepAlive: error === null && parserKeepAlive && !(te !== undefined && contentLength !== undefined),
    // RFC 9110 §10.1.1: Expect is an HTTP/1.1 mechanism; a 1.0 request's is ignored.
    expectation: error !== null || expect === undefined || versionMinor < 1 ? null : CONTINUE.test(expect) ? "continue" : "other",
  };
}

/** The error a head is refused with, in the order the checks apply, or null. */
function refusal(
  hosts: number,
  host: string | undefined,
  te: string | undefined,
  declaredLength: number,
  major: number,
  minor: number,
  rules: RequestHeadRules,
): RemoteProtocolError | null {
  // RFC 9112 §3.2: a server MUST respond 400 to an HTTP/1.1 request that lacks a Host header
  // field, has more than one, or has an invalid one.
  if (hosts > 1 || (hosts === 0 && rules.requireHostHeader && major === 1 && minor >= 1)) {
    return new RemoteProtocolError("HPE_INVALID_HOST", hosts > 1 ? "Duplicate Host header" : "Missing Host header", 400);
  }
  if (hosts === 1 && !validHost(host!)) return new RemoteProtocolError("HPE_INVALID_HOST", "Invalid Host header", 400);
  // RFC 9112 §2.3: only HTTP/1.x is spoken here. HTTP/0.9 has no version and no headers to
  // frame a reply with; a higher major version gets 505 (RFC 9110 §15.6.6).
  if (major !== 1) {
    return major === 0
      ? new RemoteProtocolError("HPE_INVALID_VERSION", "HTTP/0.9 is not supported", 400)
      : new RemoteProtocolError("HPE_INVALID_VERSION", "HTTP version not supported", 505);
  }
  if (te !== undefined) {
    // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
    if (minor === 0) return new RemoteProtocolError("HPE_INVALID_TRANSFER_ENCODING", "Transfer-Encoding in an HTTP/1.0 request", 400);
    // RFC 9112 §6.1: a transfer coding we do not implement gets 501 (llhttp already rejects
    // any list whose final coding is not chunked). Only chunked is implemented.
    for (const coding of te.split(",")) {
      const name = coding.trim();
      // RFC 9110 §5.6.1: empty list elements are ignored ("chunked, , " is chunked).
      if (name === "") continue;
      if (name.toLowerCase() !== "chunked") {
        return new RemoteProtocolError("HPE_INVALID_TRANSFER_ENCODING", `Transfer coding not implemented: "${name}"`, 501);
      }
    }
  }
  // maxRequestBodySize: refuse a declared length over the limit before reading it.
  if (declaredLength > rules.maxRequestBodySize) return new RemoteProtocolError("ERR_HTTP_BODY_TOO_LARGE", "Request body too large", 413);
  return null;
}
