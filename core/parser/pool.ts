/**
 * Parsers of idle connections, waiting for the next connection that reads. An idle keep-alive
 * connection holds no parser: its JS object and llhttp's state in wasm memory serve whichever
 * connection reads next. A parser is taken when bytes arrive at a message boundary and given
 * back when an exchange ends with nothing more read, or when its connection closes. Bounded:
 * past POOL_MAX the rest are freed.
 *
 * @module
 */

import { type ParserLimits, RequestParser } from "./llhttp.ts";

/** What a pooled parser is set up with for the connection that takes it. */
export interface ParserSettings extends ParserLimits {
  /** The parser's `acceptUpgrade`. */
  readonly acceptUpgrade: (isConnect: boolean) => boolean | "ask";
  /** Node's `insecureHTTPParser`: the lenient flags. */
  readonly insecureHTTPParser: boolean;
}

const pool: RequestParser[] = [];
const POOL_MAX = 256;

/** A parser at a message boundary, set up for `settings` (the server's). */
export function takeParser(settings: ParserSettings): RequestParser {
  const p = pool.pop() ?? new RequestParser(settings);
  p.setLimits(settings);
  p.acceptUpgrade = settings.acceptUpgrade;
  // Pooled parsers serve every server: the leniency is set per connection (a no-op when same).
  p.setLenient(settings.insecureHTTPParser);
  return p;
}

/** Give `p` back: reset to a fresh message, holding nothing of the last request. */
export function giveParser(p: RequestParser): void {
  if (pool.length >= POOL_MAX) {
    p.free();
    return;
  }
  p.reset();
  p.release();
  pool.push(p);
}
