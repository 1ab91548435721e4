// server.address() is `AddressInfo | string | null`, as node:http's: a test that listened on TCP
// narrows it here, failing loudly if the server is not on a TCP port.
import type { AddressInfo } from "node:net";

/** The TCP address of a listening server (or a transport's listener address). */
export function tcpAddress(a: AddressInfo | string | null | undefined): AddressInfo {
  if (a === null || a === undefined || typeof a === "string") {
    throw new Error(`Expected a TCP address, got ${JSON.stringify(a)}`);
  }
  return a;
}

/** The TCP port a server listens on. */
export function portOf(server: { address(): AddressInfo | string | null }): number {
  return tcpAddress(server.address()).port;
}
