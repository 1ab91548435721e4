/**
 * The TLS options of `https.createServer`, as the three transports share them: which names are
 * TLS's (split off before the core sees the HTTP options), the default ALPN list, the options a
 * runtime cannot do refused by name, PEM material as text, and ALPN lists in wire format.
 * Bytes and option shapes only: no HTTP here.
 *
 * @module
 */
import { unavailableOption } from "../core/errors.ts";

/** A PEM value as node:tls takes it: text or bytes, one or several. */
export type Pem = string | Uint8Array | Array<string | Uint8Array | { pem: string | Uint8Array; passphrase?: string }>;

/** The TLS options of an https server that anyhttp reads (node:tls's names). */
export interface TlsServerOptions {
  /** The private key(s) in PEM. */
  key?: Pem;
  /** The certificate chain(s) in PEM. */
  cert?: Pem;
  /** CA certificates that client certificates must chain to (with `requestCert`). */
  ca?: Pem;
  /** Decrypts an encrypted `key` (or `pfx`). */
  passphrase?: string;
  /** Key and certificate as PKCS#12 (Node only). */
  pfx?: unknown;
  /** Ask the client for a certificate. */
  requestCert?: boolean;
  /** With `requestCert`: refuse a client whose certificate is missing or untrusted (default true). */
  rejectUnauthorized?: boolean;
  /** Protocols offered by ALPN, as names or in wire format. Default `["http/1.1"]`. */
  ALPNProtocols?: string[] | Uint8Array;
  /** Picks a secure context per SNI name (Node only). */
  SNICallback?: unknown;
  /** Milliseconds allowed for the handshake before the connection is closed (120 000, as Node). */
  handshakeTimeout?: number;
  /** Any other node:tls option (done on Node, refused by name on Deno and Bun). */
  [option: string]: unknown;
}

/**
 * Every server option of node:tls (`tls.createServer`, `tls.createSecureContext`) that
 * `https.createServer` takes: these go to the transport, the rest to the HTTP core.
 */
export const TLS_SERVER_OPTIONS: readonly string[] = [
  "ALPNCallback", "ALPNProtocols", "SNICallback", "allowPartialTrustChain", "ca", "cert", "ciphers",
  "clientCertEngine", "crl", "dhparam", "ecdhCurve", "enableTrace", "handshakeTimeout", "honorCipherOrder",
  "key", "maxVersion", "minVersion", "passphrase", "pfx", "privateKeyEngine", "privateKeyIdentifier",
  "pskCallback", "pskIdentityHint", "rejectUnauthorized", "requestCert", "secureContext", "secureOptions",
  "secureProtocol", "sessionIdContext", "sessionTimeout", "sigalgs", "ticketKeys",
];

/** node:https's default: a client offering ALPN is told HTTP/1.1. */
export const DEFAULT_ALPN: readonly string[] = ["http/1.1"];

/** Node's default `handshakeTimeout`: a connection that has not finished its handshake by then is closed. */
export const HANDSHAKE_TIMEOUT = 120_000;

/**
 * `options` split into its TLS options (with `ALPNProtocols` defaulted as node:https does) and
 * the rest, for the core.
 */
export function splitTlsOptions<T extends object>(options: T): [TlsServerOptions, T] {
  const tls: TlsServerOptions = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (TLS_SERVER_OPTIONS.includes(k)) {
      if (v !== undefined) tls[k] = v;
    } else rest[k] = v;
  }
  tls.ALPNProtocols ??= [...DEFAULT_ALPN];
  return [tls, rest as T];
}

/**
 * Throws for the first option set in `tls` that `runtime` cannot do: every name not in
 * `supported`, each with the reason in `why` (or a generic one).
 */
export function refuseTlsOptions(
  tls: TlsServerOptions,
  runtime: string,
  supported: readonly string[],
  why: Record<string, string> = {},
): void {
  for (const [k, v] of Object.entries(tls)) {
    if (v === undefined || supported.includes(k)) continue;
    throw unavailableOption(k, runtime, why[k] ?? `anyhttp's ${runtime} TLS transport has no such setting`);
  }
}

const utf8 = new TextDecoder();

/** One PEM value as text (the runtimes that take PEM want a string). */
export function pemText(v: string | Uint8Array): string {
  return typeof v === "string" ? v : utf8.decode(v);
}

/** `ALPNProtocols` as a list of names (node:tls also takes the wire format). */
export function alpnList(v: string[] | Uint8Array): string[] {
  if (Array.isArray(v)) return v.map(String);
  const out: string[] = [];
  for (let i = 0; i < v.byteLength;) {
    const n = v[i]!;
    out.push(utf8.decode(v.subarray(i + 1, i + 1 + n)));
    i += 1 + n;
  }
  return out;
}

/** `ALPNProtocols` in the wire format (each name prefixed by its length), as Bun takes it. */
export function alpnWire(v: string[] | Uint8Array): ArrayBuffer {
  const enc = new TextEncoder();
  const names = alpnList(v).map((n) => enc.encode(n));
  const out = new Uint8Array(names.reduce((a, n) => a + 1 + n.byteLength, 0));
  let off = 0;
  for (const n of names) {
    out[off++] = n.byteLength;
    out.set(n, off);
    off += n.byteLength;
  }
  return out.buffer;
}
