/**
 * What binds the core to the running runtime's own `node:http` (present on Node, Deno and
 * Bun): our responses keep their headers under its `kOutHeaders` symbol, so its
 * `OutgoingMessage.prototype` header methods work when packages call them on our responses
 * (`cookies`, under `cookie-session`, does whenever `res.set` exists, as with Express).
 *
 * @module
 */
import * as http from "node:http";
import { shareOutgoingHeaders } from "../core/mod.ts";

let shared = false;

/**
 * Share the header store once, when the first server is made: a function, not an import side
 * effect, so bundlers that trust `"sideEffects": false` keep it.
 */
export function shareNodeHeaders(): void {
  if (shared) return;
  shared = true;
  // Node, Deno and Bun create the symbol per instance field; a fresh message shows it.
  const key = Object.getOwnPropertySymbols(new http.OutgoingMessage()).find((s) => s.description === "kOutHeaders");
  if (key) shareOutgoingHeaders(key);
}
