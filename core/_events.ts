/**
 * A small EventEmitter with Node's method names and semantics (listeners run synchronously in
 * registration order; `'error'` with no listener throws; `once` wrappers are removable by the
 * original function). The core carries its own so that code written against `node:events`
 * (frameworks, `on-finished`, `stream.pipeline`) works without importing `node:events`.
 *
 * @module
 */

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
  // Created by the first listener: most emitters (an idle connection's socket, most requests
  // and responses) never get one, and an empty Map was ~0.2 KiB of each (Node 20, Bun 1.4).
  #events: Map<string | symbol, Wrapped[]> | null = null;
  #max = 10;

  /** Node's default for `setMaxListeners`; kept for API compatibility (no warning is printed). */
  static defaultMaxListeners = 10;

  on(event: string | symbol, listener: Listener): this {
    return this.#add(event, listener, false);
  }
  addListener(event: string | symbol, listener: Listener): this {
    return this.on(event, listener);
  }
  prependListener(event: string | symbol, listener: Listener): this {
    return this.#add(event, listener, true);
  }
  // As in Node, once() goes through on() (and prependOnceListener through prependListener),
  // so a subclass that reacts to new listeners (a readable starting to flow on 'data') sees
  // them all.
  once(event: string | symbol, listener: Listener): this {
    return this.on(event, this.#onceWrap(event, listener));
  }
  prependOnceListener(event: string | symbol, listener: Listener): this {
    return this.prependListener(event, this.#onceWrap(event, listener));
  }

  off(event: string | symbol, listener: Listener): this {
    return this.removeListener(event, listener);
  }
  removeListener(event: string | symbol, listener: Listener): this {
    const events = this.#events;
    const list = events?.get(event);
    if (!events || !list) return this;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i] === listener || list[i].listener === listener) {
        const removed = list[i];
        if (list.length === 1) events.delete(event);
        else events.set(event, list.filter((_, j) => j !== i));
        if (events.has("removeListener")) {
          this.emit("removeListener", event, removed.listener ?? removed);
        }
        break;
      }
    }
    return this;
  }
  removeAllListeners(event?: string | symbol): this {
    if (event === undefined) this.#events?.clear();
    else this.#events?.delete(event);
    return this;
  }

  emit(event: string | symbol, ...args: unknown[]): boolean {
    const list = this.#events?.get(event);
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

  listeners(event: string | symbol): Listener[] {
    return (this.#events?.get(event) ?? []).map((fn) => fn.listener ?? fn);
  }
  rawListeners(event: string | symbol): Listener[] {
    return (this.#events?.get(event) ?? []).slice();
  }
  listenerCount(event: string | symbol, listener?: Listener): number {
    const list = this.#events?.get(event);
    if (!list) return 0;
    if (!listener) return list.length;
    return list.filter((fn) => fn === listener || fn.listener === listener).length;
  }
  eventNames(): (string | symbol)[] {
    return this.#events ? [...this.#events.keys()] : [];
  }
  setMaxListeners(n: number): this {
    this.#max = n;
    return this;
  }
  getMaxListeners(): number {
    return this.#max;
  }

  #add(event: string | symbol, listener: Listener, prepend: boolean): this {
    if (typeof listener !== "function") {
      throw new TypeError(`The "listener" argument must be of type function. Received ${typeof listener}`);
    }
    const events = (this.#events ??= new Map());
    if (events.has("newListener")) {
      this.emit("newListener", event, (listener as Wrapped).listener ?? listener);
    }
    const list = events.get(event);
    if (!list) events.set(event, [listener]);
    else if (prepend) events.set(event, [listener, ...list]);
    else events.set(event, [...list, listener]);
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
