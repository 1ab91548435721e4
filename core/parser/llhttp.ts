/**
 * Our binding to llhttp's WebAssembly build: turns request bytes into heads, body views and
 * message boundaries.
 *
 * It owns: the one shared wasm instance (compiled lazily, SIMD first, plain as fallback), the
 * reusable input buffer in wasm memory, the per-connection llhttp state, joining URL and header
 * fragments when a span crosses a chunk boundary, ISO-8859-1 decoding of head bytes, the header
 * size limit, and the pause after every message.
 *
 * It must not know: sockets, responses, timers or users' code. Callbacks from wasm only record
 * into plain fields; nothing user-visible runs while wasm frames are on the stack. The caller
 * (the connection) acts on the result after `execute()` returns.
 *
 * The shape follows undici's `lib/dispatcher/client-h1.js`: a guarded "current parser" around
 * every `llhttp_execute`, `HPE_PAUSED` returned from `on_message_complete`, and
 * `llhttp_get_error_pos` telling how much of the chunk was consumed.
 *
 * @module
 */

import { latin1Decode } from "../_bytes.ts";
import { RemoteProtocolError } from "../errors.ts";
import { llhttpSimdWasm, llhttpWasm } from "./_wasm.ts";

// llhttp's error numbers we act on (llhttp `enum llhttp_errno`, constants.js in undici).
const HPE_OK = 0;
const HPE_PAUSED = 21;
const HPE_PAUSED_UPGRADE = 22;
const HPE_USER = 24;
const TYPE_REQUEST = 1;
// What a recorded span is. (Whether it continues the previous one, belongs to the trailers
// or is over maxHeadersCount is worked out by #materialize, not in the callbacks.)
const SPAN_URL = 0;
const SPAN_FIELD = 1;
const SPAN_VALUE = 2;
// Sections, as bits of #complete ("now whole") and #ws ("a value span ended in SP/HTAB").
const HEADERS = 1;
const TRAILERS = 2;
// Placeholder while idle; #startMessage() installs fresh arrays before anything is pushed.
const NONE: string[] = [];
const METHOD_CONNECT = 5;

/** The llhttp wasm module's exports that the binding calls. */
export interface LlhttpExports {
  /** The module's linear memory: parser state and the input buffer live here. */
  memory: WebAssembly.Memory;
  /** WASI reactor start-up, where the build has one: run once before any other call. */
  _initialize?: () => void;
  /** A new parser of `type` (1: requests); returns its pointer. */
  llhttp_alloc(type: number): number;
  /** Release a parser from `llhttp_alloc`. */
  llhttp_free(p: number): void;
  /** Parse `len` bytes at `data`; returns an errno (0: ok, `HPE_PAUSED` when a callback paused). */
  llhttp_execute(p: number, data: number, len: number): number;
  /** Tell the parser the input ended (EOF); returns an errno. */
  llhttp_finish(p: number): number;
  /** Continue after `HPE_PAUSED`. */
  llhttp_resume(p: number): void;
  /** Continue after `HPE_PAUSED_UPGRADE`. */
  llhttp_resume_after_upgrade(p: number): void;
  /** Back to the start of a message, keeping settings and callbacks. */
  llhttp_reset(p: number): void;
  /** Pointer to the byte where the last execute stopped (error or pause). */
  llhttp_get_error_pos(p: number): number;
  /** Pointer to the NUL-terminated reason of the last error. */
  llhttp_get_error_reason(p: number): number;
  /** The last errno. */
  llhttp_get_errno(p: number): number;
  /** Pointer to the NUL-terminated name of `errno`, e.g. `HPE_INVALID_METHOD`. */
  llhttp_errno_name(errno: number): number;
  /** Pointer to the NUL-terminated name of method number `method`. */
  llhttp_method_name(method: number): number;
  /** The parsed request's method number. */
  llhttp_get_method(p: number): number;
  /** The parsed request's HTTP major version. */
  llhttp_get_http_major(p: number): number;
  /** The parsed request's HTTP minor version. */
  llhttp_get_http_minor(p: number): number;
  /** Lenient parsing of header values (no `HPE_INVALID_HEADER_TOKEN`); 1 on, 0 off. */
  llhttp_set_lenient_headers(p: number, on: number): void;
  /** Let `Transfer-Encoding` and `Content-Length` appear together. */
  llhttp_set_lenient_chunked_length(p: number, on: number): void;
  /** Parse a request after one with `Connection: close`. */
  llhttp_set_lenient_keep_alive(p: number, on: number): void;
  /** Let `chunked` be followed by another transfer coding (body read until close). */
  llhttp_set_lenient_transfer_encoding(p: number, on: number): void;
  /** Accept any `HTTP/x.y` version. */
  llhttp_set_lenient_version(p: number, on: number): void;
  /** Discard, instead of failing on, bytes after a `Connection: close` message. */
  llhttp_set_lenient_data_after_close(p: number, on: number): void;
  /** Accept a bare CR as a line end. */
  llhttp_set_lenient_optional_lf_after_cr(p: number, on: number): void;
  /** Accept chunk data not followed by CRLF. */
  llhttp_set_lenient_optional_crlf_after_chunk(p: number, on: number): void;
  /** Accept a bare LF as a line end. */
  llhttp_set_lenient_optional_cr_before_lf(p: number, on: number): void;
  /** Accept spaces after a chunk size. */
  llhttp_set_lenient_spaces_after_chunk_size(p: number, on: number): void;
  /** Allocate `n` bytes in wasm memory; returns the pointer. */
  malloc(n: number): number;
  /** Release memory from `malloc`. */
  free(p: number): void;
}

/** Every wasm export the binding calls; a test checks the module provides each. */
export const REQUIRED_EXPORTS = [
  "memory", "llhttp_alloc", "llhttp_free", "llhttp_execute", "llhttp_finish", "llhttp_resume",
  "llhttp_resume_after_upgrade",
  "llhttp_reset", "llhttp_get_error_pos", "llhttp_get_error_reason", "llhttp_get_errno",
  "llhttp_errno_name", "llhttp_method_name", "llhttp_get_method", "llhttp_get_http_major",
  "llhttp_get_http_minor", "malloc", "free",
  "llhttp_set_lenient_headers", "llhttp_set_lenient_chunked_length", "llhttp_set_lenient_keep_alive",
  "llhttp_set_lenient_transfer_encoding", "llhttp_set_lenient_version", "llhttp_set_lenient_data_after_close",
  "llhttp_set_lenient_optional_lf_after_cr", "llhttp_set_lenient_optional_crlf_after_chunk",
  "llhttp_set_lenient_optional_cr_before_lf", "llhttp_set_lenient_spaces_after_chunk_size",
] as const;

type LenientSetter = Extract<keyof LlhttpExports, `llhttp_set_lenient_${string}`>;

/**
 * llhttp's lenient flags and what `insecureHTTPParser: true` does with each. Node turns all ten
 * on; we turn on only those that cannot make us frame a request differently from a strict
 * parser in front of us (RFC 9112 §11.2, request smuggling: the danger is two parties
 * disagreeing on where a message ends). What each one opens:
 */
export const LENIENT_INSECURE: Readonly<Record<LenientSetter, boolean>> = {
  // Any byte but CR/LF in a header value (`a\x01b`): the reason people set the option. Framing
  // fields are still checked strictly by the connection (RFC 9110 §8.6, §6.1), so this cannot
  // change a body length: ON.
  llhttp_set_lenient_headers: true,
  // Transfer-Encoding with Content-Length. RFC 9112 §6.3 item 3 allows reading by
  // Transfer-Encoding if the connection closes after the response, which the connection does:
  // ON, with that close.
  llhttp_set_lenient_chunked_length: true,
  // `chunked` not last (`chunked, gzip`): the body would be read until close (RFC 9112 §6.3
  // item 4 says 400). The connection answers 501 to any coding but chunked anyway: OFF.
  llhttp_set_lenient_transfer_encoding: false,
  // More requests after `Connection: close`, or bytes after it discarded instead of an error:
  // the connection stops reading after such a request either way, so nothing changes: OFF.
  llhttp_set_lenient_keep_alive: false,
  llhttp_set_lenient_data_after_close: false,
  // A version other than 0.9/1.0/1.1/2.0 (`HTTP/1.7`): framing is HTTP/1.1's, major 1 only
  // (the connection answers 505 to other majors): ON.
  llhttp_set_lenient_version: true,
  // A bare LF as a line end: RFC 9112 §2.2 lets a recipient accept it: ON.
  llhttp_set_lenient_optional_cr_before_lf: true,
  // A bare CR as a line end: RFC 9112 §2.2 says a bare CR MUST be rejected or replaced by SP;
  // a proxy reading it as SP sees one header where we would see two (smuggling): OFF.
  llhttp_set_lenient_optional_lf_after_cr: false,
  // Chunk data without its CRLF, or spaces after a chunk size: the chunk boundaries a strict
  // parser finds are not ours, so a body can end at another byte (smuggling): OFF.
  llhttp_set_lenient_optional_crlf_after_chunk: false,
  llhttp_set_lenient_spaces_after_chunk_size: false,
};

// "HTTP/": what must follow the request-target (RFC 9112 §3: HTTP-version = "HTTP/" DIGIT "." DIGIT).
const HTTP_NAME = [0x48, 0x54, 0x54, 0x50, 0x2f];
// Spans closer than this are decoded as one string and sliced (see #materialize). Between
// spans of one head lie ": ", CRLF, or " HTTP/1.1" + CRLF after the URL; the bound keeps a
// body between headers and trailers (or any other gap) from being decoded for nothing.
const MAX_GAP = 64;
/**
 * Bytes allowed between two pieces of a chunked body's data (and between the head and the
 * first piece): a chunk-size line with its extensions, and CRLFs. llhttp parses extensions
 * without a callback and passes nothing of them on, but a client could send them without end;
 * Node stops at 16 KiB of extensions with 413 (its fix for CVE-2024-22019), so do we. The
 * count is per gap, so any number of small chunks is fine; trailer fields are counted against
 * maxHeaderSize instead and left out.
 */
export const MAX_CHUNK_FRAMING = 16 * 1024;
// ASCII decodes the same as UTF-8 and as ISO-8859-1, and the engines' UTF-8 decoder is far
// faster than building a string in JS. `ignoreBOM`: never swallow a leading EF BB BF (not
// ASCII anyway, so the length check in decodeSpan sends it to the latin1 loop).
const utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true });
// Below this many bytes the byte loop beats the decoder's fixed cost per call (24: between
// where the decoder starts to win on Node and on Deno; on Bun it wins at any size).
const DECODER_MIN = 24;

/** Which build is running: `"simd"` or `"plain"`, once the module is compiled. */
export let llhttpBuild: "simd" | "plain" | undefined;

/**
 * The one llhttp instance, and all the state its callbacks read and write.
 *
 * llhttp's wasm calls back into JS through the module's imports, with nothing but the llhttp
 * state pointer, so what a callback needs (which parser runs, which chunk, where to record a
 * span, the running header count) cannot be passed in: it lives here. The imports are
 * closures over this object, made with the instance. A parser sets the "one call" fields
 * before `llhttp_execute` / `llhttp_finish` and clears them after (`RequestParser#run`,
 * `finish()`); the spans its callbacks record are read and emptied by `#materialize` before
 * `execute()` returns. Only one parser is inside wasm at a time: callbacks run no user code.
 * (undici keeps the same things as module variables: `currentParser`, `currentBufferRef`,
 * `currentBufferPtr` in `lib/dispatcher/client-h1.js`.)
 */
class Binding {
  // ---- the instance --------------------------------------------------------------------

  /** The instance's exports. */
  readonly wasm: LlhttpExports;
  /** Which bytes were compiled: the SIMD build, or the plain one where the engine has no SIMD. */
  readonly build: "simd" | "plain";
  /** Method names by llhttp's method number, read from wasm on first use. */
  readonly methodNames: string[] = [];

  // ---- the input buffer in wasm memory, shared by every parser -------------------------

  /** Where it starts (0: not allocated yet). */
  inputPtr = 0;
  /** Its size in bytes. */
  inputSize = 0;
  // What it holds: a pipelined chunk executed again from `consumed` is a view into the same
  // bytes, so a pipeline is copied in once, not once per request.
  /** The parser whose chunk was copied last. */
  inputOwner: RequestParser | null = null;
  /** That chunk. */
  inputChunk: Uint8Array | null = null;
  /** The byte of `inputChunk` copied to `inputPtr`. */
  inputStart = 0;

  // ---- a view of wasm memory -----------------------------------------------------------
  // One view (and its buffer) instead of one per execute(). Growing wasm memory (malloc of a
  // bigger input buffer) detaches the old ArrayBuffer, and a view of a detached buffer has
  // length 0, so `memory()` remakes both then, without calling the `memory.buffer` getter.

  /** All of wasm memory; read it through `memory()`. */
  mem8 = new Uint8Array(0);
  /** `mem8.buffer`, kept so `decodeSpan` does not read it. */
  memBuffer: ArrayBufferLike = this.mem8.buffer;

  // ---- one llhttp_execute() or llhttp_finish(): set by the parser, read by callbacks ---

  /** The parser inside wasm, or null. */
  parser: RequestParser | null = null;
  /** The chunk being executed; body views are cut from it. */
  chunk: Uint8Array | null = null;
  /** Wasm address of `chunk[0]`: address `at` is `chunk[at - chunkBase]`. */
  chunkBase = 0;
  /** The executing parser's limit on URL + header bytes. */
  maxHeaderSize = 0;
  /**
   * The executing parser's URL + header byte count, and its URL byte count: kept here during
   * llhttp_execute so the span callbacks touch no parser (loaded and stored back by `#run`).
   */
  headerBytes = 0;
  urlBytes = 0;

  // ---- one execute(): recorded by callbacks, read and emptied by #materialize ----------

  /** Spans: [kind, wasm address, length] each. Only one parser executes at a time. */
  spans = new Int32Array(3 * 64);
  /** Ints used in `spans` (3 per span). */
  spanCount = 0;
  /** Where in `spans` the head ended, or -1; the spans after it are trailers. */
  headEnd = -1;
  /** Wasm address where the last URL piece ends, or -1. */
  urlEnd = -1;

  /**
   * Compile and instantiate llhttp (SIMD build first; the plain build where the engine
   * rejects SIMD). Synchronous: 54 KB compiles in a few milliseconds on every runtime.
   */
  constructor() {
    const imports = {
      env: {
        wasm_on_message_begin: (_p: number) => this.parser!.onMessageBegin(),
        wasm_on_url: (_p: number, at: number, len: number) => this.record(SPAN_URL, at, len),
        wasm_on_status: () => 0,
        wasm_on_header_field: (_p: number, at: number, len: number) => this.record(SPAN_FIELD, at, len),
        wasm_on_header_value: (_p: number, at: number, len: number) => this.record(SPAN_VALUE, at, len),
        wasm_on_headers_complete: (p: number, _status: number, upgrade: number, keepAlive: number) =>
          this.parser!.onHeadersComplete(p, upgrade === 1, keepAlive === 1),
        wasm_on_body: (_p: number, at: number, len: number) => this.parser!.onBody(at, len),
        wasm_on_message_complete: (_p: number) => this.parser!.onMessageComplete(),
      },
    };
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(new WebAssembly.Module(llhttpSimdWasm as BufferSource), imports);
      this.build = "simd";
    } catch {
      instance = new WebAssembly.Instance(new WebAssembly.Module(llhttpWasm as BufferSource), imports);
      this.build = "plain";
    }
    this.wasm = instance.exports as unknown as LlhttpExports;
    this.wasm._initialize?.();
  }

  /** `mem8`, remade if wasm memory grew since. */
  memory(): Uint8Array {
    if (this.mem8.byteLength === 0) {
      this.memBuffer = this.wasm.memory.buffer;
      this.mem8 = new Uint8Array(this.memBuffer);
    }
    return this.mem8;
  }

  /**
   * Put `chunk` from byte `start` in the input buffer for `owner`; returns its wasm address.
   * The rest of the chunk copied last time (a pipelined request after the one just parsed) is
   * still there: it is parsed in place. Recognised by the chunk object itself, not its
   * ArrayBuffer: reading `.buffer` makes JSC build an ArrayBuffer object for each Bun read.
   */
  input(owner: RequestParser, chunk: Uint8Array, start: number, len: number): number {
    if (this.inputOwner === owner && chunk === this.inputChunk && start >= this.inputStart) {
      return this.inputPtr + (start - this.inputStart);
    }
    if (len > this.inputSize) {
      const w = this.wasm;
      if (this.inputPtr) w.free(this.inputPtr);
      // Multiples of 4 KiB so steady traffic stops reallocating quickly (undici does the same).
      this.inputSize = Math.ceil(len / 4096) * 4096;
      this.inputPtr = w.malloc(this.inputSize);
    }
    this.memory().set(start === 0 ? chunk : chunk.subarray(start), this.inputPtr);
    this.inputOwner = owner;
    this.inputChunk = chunk;
    this.inputStart = start;
    return this.inputPtr;
  }

  /**
   * Append a span to `spans`, count its bytes against maxHeaderSize. Called for every URL, name
   * and value piece, so it does the least it can: which span continues which, which are
   * trailers and which are over maxHeadersCount is decided once, after execute (#materialize).
   */
  record(kind: number, at: number, len: number): number {
    let list = this.spans;
    const i = this.spanCount;
    if (i === list.length) {
      const grown = new Int32Array(i * 2);
      grown.set(list);
      this.spans = list = grown;
    }
    list[i] = kind;
    list[i + 1] = at;
    list[i + 2] = len;
    this.spanCount = i + 3;
    const headerBytes = this.headerBytes += len;
    if (kind === SPAN_URL) {
      this.urlBytes += len;
      this.urlEnd = at + len;
    }
    return headerBytes > this.maxHeaderSize ? this.parser!.overLimit(this.urlBytes) : 0;
  }

  /**
   * `mem[lo, hi)` as ISO-8859-1. Pure ASCII goes through the UTF-8 decoder: if any byte is
   * 0x80 or above, the result is either shorter than the input (a valid multi-byte sequence)
   * or holds U+FFFD (an invalid one; a real U+FFFD in the input is 3 bytes, so also shorter),
   * and then the byte-exact latin1 loop decodes it instead. (TextDecoder("latin1") is
   * windows-1252 and maps 0x80–0x9F elsewhere, so it is never used.)
   */
  decodeSpan(mem: Uint8Array, lo: number, hi: number): string {
    const n = hi - lo;
    if (n >= DECODER_MIN) {
      // A new view, not mem.subarray(): no species lookup.
      const s = utf8Decoder.decode(new Uint8Array(this.memBuffer, lo, n));
      if (s.length === n && s.indexOf("\uFFFD") === -1) return s;
    }
    return latin1Decode(mem, lo, hi);
  }

  /** The NUL-terminated string at `ptr`. */
  cString(ptr: number): string {
    const mem = this.memory();
    let end = ptr;
    while (mem[end] !== 0) end++;
    return latin1Decode(mem, ptr, end);
  }
}

// The binding, made on first use (a module that only imports the core compiles nothing).
let binding: Binding | undefined;

/**
 * Compile and instantiate llhttp once (SIMD build first; the plain build where the engine
 * rejects SIMD) and return its exports.
 */
export function loadLlhttp(): LlhttpExports {
  if (binding) return binding.wasm;
  binding = new Binding();
  llhttpBuild = binding.build;
  return binding.wasm;
}

/** Limits enforced while parsing. */
export interface ParserLimits {
  /**
   * Bytes of request-target + header names + header values (Node counts the same spans).
   * Over it: 431, or 414 when the request-target alone is over it.
   */
  maxHeaderSize: number;
  /** Header lines kept in `rawHeaders`; the rest are parsed and dropped, as Node does. */
  maxHeadersCount: number;
}

/** What `execute()` stopped on. */
export type ExecuteResult =
  /** The whole chunk was consumed and no message ended in it. */
  | "ok"
  /** A message ended; `consumed` bytes were used; call `resume()` before executing the rest. */
  | "complete"
  /**
   * An upgrade or CONNECT that `acceptUpgrade` took: the head ended at `consumed`, and the
   * rest of the bytes belong to the new protocol. The parser is done with this connection.
   */
  | "upgrade"
  /**
   * An Upgrade head for which `acceptUpgrade` said `"ask"`: the head ended at `consumed`.
   * Hand the rest over, or call `resume()` and execute the rest as HTTP/1.1.
   */
  | "ask"
  /** The peer sent invalid HTTP; see `error`. The parser is unusable until `reset()`. */
  | "error";

/**
 * One connection's request parser.
 *
 * After `execute(chunk)` the fields below describe what the chunk contained: `headComplete`
 * is set once the head of the current message was parsed (read `method`, `url`, ...),
 * `bodyChunks` holds views into `chunk` (never into wasm memory), and the result says whether
 * the message ended.
 *
 * @example
 * ```ts
 * import { RequestParser } from "@anyhttp/anyhttp/core";
 * const p = new RequestParser({ maxHeaderSize: 16384, maxHeadersCount: 2000 });
 * const result = p.execute(new TextEncoder().encode("GET /hi HTTP/1.1\r\nHost: a\r\n\r\n"));
 * console.log(result, p.method, p.url, p.rawHeaders); // complete GET /hi [ "Host", "a" ]
 * p.free();
 * ```
 */
export class RequestParser {
  #ptr: number;
  #headerBytes = 0;
  #urlBytes = 0;
  // 0: nothing yet, 1: last span was a field, 2: last span was a value.
  #span: 0 | 1 | 2 = 0;
  #fieldCount = 0;
  #complete = 0;
  #ws = 0;
  #maxHeaderSize: number;
  #maxHeadersCount: number;
  /** Bytes this parser consumed before the current execute() (stream offsets for the gap). */
  #pos = 0;
  /** Stream offset minus wasm address, during execute(). */
  #virt = 0;
  /** Stream offset where the current run of non-body bytes in a body began; -1 outside a body. */
  #gapFrom = -1;
  /** Stream offset just past the last span recorded in an earlier execute(). */
  #lastSpanEnd = 0;
  /** Stream offset of the next request-line byte to check against "HTTP/", or -1. */
  #protoAt = -1;
  /** Bytes of "HTTP/" matched so far. */
  #protoMatched = 0;

  /** Bytes of the last chunk that `execute()` used. */
  consumed = 0;
  /** True between a message's head and its end. */
  headComplete = false;
  /** Set when the head of the current message finished during the last `execute()`. */
  headJustCompleted = false;
  /** The request method, e.g. `"GET"`. */
  method = "";
  /** The request-target as sent. */
  url = "";
  /** HTTP major version of the request line. */
  versionMajor = 1;
  /** HTTP minor version of the request line. */
  versionMinor = 1;
  /** Field names and values, alternating, as sent (trailing whitespace removed). */
  rawHeaders: string[] = [];
  /** Trailer fields of a chunked body, alternating, as sent. */
  rawTrailers: string[] = [];
  /** llhttp's keep-alive verdict from the version and `Connection` header. */
  shouldKeepAlive = false;
  /** `CONNECT`, or `Connection: upgrade` with `Upgrade`. */
  upgrade = false;
  /** Body bytes seen during the last `execute()`, as views into its chunk. */
  bodyChunks: Uint8Array[] = [];
  /** Set when `execute()` returned `"error"`. */
  error: RemoteProtocolError | null = null;
  /**
   * Asked when a request head asks to leave HTTP (`CONNECT`, or `Upgrade` with
   * `Connection: upgrade`): `true` hands the connection over after the head (`"upgrade"`),
   * `false` ignores the upgrade and keeps parsing HTTP/1.1 (RFC 9110 §7.8 lets a server ignore
   * `Upgrade`). Must not run user code: it is called from inside wasm.
   */
  acceptUpgrade: (isConnect: boolean) => boolean | "ask" = () => false;
  #upgradeAccepted = false;
  /** Set when the last `execute()` stopped at an Upgrade head to ask (`"ask"`). */
  upgradeAsked = false;
  #lenient = false;
  #limitError: RemoteProtocolError | null = null;

  /** A request parser on the shared llhttp instance (compiled on first use). */
  constructor(limits: ParserLimits) {
    const w = loadLlhttp();
    this.#maxHeaderSize = limits.maxHeaderSize;
    this.#maxHeadersCount = limits.maxHeadersCount;
    this.#ptr = w.llhttp_alloc(TYPE_REQUEST);
  }

  /** Apply other limits (a parser reused for another connection, see `reset()`). */
  setLimits(limits: ParserLimits): void {
    this.#maxHeaderSize = limits.maxHeaderSize;
    this.#maxHeadersCount = limits.maxHeadersCount;
  }

  /** Turn the lenient flags of {@link LENIENT_INSECURE} on or off (`insecureHTTPParser`). */
  setLenient(on: boolean): void {
    if (on === this.#lenient) return;
    this.#lenient = on;
    const w = binding!.wasm;
    for (const name in LENIENT_INSECURE) {
      if (LENIENT_INSECURE[name as LenientSetter]) w[name as LenientSetter](this.#ptr, on ? 1 : 0);
    }
  }

  /**
   * Parse `chunk` from byte `start`. Stops at the end of a message (`"complete"`), so pipelined
   * requests come out one at a time: after handling the message, call `resume()` and execute
   * the same chunk from `start + consumed` (`consumed` counts from `start`).
   */
  execute(chunk: Uint8Array, start = 0): ExecuteResult {
    const b = binding!;
    const w = b.wasm;
    const len = chunk.byteLength - start;
    const base = b.input(this, chunk, start, len);
    if (this.bodyChunks.length !== 0) this.bodyChunks.length = 0;
    this.headJustCompleted = false;
    this.upgradeAsked = false;
    // Nothing is left from an execute() that threw (an exception from acceptUpgrade).
    b.spanCount = 0;
    b.headEnd = -1;
    b.urlEnd = -1;
    // Spans of this execute() are trailers from the start if the head was already complete
    // (read now: on_message_complete clears headComplete during the run).
    const inTrailers = this.headComplete;
    this.#virt = this.#pos - base;
    // Body views index into `chunk`: wasm address at maps to chunk[at - (base - start)].
    let ret = this.#run(b, base, len, chunk, base - start);
    if (ret === HPE_PAUSED_UPGRADE && !this.#upgradeAccepted) {
      // An Upgrade we ignored: llhttp stops at the next message to let us switch; we stay on
      // HTTP/1.1 and parse on.
      w.llhttp_resume_after_upgrade(this.#ptr);
      ret = this.#run(b, base, len, chunk, base - start);
    }
    if (b.urlEnd !== -1) {
      this.#protoAt = b.urlEnd + this.#virt;
      this.#protoMatched = 0;
    }
    if (this.#protoAt !== -1 && !this.#protocolIsHttp(b.memory(), len)) {
      b.spanCount = 0;
      this.consumed = len;
      this.#pos += len;
      this.error = new RemoteProtocolError("HPE_INVALID_CONSTANT", "Expected HTTP/", 400);
      this.error.bytesParsed = len;
      this.error.rawPacket = start === 0 ? chunk : chunk.subarray(start);
      return "error";
    }
    const n = b.spanCount;
    if (n !== 0) this.#lastSpanEnd = b.spans[n - 2] + b.spans[n - 1] + this.#virt;
    if (n !== 0 || b.headEnd !== -1) this.#materialize(b, inTrailers);
    if (this.#complete !== 0) this.#trimValues();
    if (ret === HPE_OK) {
      this.consumed = len;
      this.#pos += len;
      // A chunk-size line (or its extensions) still going on at the end of the read.
      if (this.#gapFrom >= 0 && this.#pos - this.#gapFrom - this.#headerBytes > MAX_CHUNK_FRAMING) {
        this.error = chunkFramingError();
        this.error.bytesParsed = len;
        this.error.rawPacket = start === 0 ? chunk : chunk.subarray(start);
        return "error";
      }
      return "ok";
    }
    this.consumed = w.llhttp_get_error_pos(this.#ptr) - base;
    this.#pos += this.consumed;
    if (ret === HPE_PAUSED) {
      if (this.upgradeAsked) return "ask";
      return "complete";
    }
    if (ret === HPE_PAUSED_UPGRADE) return "upgrade";
    this.error = this.#makeError(ret);
    this.error.bytesParsed = this.consumed;
    this.error.rawPacket = start === 0 ? chunk : chunk.subarray(start);
    return "error";
  }

  /**
   * llhttp also parses RTSP and ICE request lines (`OPTIONS /x RTSP/1.0`, `SOURCE /x ICE/1.0`)
   * as requests with version 1.0; an HTTP server must not serve them. Checks the bytes after
   * the request-target that this execute() holds (a read may end anywhere in "HTTP/"): false
   * when they are not "HTTP/". A CR or LF right after the target (HTTP/0.9) is left to the
   * version check.
   */
  #protocolIsHttp(mem: Uint8Array, len: number): boolean {
    let v = Math.max(this.#protoAt, this.#pos);
    const end = this.#pos + len;
    for (; v < end && this.#protoMatched < HTTP_NAME.length; v++) {
      const b = mem[v - this.#virt];
      if (this.#protoMatched === 0 && b === 0x20) continue;
      if (this.#protoMatched === 0 && (b === 0x0d || b === 0x0a)) break;
      if (b !== HTTP_NAME[this.#protoMatched]) return false;
      this.#protoMatched++;
    }
    this.#protoAt = this.#protoMatched === HTTP_NAME.length || v < end ? -1 : v;
    return true;
  }

  /** One llhttp_execute(): hand this parser's state to the binding, and take it back after. */
  #run(b: Binding, base: number, len: number, chunk: Uint8Array, chunkBase: number): number {
    b.parser = this;
    b.chunk = chunk;
    b.chunkBase = chunkBase;
    b.headerBytes = this.#headerBytes;
    b.urlBytes = this.#urlBytes;
    b.maxHeaderSize = this.#maxHeaderSize;
    try {
      return b.wasm.llhttp_execute(this.#ptr, base, len);
    } finally {
      b.parser = null;
      b.chunk = null;
      this.#headerBytes = b.headerBytes;
      this.#urlBytes = b.urlBytes;
    }
  }

  /**
   * Tell the parser the connection ended (peer FIN). Returns an error when a message was cut
   * short in a way that HTTP forbids; a clean end between messages returns `null`.
   */
  finish(): RemoteProtocolError | null {
    const b = binding!;
    b.parser = this;
    let ret: number;
    try {
      ret = b.wasm.llhttp_finish(this.#ptr);
    } finally {
      b.parser = null;
    }
    if (ret === HPE_OK || ret === HPE_PAUSED) return null;
    return this.#makeError(ret);
  }

  /** Continue after a `"complete"` result. */
  resume(): void {
    binding!.wasm.llhttp_resume(this.#ptr);
  }

  /**
   * Drop references to the last message's strings (its request owns them now), so an idle
   * keep-alive connection keeps nothing of the last request alive.
   */
  release(): void {
    this.url = "";
    this.rawHeaders = NONE;
    this.rawTrailers = NONE;
    // Guarded: even on an empty array, `length = 0` is a runtime call on V8 (~30 ns).
    if (this.bodyChunks.length !== 0) this.bodyChunks.length = 0;
  }

  /** Forget all state (after an error, or to reuse the parser for a new connection). */
  reset(): void {
    binding!.wasm.llhttp_reset(this.#ptr);
    // No fresh arrays here: on_message_begin comes before anything is recorded, and installs them.
    this.#clearMessage();
    this.rawHeaders = NONE;
    this.rawTrailers = NONE;
    this.error = null;
    this.#upgradeAccepted = false;
    this.#gapFrom = -1;
    this.#protoAt = -1;
    this.upgradeAsked = false;
  }

  /** Release the wasm memory of this parser. */
  free(): void {
    const b = binding!;
    if (b.inputOwner === this) b.inputOwner = null;
    if (this.#ptr) b.wasm.llhttp_free(this.#ptr);
    this.#ptr = 0;
  }

  #makeError(ret: number): RemoteProtocolError {
    if (ret === HPE_USER && this.#limitError) {
      const e = this.#limitError;
      this.#limitError = null;
      return e;
    }
    const b = binding!;
    const code = b.cString(b.wasm.llhttp_errno_name(ret));
    const reason = b.cString(b.wasm.llhttp_get_error_reason(this.#ptr));
    return new RemoteProtocolError(code, reason, 400);
  }

  #startMessage(): void {
    this.#clearMessage();
    this.rawHeaders = [];
    this.rawTrailers = [];
  }

  #clearMessage(): void {
    this.method = "";
    this.url = "";
    this.headComplete = false;
    this.upgrade = false;
    this.#span = 0;
    this.#fieldCount = 0;
    this.#headerBytes = 0;
    this.#urlBytes = 0;
    this.#ws = 0;
  }

  /**
   * @internal From the binding's `record`, when the head grew past maxHeaderSize: stop llhttp.
   * `urlBytes`: the request-target's bytes so far.
   */
  overLimit(urlBytes: number): number {
    // RFC 9112 §3: a request-target longer than the server will parse gets 414;
    // RFC 6585 §5: an oversized header section gets 431.
    this.#limitError = urlBytes > this.#maxHeaderSize
      ? new RemoteProtocolError("HPE_URI_TOO_LONG", "URI too long", 414)
      : new RemoteProtocolError("HPE_HEADER_OVERFLOW", "Header overflow", 431);
    return -1;
  }

  /**
   * Turn the spans recorded during execute() into `url`, `rawHeaders` and `rawTrailers`.
   * Callbacks only record where the strings are, so nothing is decoded inside the wasm call;
   * here spans that lie close together in memory (a whole head, usually) are decoded as one
   * string and sliced, which is one decoder call instead of one per name and value (slices
   * of 13+ characters share the decoded string in V8 instead of copying).
   */
  #materialize(b: Binding, inTrailers: boolean): void {
    const n = b.spanCount;
    const headEnd = b.headEnd;
    const mem = b.memory();
    const list = b.spans;
    const maxCount = this.#maxHeadersCount;
    // Which span the last one was (0 none, 1 field, 2 value), and how many fields so far:
    // a field span after a field span is the same name continued from the last chunk.
    let last = this.#span;
    let fields = this.#fieldCount;
    let trailers = inTrailers;
    let out = trailers ? this.rawTrailers : this.rawHeaders;
    let region = "";
    let lo = 0;
    let hi = -1;
    for (let k = 0; k < n; k += 3) {
      if (k === headEnd) {
        // The head ended here: what follows are trailers, counted from zero.
        last = 0;
        fields = 0;
        trailers = true;
        out = this.rawTrailers;
      }
      const type = list[k];
      const at = list[k + 1];
      const len = list[k + 2];
      let more = false;
      if (type === SPAN_FIELD) {
        if (last === 1) more = true;
        else fields++;
      } else if (type === SPAN_VALUE) {
        more = last === 2;
      }
      last = type as 0 | 1 | 2;
      if (type !== SPAN_URL && fields > maxCount) continue;
      if (at < lo || at + len > hi) {
        // A new region: this span and the following ones that lie within MAX_GAP.
        lo = at;
        hi = at + len;
        for (let j = k + 3; j < n; j += 3) {
          const next = list[j + 1];
          if (next < hi || next - hi > MAX_GAP) break;
          hi = next + list[j + 2];
        }
        region = b.decodeSpan(mem, lo, hi);
      }
      const text = len === hi - lo ? region : region.substring(at - lo, at - lo + len);
      if (type === SPAN_URL) {
        this.url += text;
        continue;
      }
      if (type === SPAN_VALUE && len !== 0) {
        const end = mem[at + len - 1];
        if (end === 0x20 || end === 0x09) this.#ws |= trailers ? TRAILERS : HEADERS;
      }
      if (more) out[out.length - 1] += text;
      else out.push(text);
    }
    if (headEnd === n) {
      last = 0;
      fields = 0;
    }
    this.#span = last;
    this.#fieldCount = fields;
    b.spanCount = 0;
    b.headEnd = -1;
  }

  // RFC 9110 §5.5: a field value does not include leading or trailing whitespace. llhttp
  // skips the leading OWS but leaves trailing OWS in the value span, so values are trimmed
  // once their section is whole (a value's spans may arrive over several chunks), and only
  // in sections where #materialize saw a value span end in SP or HTAB.
  #trimValues(): void {
    const due = this.#complete & this.#ws;
    if (due & HEADERS) trimValues(this.rawHeaders);
    if (due & TRAILERS) trimValues(this.rawTrailers);
    this.#ws &= ~this.#complete;
    this.#complete = 0;
  }

  // ---- callbacks from wasm: record only -------------------------------------------------

  /** @internal */
  onMessageBegin(): number {
    this.#startMessage();
    // The running counts too: they are the binding's while llhttp_execute runs.
    const b = binding!;
    b.headerBytes = 0;
    b.urlBytes = 0;
    return 0;
  }

  /** @internal */
  onHeadersComplete(p: number, upgrade: boolean, keepAlive: boolean): number {
    const b = binding!;
    const w = b.wasm;
    const m = w.llhttp_get_method(p);
    this.method = b.methodNames[m] ??= b.cString(w.llhttp_method_name(m));
    this.versionMajor = w.llhttp_get_http_major(p);
    this.versionMinor = w.llhttp_get_http_minor(p);
    this.shouldKeepAlive = keepAlive;
    this.upgrade = upgrade;
    this.#complete |= HEADERS;
    const take = upgrade ? this.acceptUpgrade(m === METHOD_CONNECT) : false;
    if (take === true) {
      this.#upgradeAccepted = true;
      this.headComplete = true;
      this.headJustCompleted = true;
      // llhttp: 2 = no body, and make llhttp_execute() return HPE_PAUSED_UPGRADE.
      return 2;
    }
    this.headComplete = true;
    this.headJustCompleted = true;
    // The body's framing is counted from the end of the head's last URL, name or value (its
    // CRLF CRLF and any trailing whitespace come into the count), whichever read it was in.
    const n = b.spanCount;
    this.#gapFrom = n === 0 ? this.#lastSpanEnd : b.spans[n - 2] + b.spans[n - 1] + this.#virt;
    // Trailers start from here: #materialize restarts the field count at this span, and
    // their bytes are counted from zero.
    b.headEnd = n;
    b.headerBytes = 0;
    b.urlBytes = 0;
    if (take === "ask") {
      // Stop after the head (llhttp resumes at `headers_done`, as for 0): the caller decides
      // outside wasm, then hands off or calls resume().
      this.upgradeAsked = true;
      return HPE_PAUSED;
    }
    return 0;
  }

  /** @internal */
  onBody(at: number, len: number): number {
    const from = at + this.#virt;
    if (from - this.#gapFrom > MAX_CHUNK_FRAMING) {
      this.#limitError = chunkFramingError();
      return -1;
    }
    this.#gapFrom = from + len;
    const b = binding!;
    const start = at - b.chunkBase;
    this.bodyChunks.push(b.chunk!.subarray(start, start + len));
    return 0;
  }

  /** @internal */
  onMessageComplete(): number {
    this.#gapFrom = -1;
    this.#complete |= TRAILERS;
    this.headComplete = false;
    // A taken upgrade stops with HPE_PAUSED_UPGRADE right after this.
    if (this.#upgradeAccepted) return 0;
    return HPE_PAUSED;
  }
}

function chunkFramingError(): RemoteProtocolError {
  return new RemoteProtocolError("HPE_CHUNK_EXTENSIONS_OVERFLOW", "Chunk extensions overflow", 413);
}

function trimValues(list: string[]): void {
  for (let i = 1; i < list.length; i += 2) {
    const v = list[i];
    const last = v.charCodeAt(v.length - 1);
    if (last === 0x20 || last === 0x09) list[i] = v.replace(/[ \t]+$/, "");
  }
}
