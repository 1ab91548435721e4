/**
 * The byte side of one connection, as hyper's `io.rs` is to its `conn.rs`: the handle, the
 * connection's lifecycle (`state.ts` {@link CONNECTION}: `open`, `upgraded`, `lingering`,
 * `ending`, `closed`), inbound flow control (reading is held while any reason holds), writes
 * batched while a read is parsed, the byte counters, and the lingering close. It knows no
 * HTTP: {@link Connection} (`connection.ts`) extends it with the exchange.
 *
 * @module
 */

import { CONNECTION_ON, type ConnectionState } from "./state.ts";
import { joinWire } from "./_bytes.ts";
import type { TcpHandle } from "./transport.ts";

// Reasons to hold reading, bits of Wire#paused: reading resumes when none holds.
/** A request body (or a hand-off socket's) buffer is above its high-water mark. */
export const PAUSE_BODY = 1;
/** Bytes of a later request wait behind the current exchange. */
export const PAUSE_QUEUE = 2;
/** Our writes wait for the transport's 'drain'. */
export const PAUSE_DRAIN = 4;

/**
 * How long a connection closing with request bytes still arriving keeps reading and discarding
 * them (see {@link Wire.linger}). 2 s: Apache's lingering-close read timeout.
 */
export const LINGER_MS = 2_000;

/**
 * Writes batched while parsing one read are sent once they reach this size, or at the end of
 * the read. 64 KiB: the usual socket high-water mark, and what one read can ask of us.
 */
export const BATCH_LIMIT = 64 * 1024;

// Up to this size several chunks of one write are copied into one buffer; above it they go as
// a writev. 16 KiB: copying is cheaper than a second syscall well past a typical head + body.
const COALESCE_LIMIT = 16 * 1024;

/**
 * The empty batch: "batching, nothing queued yet". Shared, never pushed to: the first write
 * of a batch replaces it (see Wire#batch).
 */
const EMPTY: Uint8Array[] = [];

/** Write `chunks` to `h`: small pieces (a head and its body) as one write, large ones as a writev. */
function writeChunks(h: TcpHandle, chunks: Uint8Array[]): boolean {
  if (chunks.length === 1) return h.write(chunks[0]);
  let size = 0;
  for (const c of chunks) size += c.byteLength;
  if (size <= COALESCE_LIMIT) return h.write(joinWire(chunks, size));
  if (h.writev) return h.writev(chunks);
  let ok = true;
  for (const c of chunks) ok = h.write(c) && ok;
  return ok;
}

/**
 * The handle, the lifecycle and the flow of bytes of one connection (see the module). It has
 * no private methods: V8 gives each class with private methods a brand slot in every instance.
 */
export class Wire {
  /** Where the connection is: every change goes through `state.ts`'s CONNECTION table. */
  protected life: ConnectionState = "open";
  /** Bytes read from the peer (the socket's `bytesRead`). */
  bytesRead = 0;
  /** Bytes handed to the transport (the socket's `bytesWritten`). */
  bytesWritten = 0;
  readonly #handle: TcpHandle;
  /** The PAUSE_* reasons holding reading. */
  #paused = 0;
  /** Writes held during a batch; null outside one, EMPTY while nothing is held. */
  #batch: Uint8Array[] | null = null;
  #batchBytes = 0;
  /** While lingering: when to close at the latest (a time on the caller's clock). */
  #lingerUntil = 0;

  /** Carry bytes over `handle`. */
  constructor(handle: TcpHandle) {
    this.#handle = handle;
  }

  /** Close at once. */
  destroy(error?: Error): void {
    if (this.life === "closed") return;
    this.life = CONNECTION_ON["end"].next(this.life);
    this.#handle.destroy(error);
  }

  /** True once our side is closing or the connection is gone: nothing more is written. */
  protected get ended(): boolean {
    return this.life === "ending" || this.life === "closed";
  }

  /** Bytes written past this size in one batch are sent at once (the server's option). */
  protected batchLimit(): number {
    return BATCH_LIMIT;
  }

  /**
   * Queue `chunks` for the peer. Inside a batch they wait for its end (one write for a whole
   * pipeline); outside, they go now. The array is ours: a batch of one response (the common
   * case) then needs no array of its own. False: wait for drain.
   */
  protected writeOut(chunks: Uint8Array[]): boolean {
    if (this.ended) return false;
    let size = 0;
    for (const c of chunks) size += c.byteLength;
    this.bytesWritten += size;
    const batch = this.#batch;
    if (batch === null) return writeChunks(this.#handle, chunks);
    if (batch === EMPTY) {
      if (chunks.length !== 0) this.#batch = chunks;
    } else {
      for (const c of chunks) batch.push(c);
    }
    this.#batchBytes += size;
    return this.#batchBytes < this.batchLimit() || this.flushOut();
  }

  /** Hold writes until {@link endBatch}. */
  protected beginBatch(): void {
    this.#batch = EMPTY;
  }

  /** Send what the batch held, and write directly again. */
  protected endBatch(): void {
    // Writes made while a batch is sent (a drain handler) join the batch: send them too.
    while (this.#batch !== null && this.#batch.length !== 0) this.flushOut();
    this.#batch = null;
  }

  /** Send what the batch holds so far. Returns the transport's verdict (false: wait for drain). */
  protected flushOut(): boolean {
    const chunks = this.#batch;
    if (chunks === null || chunks.length === 0) return true;
    const size = this.#batchBytes;
    this.#batch = EMPTY;
    this.#batchBytes = 0;
    if (this.life === "closed") return false;
    const h = this.#handle;
    const ok = chunks.length > 1 && size <= BATCH_LIMIT ? h.write(joinWire(chunks, size)) : writeChunks(h, chunks);
    if (!ok) this.pauseReading(PAUSE_DRAIN);
    return ok;
  }

  /** Send what is queued, then FIN. */
  protected endWire(): void {
    if (this.ended) return;
    this.flushOut();
    this.life = CONNECTION_ON["end"].next(this.life);
    this.#handle.end();
  }

  /**
   * Close a connection whose request body is still arriving. Closing at once makes the peer's
   * TCP answer its next segment with a reset, which discards our response before the client
   * read it (seen with curl on all three runtimes by `npm run abuse`). So, as Apache's
   * lingering close and RFC 9112 §9.6 advise: keep reading and discarding until the peer
   * half-closes or LINGER_MS pass (checked by {@link lingerOver}), then close.
   */
  protected linger(now: number): void {
    if (this.life !== "open") return;
    this.flushOut();
    this.#lingerUntil = now + LINGER_MS;
    this.life = CONNECTION_ON["linger"].next(this.life);
    if (this.#paused !== 0) {
      this.#paused = 0;
      this.#handle.resume();
    }
  }

  /** True when a lingering close has waited long enough. */
  protected lingerOver(now: number): boolean {
    return now >= this.#lingerUntil;
  }

  /** Hold reading for `reason` (a lingering connection reads to the end). */
  protected pauseReading(reason: number): void {
    if (this.life === "lingering") return;
    if (this.#paused === 0) this.#handle.pause();
    this.#paused |= reason;
  }

  /** `reason` no longer holds; read again when no other does. */
  protected resumeReading(reason: number): void {
    if ((this.#paused & reason) === 0) return;
    this.#paused &= ~reason;
    if (this.#paused === 0 && this.life !== "closed") this.#handle.resume();
  }

  /** True while `reason` holds reading. */
  protected heldFor(reason: number): boolean {
    return (this.#paused & reason) !== 0;
  }

  /**
   * Drop `reasons` without reading yet: the connection changes hands (an upgrade), and the
   * new owner may hold reading itself before {@link resumeIfFree}. True if any reason held.
   */
  protected dropReasons(reasons: number): boolean {
    const held = this.#paused !== 0;
    this.#paused &= ~reasons;
    return held;
  }

  /** Read again if no reason holds. */
  protected resumeIfFree(): void {
    if (this.#paused === 0 && this.life !== "closed") this.#handle.resume();
  }
}
