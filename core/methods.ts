/**
 * The request methods the parser accepts: Node's `http.METHODS`, and `http.maxHeaderSize`.
 *
 * It owns these two tables and nothing else. `tests/parser.test.ts` checks that the parser
 * accepts exactly these methods.
 *
 * @module
 */

/**
 * Every request method the llhttp build inside accepts, sorted: the same list as Node's
 * `http.METHODS` (Node 20.20 and 24 both take theirs from llhttp's HTTP methods).
 *
 * @example
 * ```ts
 * import { METHODS } from "@anyhttp/anyhttp/core";
 * console.log(METHODS.includes("QUERY")); // true
 * ```
 */
export const METHODS: string[] = [
  "ACL", "BIND", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD", "LINK", "LOCK", "M-SEARCH",
  "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL", "MOVE", "NOTIFY", "OPTIONS", "PATCH", "POST",
  "PROPFIND", "PROPPATCH", "PURGE", "PUT", "QUERY", "REBIND", "REPORT", "SEARCH", "SOURCE",
  "SUBSCRIBE", "TRACE", "UNBIND", "UNLINK", "UNLOCK", "UNSUBSCRIBE",
];

/**
 * The default `maxHeaderSize` of a server, bytes: Node's `http.maxHeaderSize` (16 KiB, Node's
 * `--max-http-header-size` default; tomcat 8 KiB, IIS 16 KiB).
 *
 * @example
 * ```ts
 * import { maxHeaderSize } from "@anyhttp/anyhttp/core";
 * console.log(maxHeaderSize); // 16384
 * ```
 */
export const maxHeaderSize = 16 * 1024;
