/**
 * Byte helpers shared by the core: ISO-8859-1 (latin1) decoding and encoding, UTF-8 encoding,
 * concatenation. Pure functions over `Uint8Array`; no runtime APIs.
 *
 * Header bytes are ISO-8859-1 (RFC 9110 §5.5: field values are historically ISO-8859-1, and
 * Node exposes each byte as one UTF-16 code unit). `TextDecoder("latin1")` is *windows-1252*
 * per the WHATWG Encoding standard (0x80–0x9F map to other code points), so we decode with a
 * byte loop instead.
 *
 * @module
 */

const utf8 = new TextEncoder();
const NON_ASCII = /[^\x00-\x7f]/;

/** Decode `bytes[start, end)` as ISO-8859-1, one byte to one code unit. */
export function latin1Decode(bytes: Uint8Array, start = 0, end = bytes.byteLength): string {
  const len = end - start;
  if (len <= 0) return "";
  if (len < 13) {
    // Below V8's cons-string threshold concatenation makes flat strings; longer ones are
    // built in one call so later reads (charCodeAt, regex) need no flattening.
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
    return s;
  }
  if (len <= 4096) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  let s = "";
  // 4096 keeps the argument list well under every engine's apply() limit.
  for (let i = start; i < end; i += 4096) {
    const sub = bytes.subarray(i, Math.min(end, i + 4096));
    s += String.fromCharCode.apply(null, sub as unknown as number[]);
  }
  return s;
}

/**
 * Encode a string as ISO-8859-1: each code unit's low byte, as Node's `Buffer.from(s, "latin1")`
 * does. Callers that must reject code units above 0xFF check first.
 */
export function latin1Encode(s: string): Uint8Array {
  // ASCII (every response head without obs-text): the engine's encoder is several times
  // faster than a loop, and ASCII is the same in UTF-8 and latin1.
  if (!NON_ASCII.test(s)) return utf8.encode(s);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Encode a string as UTF-8. */
export function utf8Encode(s: string): Uint8Array {
  return utf8.encode(s);
}

/** Join chunks into one new array. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}

/** True if every code unit of `s` is ASCII (so its UTF-8 and latin1 encodings are the same). */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
