/**
 * Small pieces every transport adapter needs: address families, error normalising, the
 * placeholder sink, and rethrowing a bug above the transport as uncaught. Bytes only.
 *
 * @module
 */
import type { ConnectionSink } from "../core/transport.ts";

/** `"IPv6"` for an address with a colon, else `"IPv4"` (Deno and Bun give no family). */
export function familyOf(address: string): string {
  return address.includes(":") ? "IPv6" : "IPv4";
}

/** Anything thrown, as an `Error`. */
export function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * A sink callback threw: a bug above the transport, not an I/O error. The caller destroys the
 * connection; the error is rethrown outside the adapter's loops and handlers so the runtime
 * reports it as uncaught, as Node does for a throwing `'data'` listener.
 */
export function rethrowLater(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}

/** The no-op sink in place until `onConnection` has returned the real one. */
export const NO_SINK: ConnectionSink = {
  onData() {},
  onEnd() {},
  onDrain() {},
  onClose() {},
};
