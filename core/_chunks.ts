/**
 * Body chunks as Node code expects them: joined without changing their kind, and decoded to
 * strings for `setEncoding()` with Node's `StringDecoder` behaviour (a character split across
 * chunks is held back until its last byte arrives). Pure functions and small stateful
 * decoders over `Uint8Array`; no runtime APIs.
 *
 * @module
 */

import { latin1Decode } from "./_bytes.ts";
import { typeError } from "./errors.ts";

/**
 * Join `chunks` (`total` bytes) into one new array of the same kind as the first chunk.
 *
 * A transport may hand the core a subclass of `Uint8Array` (Node's and Bun's sockets give
 * `Buffer`s, and body chunks are views into them), and Node code calls `chunk.toString()` on
 * what a request yields. `Reflect.construct` with the chunk's constructor as `new.target`
 * makes a plain `Uint8Array` whose prototype is that class's, without calling the class
 * (so no `new Buffer(n)` deprecation) and without the core naming any runtime type.
 *
 * @example
 * ```ts
 * import { concatLike } from "./_chunks.ts";
 * const a = new Uint8Array([104, 105]);
 * console.log(concatLike([a, a], 4)); // Uint8Array(4) [104, 105, 104, 105]
 * ```
 */
export function concatLike(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const kind = chunks[0]?.constructor;
  const out = typeof kind === "function" && kind !== Uint8Array
    ? Reflect.construct(Uint8Array, [total], kind) as Uint8Array
    : new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}

/** Node's `StringDecoder` surface: `write()` returns complete characters, `end()` the rest. */
export interface ChunkDecoder {
  /** Node's normalised name of the encoding (`"utf8"`, `"latin1"`, ...). */
  readonly encoding: string;
  write(bytes: Uint8Array): string;
  end(): string;
}

const ENCODINGS: Record<string, string> = {
  "utf8": "utf8",
  "utf-8": "utf8",
  "utf16le": "utf16le",
  "utf-16le": "utf16le",
  "ucs2": "utf16le",
  "ucs-2": "utf16le",
  "latin1": "latin1",
  "binary": "latin1",
  "ascii": "ascii",
  "hex": "hex",
  "base64": "base64",
  "base64url": "base64url",
};

/**
 * A decoder for one of Node's encodings, or a `TypeError` (`ERR_UNKNOWN_ENCODING`) naming it.
 *
 * @example
 * ```ts
 * import { createChunkDecoder } from "./_chunks.ts";
 * const d = createChunkDecoder("utf8");
 * const euro = new Uint8Array([0xe2, 0x82, 0xac]);
 * console.log(d.write(euro.subarray(0, 1)) + d.write(euro.subarray(1)) + d.end()); // "€"
 * ```
 */
export function createChunkDecoder(encoding: string): ChunkDecoder {
  const name = ENCODINGS[String(encoding).toLowerCase()];
  switch (name) {
    case "utf8":
    case "utf16le": {
      // ignoreBOM: Node's StringDecoder keeps a leading BOM as U+FEFF.
      const d = new TextDecoder(name === "utf8" ? "utf-8" : "utf-16le", { ignoreBOM: true });
      return { encoding: name, write: (b) => d.decode(b, { stream: true }), end: () => d.decode() };
    }
    case "latin1":
      return { encoding: name, write: (b) => latin1Decode(b), end: () => "" };
    case "ascii":
      // Node: decoding as ascii clears the high bit of each byte.
      return { encoding: name, write: (b) => latin1Decode(b.map((x) => x & 0x7f)), end: () => "" };
    case "hex":
      return {
        encoding: name,
        write: (b) => {
          let s = "";
          for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
          return s;
        },
        end: () => "",
      };
    case "base64":
    case "base64url":
      return base64Decoder(name);
  }
  throw typeError("ERR_UNKNOWN_ENCODING", `Unknown encoding: ${String(encoding)}`);
}

// base64 works in groups of 3 bytes: a partial group waits for the next chunk, as in Node.
function base64Decoder(name: "base64" | "base64url"): ChunkDecoder {
  let held = new Uint8Array(0);
  const encode = (b: Uint8Array): string => {
    const s = btoa(latin1Decode(b));
    return name === "base64" ? s : s.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  return {
    encoding: name,
    write(b) {
      const all = held.byteLength ? concatLike([held, b], held.byteLength + b.byteLength) : b;
      const whole = all.byteLength - (all.byteLength % 3);
      held = all.slice(whole);
      return encode(all.subarray(0, whole));
    },
    end() {
      const rest = held;
      held = new Uint8Array(0);
      return rest.byteLength ? encode(rest) : "";
    },
  };
}
