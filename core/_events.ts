/**
 * A small EventEmitter with Node's method names and semantics (listeners run synchronously in
 * registration order; `'error'` with no listener throws; `once` wrappers are removable by the
 * original function). The core carries its own so that code written against `node:events`
 * (frameworks, `on-finished`, `stream.pipeline`) works without importing `node:events`.
 *
 * @module
 */

/** An event listener: any function (Node's emitters pass any arguments). */
// deno-lint-ignore no-explicit-any
export type Listener = (...args: any[]) => void;
type Wrapped = Listener & { listener?: Listener };

/**
 * Node-compatible event emitter.
 *
 * @example
 * ```ts
 * import { EventEmitter } from "@anyhttp/anyhttp/core";
 * const e = new EventEmitter();
 * e.once("ping", (n: number) => console.log("ping", n));
 * e.emit("ping", 1); // logs once
 * e.emit("ping", 2); // no listener left
 * ```
 */
export class EventEmitter {
  // Created with the first listener: most requests, responses and sockets never get one, and
  // a Map is the largest part of an idle emitter.
  #map: Map<string | symbol, Wrapped[]> | null = null;
  #max = 10;

  /** Node's default for `setMaxListeners`; kept for API compatibility (no warning is printed). */
  static defaultMaxListeners = 10;

  /** Call `listener` on every `event`, after the listeners already there. */
  on(event: string | symbol, listener: Listener): this {
    return this.#add(event, listener, false);
  }
  /** The same as `on()`. */
  addListener(event: string | symbol, listener: Listener): this {
    return this.on(event, listener);
  }
  /** Call `listener` on every `event`, before the listeners already there. */
  prependListener(event: string | symbol, listener: Listener): this {
    return this.#add(event, listener, true);
  }
  // As in Node, once() goes through on() (and prependOnceListener through prependListener),
  // so a subclass that reacts to new listeners (a readable starting to flow on 'data') sees
  // them all.
  /** Call `listener` on the next `event` only. */
  once(event: string | symbol, listener: Listener): this {
    return this.on(event, this.#onceWrap(event, listener));
  }
  /** Call `listener` on the next `event` only, before the listeners already there. */
  prependOnceListener(event: string | symbol, listener: Listener): this {
    return this.prependListener(event, this.#onceWrap(event, listener));
  }

  /** The same as `removeListener()`. */
  off(event: string | symbol, listener: Listener): this {
    return this.removeListener(event, listener);
  }
  get #events(): Map<string | symbol, Wrapped[]> {
    return (this.#map ??= new Map());
  }

  /** Remove the last-added registration of `listener` (or of a `once` wrapper of it) for `event`. */
  removeListener(event: string | symbol, listener: Listener): this {
    const list = this.#map?.get(event);
    if (!list) return this;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i] === listener || list[i].listener === listener) {
        const removed = list[i];
        if (list.length === 1) this.#events.delete(event);
        else this.#events.set(event, list.filter((_, j) => j !== i));
        if (this.#events.has("removeListener")) {
          this.emit("removeListener", event, removed.listener ?? removed);
        }
        break;
      }
    }
    return this;
  }
  /** Remove every listener of `event`, or of every event when none is given. */
  removeAllListeners(event?: string | symbol): this {
    if (event === undefined) this.#map?.clear();
    else this.#map?.delete(event);
    return this;
  }

  /** Call each listener of `event` with `args`, in order; false when there was none (`'error'` with none throws). */
  emit(event: string | symbol, ...args: unknown[]): boolean {
    const list = this.#map?.get(event);
    if (!list) {
      if (event === "error") {
        const err = args[0];
        throw err instanceof Error ? err : new Error(`Unhandled error: ${String(err)}`);
      }
      return false;
    }
    if (list.length === 1) {
      list[0].apply(this, args);
    } else {
      // Lists are replaced, never mutated, so iterating one is safe while listeners change.
      for (const fn of list) fn.apply(this, args);
    }
    return true;
  }

  /** The listeners of `event`, `once` ones as the function given. */
  listeners(event: string | symbol): Listener[] {
    return (this.#map?.get(event) ?? []).map((fn) => fn.listener ?? fn);
  }
  /** The listeners of `event`, `once` ones as their wrappers. */
  rawListeners(event: string | symbol): Listener[] {
    return (this.#map?.get(event) ?? []).slice();
  }
  /** How many listeners `event` has (of `listener` only, when given). */
  listenerCount(event: string | symbol, listener?: Listener): number {
    const list = this.#map?.get(event);
    if (!list) return 0;
    if (!listener) return list.length;
    return list.filter((fn) => fn === listener || fn.listener === listener).length;
  }
  /** The events that have listeners. */
  eventNames(): (string | symbol)[] {
    return this.#map ? [...this.#map.keys()] : [];
  }
  /** Stored for `getMaxListeners()`; no leak warning is printed. */
  setMaxListeners(n: number): this {
    this.#max = n;
    return this;
  }
  /** The value last given to `setMaxListeners()` (10 by default). */
  getMaxListeners(): number {
    return this.#max;
  }

  #add(event: string | symbol, listener: Listener, prepend: boolean): this {
    if (typeof listener !== "function") {
      throw new TypeError(`The "listener" argument must be of type function. Received ${typeof listener}`);
    }
    if (this.#map?.has("newListener")) {
      this.emit("newListener", event, (listener as Wrapped).listener ?? listener);
    }
    const list = this.#events.get(event);
    if (!list) this.#events.set(event, [listener]);
    else if (prepend) this.#events.set(event, [listener, ...list]);
    else this.#events.set(event, [...list, listener]);
    return this;
  }

  #onceWrap(event: string | symbol, listener: Listener): Wrapped {
    const wrapped: Wrapped = (...args: unknown[]) => {
      this.removeListener(event, wrapped);
      listener.apply(this, args);
    };
    wrapped.listener = listener;
    return wrapped;
  }
}
