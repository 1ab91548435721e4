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

/** Below this length a charCodeAt loop beats a call into the engine's encoder. */
const SHORT = 24;

/** Write `s` as ISO-8859-1 at the start of `out` (which has room for `s.length` bytes). */
function writeLatin1(s: string, out: Uint8Array): void {
  const n = s.length;
  if (n >= SHORT) {
    // ASCII (every response head without obs-text) is the same in UTF-8 and latin1, and the
    // engine's encodeInto beats a charCodeAt loop on all three runtimes. It read and wrote
    // exactly n units only if there was nothing above 0x7F; otherwise redo it by hand.
    const r = utf8.encodeInto(s, out);
    if (r.read === n && r.written === n) return;
  }
  putLatin1(s, out, 0);
}

/** Write `s` as ISO-8859-1 into `out` from `at`; returns the offset after it. */
function putLatin1(s: string, out: Uint8Array, at: number): number {
  const n = s.length;
  for (let i = 0; i < n; i++) out[at + i] = s.charCodeAt(i);
  return at + n;
}

/** Copy `chunks` one after another into `out` from `at`. */
function copyChunks(chunks: readonly Uint8Array[], out: Uint8Array, at: number): void {
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
}

/**
 * Encode a string as ISO-8859-1: each code unit's low byte, as Node's `Buffer.from(s, "latin1")`
 * does. Callers that must reject code units above 0xFF check first.
 */
export function latin1Encode(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  writeLatin1(s, out);
  return out;
}

// Outgoing wire bytes are carved from shared slabs instead of one allocation each: a typed
// array of its own costs an off-heap backing store and GC bookkeeping. A region is never
// reused for other bytes, so a transport may keep any chunk as long as it likes; a slab is
// freed when no region of it is referenced any more. Nothing writes to bytes once handed out
// (the transport contract), so the same bytes may be handed out again (encodeHeadText).
// 256 KiB: per byte handed out, cheaper to allocate than 64 KiB slabs on all three runtimes.
const SLAB_SIZE = 256 * 1024;
/** Regions above this get an allocation of their own (the head + body join limit). */
const SLAB_MAX = 16 * 1024;

// Regions below this many bytes are typed arrays of their own, not slab views. 0 (never) by
// default: on V8 a fresh `new Uint8Array(160)` costs ~440 ns (an off-heap backing store; Node
// 20.20.2 and Deno 2.9.6) against ~34 ns for a slab view. JSC is the other way round: on Bun
// 1.4.5 a fresh array costs 25 ns against 55 ns for a view (a view makes its ArrayBuffer
// "wasteful", with its own wrapper), and the two meet at about 1000 bytes, where JSC stops
// allocating typed arrays in its GC heap. Set by `allocateFreshBelow`.
let freshBelow = 0;

/**
 * @internal Make regions of fewer than `n` bytes typed arrays of their own (0: always slab
 * views). A transport calls this when its engine allocates small typed arrays faster than it
 * makes views (the Bun transport does, with 1000, when it listens). Bytes never change, only
 * where they live.
 */
export function allocateFreshBelow(n: number): void {
  freshBelow = n;
}

/** Fresh regions carved one after another from shared buffers of SLAB_SIZE. */
class Slab {
  #buffer = new ArrayBuffer(0);
  #offset = 0;

  /** A fresh, zeroed region of `n` bytes that nothing else refers to. */
  take(n: number): Uint8Array {
    if (n > SLAB_MAX || n < freshBelow) return new Uint8Array(n);
    if (this.#offset + n > this.#buffer.byteLength) {
      this.#buffer = new ArrayBuffer(SLAB_SIZE);
      this.#offset = 0;
    }
    // The constructor, not subarray(): subarray looks up the species constructor.
    const out = new Uint8Array(this.#buffer, this.#offset, n);
    this.#offset += n;
    return out;
  }
}

// Two slabs: what goes on the wire, and body strings encoded on their way there. Keeping them
// apart keeps consecutive responses adjacent in the wire slab, so a pipeline's answers join
// into one write without a copy (see joinWire).
const wire = new Slab();
const scratch = new Slab();

/** `text` (ISO-8859-1) in a wire buffer: an informational response's head. */
export function encodeWire(text: string): Uint8Array {
  const out = wire.take(text.length);
  writeLatin1(text, out);
  return out;
}

/**
 * A response head as its parts: the status line (with its CRLF), then field names and values
 * alternating, each value already a string. Lines are `name: value` CRLF; a CRLF ends the head.
 */
export type HeadParts = string[];

const NO_TAIL: readonly Uint8Array[] = [];

/** The head's text, for `res._header`. */
export function headText(parts: HeadParts): string {
  let s = parts[0];
  for (let i = 1; i < parts.length; i += 2) s += `${parts[i]}: ${parts[i + 1]}\r\n`;
  return s + "\r\n";
}

// The last head built: its parts and, once encoded, a copy of its bytes. Consecutive responses
// of a server usually have the same head within a second (the Date value changes once a
// second) and their parts are mostly the very same string objects (literal names and values,
// the cached status line and Date), so comparing parts is a pointer check each. A head equal
// to the last one is that same (never modified) array, and its bytes are copied instead of
// encoded. A copy, not a view of the slab: a view would keep a whole slab alive.
let lastParts: HeadParts = [];
let lastHeadBytes: Uint8Array | null = null;

/**
 * A head being built: its parts written by index into an array kept from one head to the
 * next. Neither `push()` nor `parts.length = 0` (a runtime call on V8: ~50 ns on Node 20.20.2
 * and Deno 2.9.6, against ~10 ns for the indexed writes of a whole head).
 */
export class HeadDraft {
  /** The parts; only the first `n` are this head's. */
  readonly parts: string[] = [];
  /** How many parts the head has so far. */
  n = 0;
  /** Entries written past `n` by an earlier, longer head (cleared by shareHead). */
  high = 0;

  /** Start a head with its status line. */
  begin(statusLine: string): void {
    this.parts[0] = statusLine;
    this.n = 1;
  }
  /** Add a field line. */
  add(name: string, value: string): void {
    const parts = this.parts;
    const n = this.n;
    parts[n] = name;
    parts[n + 1] = value;
    this.n = n + 2;
  }
}

/**
 * The head whose parts are `draft`'s (left as they are): the last head built if it has the
 * same parts, else a new array of them.
 */
export function shareHead(draft: HeadDraft): HeadParts {
  const parts = draft.parts;
  const n = draft.n;
  // An earlier, longer head's strings are not kept alive by the scratch array.
  if (draft.high > n) for (let i = n; i < draft.high; i++) parts[i] = "";
  draft.high = n;
  const last = lastParts;
  if (last.length === n) {
    let i = 0;
    while (i < n && parts[i] === last[i]) i++;
    if (i === n) return last;
  }
  lastParts = parts.slice(0, n);
  lastHeadBytes = null;
  return lastParts;
}

/** Longest string {@link shortAscii} says yes to. */
const SHORT_TEXT = 64;

/**
 * True if `s` has at most 64 code units, all below 0x80: its UTF-8 bytes are its code units,
 * one each, so it can be written straight into a head's buffer (see encodeHead).
 */
export function shortAscii(s: string): boolean {
  const n = s.length;
  if (n > SHORT_TEXT) return false;
  let all = 0;
  for (let i = 0; i < n; i++) all |= s.charCodeAt(i);
  return all < 0x80;
}

/**
 * One wire buffer holding the head `parts` (see HeadParts) followed by `tail` (`tailBytes`
 * long in total): a response head and its body leave as one write, copied once. A string
 * tail is one {@link shortAscii} said yes to, written as it is (`tailBytes` is its length).
 */
export function encodeHead(parts: HeadParts, tail: readonly Uint8Array[] | string = NO_TAIL, tailBytes = 0): Uint8Array {
  const count = parts.length;
  // Each field line adds ": " and CRLF; the empty line ending the head adds a CRLF.
  let n = parts[0].length + 2 + 2 * (count - 1);
  for (let i = 1; i < count; i++) n += parts[i].length;
  const out = wire.take(n + tailBytes);
  if (parts === lastParts && lastHeadBytes !== null) {
    out.set(lastHeadBytes);
  } else {
    let at = putLatin1(parts[0], out, 0);
    for (let i = 1; i < count; i += 2) {
      at = putLatin1(parts[i], out, at);
      out[at++] = 0x3a; // ":"
      out[at++] = 0x20;
      at = putLatin1(parts[i + 1], out, at);
      out[at++] = 0x0d;
      out[at++] = 0x0a;
    }
    out[at++] = 0x0d;
    out[at] = 0x0a;
    if (parts === lastParts) lastHeadBytes = out.slice(0, n);
  }
  if (typeof tail === "string") putLatin1(tail, out, n);
  else copyChunks(tail, out, n);
  return out;
}

// The last whole response built by encodeHeadText: the head it had (the last head built), its
// text, and its bytes.
let lastWholeHead: HeadParts | null = null;
let lastWholeText = "";
let lastWhole: Uint8Array | null = null;

/**
 * A response of the head `parts` and the body `text` (one {@link shortAscii} said yes to), as
 * one wire buffer. The same response as the last one (the same head, equal text) is the very
 * same buffer: nothing in the core or a transport writes to bytes handed out (see Slab), so
 * the same bytes may go out again, as a precomputed response does. That skips a region, the
 * copies, and has the kernel read bytes that are already in the CPU's caches.
 */
export function encodeHeadText(parts: HeadParts, text: string): Uint8Array {
  if (parts === lastWholeHead && text === lastWholeText && lastWhole !== null) return lastWhole;
  const out = encodeHead(parts, text, text.length);
  if (parts === lastParts) {
    lastWholeHead = parts;
    lastWholeText = text;
    // A copy: a view would keep its whole slab alive.
    lastWhole = out.slice();
  }
  return out;
}

/** Encode a string as UTF-8. */
export function utf8Encode(s: string): Uint8Array {
  const n = s.length;
  if (n < SHORT) {
    const out = scratch.take(n);
    let all = 0;
    for (let i = 0; i < n; i++) all |= out[i] = s.charCodeAt(i);
    if (all < 0x80) return out;
  } else if (n <= SLAB_MAX) {
    // Most bodies written as strings are short ASCII: encode into a slab (see Slab).
    // All n units read into n bytes means there was nothing above 0x7F.
    const out = scratch.take(n);
    if (utf8.encodeInto(s, out).read === n) return out;
  }
  return utf8.encode(s);
}

/** Join chunks into one new array. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  const out = new Uint8Array(n);
  copyChunks(chunks, out, 0);
  return out;
}

/**
 * `chunks` (`size` bytes in total) as one array for a single write. Consecutive regions of one
 * buffer (responses encoded one after another into the same slab: a pipeline's answers) are
 * joined as a view, without copying; anything else is copied once into a wire buffer.
 */
export function joinWire(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const first = chunks[0];
  if (chunks.length === 1) return first;
  let end = first.byteOffset + first.byteLength;
  for (let i = 1; i < chunks.length; i++) {
    const c = chunks[i];
    if (c.buffer !== first.buffer || c.byteOffset !== end) {
      const out = wire.take(size);
      copyChunks(chunks, out, 0);
      return out;
    }
    end += c.byteLength;
  }
  return new Uint8Array(first.buffer, first.byteOffset, size);
}
