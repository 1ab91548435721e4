// Test harness: a server on the in-memory transport with the clock pinned.
import {
  createMemoryTransport,
  createServer,
  type MemoryClient,
  type MemoryClientOptions,
  type RequestListener,
  type Server,
  type ServerOptions,
  VirtualClock,
} from "../../core/mod.ts";

/** The pinned clock's Date header value. */
export const DATE = "Thu, 01 Jan 2026 00:00:00 GMT";

export interface Served {
  server: Server;
  clock: VirtualClock;
  connect(options?: MemoryClientOptions): MemoryClient;
  close(): Promise<void>;
}

/** Start a server on a fresh memory transport with a virtual clock. */
export async function serve(handler: RequestListener, options: ServerOptions = {}): Promise<Served> {
  const transport = createMemoryTransport();
  const clock = new VirtualClock();
  const server = createServer({ transport, clock, ...options }, handler);
  await new Promise<void>((resolve) => server.listen(0, resolve));
  return {
    server,
    clock,
    connect: (o) => transport.connectSync(o),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Send `input` split into the given pieces, settling between pieces; return all bytes received. */
export async function exchange(
  handler: RequestListener,
  pieces: (string | Uint8Array)[],
  options: ServerOptions = {},
): Promise<{ text: string; ended: boolean; reset: boolean }> {
  const s = await serve(handler, options);
  const c = s.connect();
  for (const p of pieces) {
    if (c.isClosed) break;
    c.send(p);
    await c.settle(5);
  }
  await c.settle();
  const out = { text: c.text(), ended: c.ended, reset: c.reset };
  await s.close();
  return out;
}

/** Every way to cut `s` once, plus byte-by-byte. */
export function splits(s: string): string[][] {
  const out: string[][] = [[s], s.split("")];
  for (let i = 1; i < s.length; i++) out.push([s.slice(0, i), s.slice(i)]);
  return out;
}
