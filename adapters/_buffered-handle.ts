/**
 * What the Deno and Bun handles share: the output queue (queued bytes, high-water mark,
 * coalescing, the drain signal, end() after the last byte) and held reads (a chunk or a FIN that
 * arrived while paused, delivered asynchronously on resume). A subclass adds only the runtime's
 * calls: how a chunk is sent, how FIN is sent, how reading stops and goes on.
 *
 * The state is one `flags` field and a queue that is null while empty, so an idle connection
 * holds no array and no closure. Node's own socket buffers in libuv and needs none of this.
 *
 * @module
 */
import type { ConnectionSink, TcpHandle } from "../core/transport.ts";
import { asError, NO_SINK, rethrowLater } from "./_shared.ts";

/**
 * Queued-but-unwritten bytes above which `write()` returns `false`. 64 KiB: Node ≥ 22's socket
 * `highWaterMark`; a typical response is taken without a `false`/`onDrain` round-trip (each Deno
 * write is an async op; a Bun burst rides over one full send buffer), and a slow reader can make
 * one connection hold at most one chunk more.
 */
const HIGH_WATER_MARK = 64 * 1024;

/**
 * Runs of chunks up to this total are merged into one buffer: one runtime write for them (an
 * async op fewer on Deno; Bun's TCP docs: its sockets do not buffer, batch small writes).
 */
const COALESCE_LIMIT = 64 * 1024;

// BufferedHandle's states, one bit each in `flags` (one field instead of one per state).
// Subclasses number their own bits from 128 up.
export const CLOSED = 1;
export const ENDING = 2; // end() called: finish the queue, then FIN and close
export const WRITING = 4; // an async write is in flight (Deno): new bytes queue behind it
export const PAUSED = 8;
const NEED_DRAIN = 16; // write() returned false: call onDrain once below the mark
const KICK_SCHEDULED = 32; // a kick() is queued after resume()
const HELD_END = 64; // the peer's FIN came while paused or behind held chunks

/** The end of the run of chunks from `i` that is merged into one (at least one chunk). */
function runEnd(chunks: readonly Uint8Array[], i: number): number {
  let total = chunks[i]!.byteLength;
  let j = i + 1;
  while (j < chunks.length && total + chunks[j]!.byteLength <= COALESCE_LIMIT) total += chunks[j++]!.byteLength;
  return j;
}

/** `chunks[i..j)` copied into one buffer. */
function join(chunks: readonly Uint8Array[], i: number, j: number): Uint8Array {
  let total = 0;
  for (let k = i; k < j; k++) total += chunks[k]!.byteLength;
  const out = new Uint8Array(total);
  for (let k = i, off = 0; k < j; off += chunks[k]!.byteLength, k++) out.set(chunks[k]!, off);
  return out;
}

/** A {@link TcpHandle} with an output queue and held reads; the subclass makes the runtime calls. */
export abstract class BufferedHandle implements TcpHandle {
  sink: ConnectionSink = NO_SINK;
  /** Chunks waiting behind a write in flight or a refused one; null while empty. */
  protected queue: Uint8Array[] | null = null;
  /** Bytes accepted by write() and not yet taken by the runtime. */
  protected queued = 0;
  /** The write high-water mark: HIGH_WATER_MARK, or the server's `highWaterMark`. */
  private hwm = HIGH_WATER_MARK;
  protected flags = 0;
  /** What arrived while paused: one chunk, or several in order; null when nothing. */
  private held: Uint8Array | Uint8Array[] | null = null;

  /** Sends `chunk` (nothing queued or in flight); what the runtime did not take goes to `queue`. */
  protected abstract send(chunk: Uint8Array): void;
  /** Everything is written after end(): FIN, then close. */
  protected abstract finish(): void;
  /** pause(): the runtime stops reading, where it can. */
  protected abstract pauseReads(): void;
  /** resume(): the runtime reads again; true when a read must be issued after the held ones. */
  protected abstract resumeReads(): boolean;
  /** After resume() has delivered what was held: go on reading. */
  protected abstract readOn(): void;
  abstract destroy(error?: Error): void;

  // ---- writing ----

  write(chunk: Uint8Array): boolean {
    if ((this.flags & (ENDING | CLOSED)) !== 0) return false;
    if (chunk.byteLength > 0) {
      this.queued += chunk.byteLength;
      // Nothing waiting (the usual case: one response per request): straight to the runtime.
      if ((this.flags & WRITING) !== 0 || this.queue !== null) (this.queue ??= []).push(chunk);
      else {
        this.send(chunk);
        if ((this.flags & CLOSED) !== 0) return false;
      }
    }
    return this.aboveMark();
  }

  writev(chunks: Uint8Array[]): boolean {
    if ((this.flags & (ENDING | CLOSED)) !== 0) return false;
    for (let i = 0, j = 0; i < chunks.length; i = j) {
      j = runEnd(chunks, i);
      this.write(j - i === 1 ? chunks[i]! : join(chunks, i, j));
      if ((this.flags & CLOSED) !== 0) return false;
    }
    return this.aboveMark();
  }

  private aboveMark(): boolean {
    if (this.queued < this.hwm) return true;
    this.flags |= NEED_DRAIN;
    return false;
  }

  /**
   * The next chunk to write, taken off the queue with the small chunks behind it merged into
   * one buffer; null when nothing waits. An emptied queue is dropped.
   */
  protected takeNext(): Uint8Array | null {
    const q = this.queue;
    if (q === null) return null;
    const j = runEnd(q, 0);
    let head: Uint8Array;
    if (j === 1) head = q.shift()!;
    else {
      head = join(q, 0, j);
      q.splice(0, j);
    }
    if (q.length === 0) this.queue = null;
    return head;
  }

  /** After writes: onDrain if a write returned false and the queue is now below the mark. */
  protected drained(): void {
    if ((this.flags & NEED_DRAIN) !== 0 && this.queued < this.hwm) {
      this.flags &= ~NEED_DRAIN;
      try {
        this.sink.onDrain();
      } catch (err) {
        this.sinkThrew(err);
      }
    }
  }

  end(): void {
    if ((this.flags & (ENDING | CLOSED)) !== 0) return;
    this.flags |= ENDING;
    if ((this.flags & WRITING) === 0 && this.queue === null) this.finish();
  }

  setHighWaterMark(bytes: number): void {
    this.hwm = bytes;
  }

  /** Marks the handle closed and drops what it holds; false when it already was. */
  protected markClosed(): boolean {
    if ((this.flags & CLOSED) !== 0) return false;
    this.flags |= CLOSED;
    this.queue = null;
    this.queued = 0;
    this.held = null;
    return true;
  }

  // ---- reading ----

  /** A chunk read: to the sink, or held while paused (or behind held chunks). */
  push(chunk: Uint8Array): void {
    if ((this.flags & CLOSED) !== 0) return;
    if ((this.flags & PAUSED) !== 0 || this.held !== null) {
      const h = this.held;
      if (h === null) this.held = chunk;
      else if (Array.isArray(h)) h.push(chunk);
      else this.held = [h, chunk];
      return;
    }
    // Not callSink(): no closure per read on the hot path.
    try {
      this.sink.onData(chunk);
    } catch (err) {
      this.sinkThrew(err);
    }
  }

  /** The peer's FIN: onEnd, or held like a chunk. */
  pushEnd(): void {
    if ((this.flags & CLOSED) !== 0) return;
    if ((this.flags & PAUSED) !== 0 || this.held !== null) this.flags |= HELD_END;
    else this.callSink(() => this.sink.onEnd());
  }

  pause(): void {
    if ((this.flags & (PAUSED | CLOSED)) !== 0) return;
    this.flags |= PAUSED;
    this.pauseReads();
  }

  resume(): void {
    if ((this.flags & PAUSED) === 0) return;
    this.flags &= ~PAUSED;
    if ((this.flags & CLOSED) !== 0) return;
    // Asynchronous, like Node's stream.resume(): the core may call resume() from inside one of
    // its own callbacks and must not be re-entered.
    const more = this.resumeReads();
    if ((this.flags & KICK_SCHEDULED) === 0 && (more || this.held !== null || (this.flags & HELD_END) !== 0)) {
      this.flags |= KICK_SCHEDULED;
      queueMicrotask(() => this.kick());
    }
  }

  /** Runs after `resume()`: hands over what was held, then reads on. A method, not a
   * per-instance arrow: an idle connection should not carry a closure for it. */
  private kick(): void {
    this.flags &= ~KICK_SCHEDULED;
    while (this.held !== null && (this.flags & (PAUSED | CLOSED)) === 0) {
      const h = this.held;
      let chunk: Uint8Array;
      if (!Array.isArray(h)) {
        chunk = h;
        this.held = null;
      } else {
        chunk = h.shift()!;
        if (h.length === 0) this.held = null;
      }
      this.callSink(() => this.sink.onData(chunk));
    }
    if ((this.flags & (PAUSED | CLOSED)) !== 0 || this.held !== null) return;
    if ((this.flags & HELD_END) !== 0) {
      this.flags &= ~HELD_END;
      this.callSink(() => this.sink.onEnd());
    } else this.readOn();
  }

  protected callSink(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.sinkThrew(err);
    }
  }

  /** A sink callback threw: a bug above the transport (see rethrowLater). */
  private sinkThrew(err: unknown): void {
    this.destroy(asError(err));
    rethrowLater(err);
  }
}
