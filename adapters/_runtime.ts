/**
 * Which transport the running runtime gets: `Deno.listen` under Deno, `Bun.listen` under Bun,
 * `node:net` elsewhere, each with TLS when given node:tls server options. The one place that
 * tells the runtimes apart for `anyhttp` and `anyhttp/https`.
 *
 * @module
 */
import type { Transport } from "../core/mod.ts";
import type { TlsServerOptions } from "./_tls.ts";
import { bunTransport, createBunTransport } from "./bun-transport.ts";
import { createDenoTransport, denoTransport } from "./deno-transport.ts";
import { createNodeTransport, nodeTransport } from "./node-transport.ts";

const runtime: "deno" | "bun" | "node" = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

/**
 * The running runtime's transport; with `tls`, its TLS transport (throws, naming the option,
 * for what the runtime cannot do).
 *
 * @example
 * ```ts
 * import { transportFor } from "./adapters/_runtime.ts";
 * console.log(typeof transportFor().listen); // "function"
 * ```
 */
export function transportFor(tls?: TlsServerOptions): Transport {
  if (tls === undefined) return runtime === "deno" ? denoTransport : runtime === "bun" ? bunTransport : nodeTransport;
  return runtime === "deno" ? createDenoTransport(tls) : runtime === "bun" ? createBunTransport(tls) : createNodeTransport(tls as never);
}
