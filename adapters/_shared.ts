/**
 * Small pieces every transport adapter needs: address families, error normalising, the
 * placeholder sink, rethrowing a bug above the transport as uncaught, and the listen options
 * done the same way on each runtime. Bytes only.
 *
 * @module
 */
import { chmodSync, statSync } from "node:fs";
import { unavailableOption } from "../core/errors.ts";
import type { ConnectionSink, OnConnection, TcpHandle } from "../core/transport.ts";

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

/**
 * Give a new connection's handle to the core. If `onConnection` throws (a bug above the
 * transport), the connection is destroyed and the error rethrown as uncaught; false then.
 */
export function handOver(handle: TcpHandle & { sink: ConnectionSink }, onConnection: OnConnection): boolean {
  try {
    handle.sink = onConnection(handle);
    return true;
  } catch (err) {
    handle.destroy(asError(err));
    rethrowLater(err);
    return false;
  }
}

/** The no-op sink in place until `onConnection` has returned the real one. */
export const NO_SINK: ConnectionSink = {
  onData() {},
  onEnd() {},
  onDrain() {},
  onClose() {},
};

/**
 * `readableAll` / `writableAll` on a unix socket just bound: add the read and/or write bits for
 * owner, group and others to the file's mode, as libuv's `uv_pipe_chmod` does for Node.
 */
export function chmodAll(path: string, readable: boolean | undefined, writable: boolean | undefined): void {
  const bits = (readable ? 0o444 : 0) | (writable ? 0o222 : 0);
  if (bits === 0) return;
  chmodSync(path, (statSync(path).mode & 0o7777) | bits);
}

/**
 * `exclusive` on a runtime whose listener is never shared: every listen binds its own socket,
 * which is what Node does with `exclusive: true`, and with `false` outside a cluster worker.
 * Only `false` inside a worker (`NODE_UNIQUE_ID` set, Node's own test) asks for a shared
 * handle, which these runtimes' listeners cannot give.
 */
export function checkExclusive(exclusive: boolean | undefined, runtime: string): void {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (exclusive === false && env?.["NODE_UNIQUE_ID"] !== undefined) {
    throw unavailableOption("exclusive", runtime, "a cluster worker cannot share the primary's listener here");
  }
}
