/**
 * `defer(fn)`: run `fn` soon, after the current synchronous code, as Node's `process.nextTick`
 * does for its streams: callbacks deferred while others are already waiting run in the same
 * batch, in order, including those deferred by a callback of the batch. The batch itself runs
 * as one microtask, or, for callbacks deferred while a connection processes a read, when that
 * read is done (see {@link enterRead}).
 *
 * Why not one `queueMicrotask` per callback: the core defers several per request (a response's
 * 'finish' and 'close', a request's 'end' and 'close'), and on Node 20.20.2 `queueMicrotask` is
 * JavaScript that builds an `AsyncResource` and a bound function per call (0.116 µs against
 * 0.051 µs for a promise reaction, measured here). One reaction per batch costs less on every
 * runtime. Among themselves, deferred callbacks keep exactly the order separate microtasks
 * would give them (both are FIFO); a batch runs at the position of its first callback, before
 * promise continuations queued after that, which is what Node's nextTick queue does too.
 *
 * A throwing callback does not stop the batch: its error is thrown again from its own
 * `queueMicrotask`, so it surfaces as an uncaught exception, as it did before.
 *
 * @module
 */

const resolved = Promise.resolve();
// The batch: functions and their arguments, `count` of them. The arrays keep their length
// between batches (entries are cleared as they run), so a batch allocates nothing.
const fns: (((arg: any) => void) | undefined)[] = [];
const args: unknown[] = [];
let count = 0;
let scheduled = false;
let draining = false;
// How many reads are being processed (a connection's onData, nested when a transport
// delivers a read from inside a callback).
let reading = 0;

function drain(): void {
  draining = true;
  // Callbacks deferred while draining are appended and run in this same batch. Each entry is
  // cleared once it ran: a batch can be long (a deep pipeline served in slices continues from
  // inside it, see Connection), and a callback or argument kept in the arrays would keep its
  // response and request alive until the whole batch is done.
  for (let i = 0; i < count; i++) {
    const fn = fns[i]!;
    const arg = args[i];
    fns[i] = undefined;
    args[i] = undefined;
    try {
      fn(arg);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
  // An unusually long batch gives its room back.
  if (count > 1024) fns.length = args.length = 0;
  count = 0;
  scheduled = false;
  draining = false;
}

/**
 * A connection starts processing a read. Until the matching {@link leaveRead}, deferred
 * callbacks wait for the read to end instead of a microtask: when it ends they run at once,
 * before any promise continuation queued meanwhile, as Node's nextTick queue runs after the
 * callback that filled it. That is one microtask (a promise and its reaction, ~100 bytes and
 * ~0.15 µs of a real server's CPU on Node 20) less per read.
 */
export function enterRead(): void {
  reading++;
}

/** The read that {@link enterRead} announced is processed: run what it deferred. */
export function leaveRead(): void {
  // (A read nested in a batch leaves the batch to its outer drain, which runs what it adds.)
  if (--reading === 0 && count > 0 && !draining) drain();
}

/**
 * Run `fn(arg)` after the current synchronous code (see the module notes for the order).
 * Passing the receiver as `arg` to a shared function, instead of a new closure per call,
 * keeps the per-request callbacks of the core from allocating.
 */
export function defer<T>(fn: (arg: T) => void, arg?: T): void {
  fns[count] = fn;
  args[count] = arg;
  count++;
  // (While a batch drains, what it defers joins it: no microtask needed.)
  if (!scheduled && reading === 0 && !draining) {
    scheduled = true;
    resolved.then(drain);
  }
}
