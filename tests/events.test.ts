// The core's EventEmitter against node:events, operation by operation: the same script of
// on/once/prepend/remove/emit on both, the same calls in the same order, and the same
// eventNames(), listenerCount() and listeners() after every step.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter as NodeEmitter } from "node:events";
import { EventEmitter } from "../core/mod.ts";

type Emitter = {
  on(e: string | symbol, f: (...a: unknown[]) => void): unknown;
  once(e: string | symbol, f: (...a: unknown[]) => void): unknown;
  prependListener(e: string | symbol, f: (...a: unknown[]) => void): unknown;
  prependOnceListener(e: string | symbol, f: (...a: unknown[]) => void): unknown;
  removeListener(e: string | symbol, f: (...a: unknown[]) => void): unknown;
  removeAllListeners(e?: string | symbol): unknown;
  emit(e: string | symbol, ...a: unknown[]): boolean;
  eventNames(): (string | symbol)[];
  listenerCount(e: string | symbol): number;
  listeners(e: string | symbol): unknown[];
};

const SYM = Symbol("s");

/** Run the script on `e`; returns everything observable, step by step. */
function run(e: Emitter): unknown[] {
  const log: unknown[] = [];
  const f = (name: string) => (...args: unknown[]) => log.push([name, ...args]);
  const a = f("a"), b = f("b"), c = f("c"), d = f("d");
  // A listener that removes another one and adds one while the event is being emitted.
  const meddler = () => {
    log.push(["meddler"]);
    e.removeListener("x", b);
    e.on("x", d);
  };
  const steps: [string, () => unknown][] = [
    ["on x a", () => e.on("x", a)],
    ["on y b", () => e.on("y", b)],
    ["on x b", () => e.on("x", b)],
    ["prepend x c", () => e.prependListener("x", c)],
    ["once x a", () => e.once("x", a)],
    ["emit x", () => e.emit("x", 1)],
    ["emit x", () => e.emit("x", 2)],
    ["remove x a", () => e.removeListener("x", a)],
    ["on sym c", () => e.on(SYM, c)],
    ["on 7 c", () => e.on("7", c)],
    ["remove y b", () => e.removeListener("y", b)],
    ["on y a", () => e.on("y", a)],
    ["emit y", () => e.emit("y", 3)],
    ["emit none", () => e.emit("none")],
    ["prependOnce x d", () => e.prependOnceListener("x", d)],
    ["on x meddler", () => e.on("x", meddler)],
    ["emit x", () => e.emit("x", 4)],
    ["emit x", () => e.emit("x", 5)],
    ["removeAll x", () => e.removeAllListeners("x")],
    ["emit sym", () => e.emit(SYM, 6)],
    ["on z a", () => e.on("z", a)],
    ["remove absent", () => e.removeListener("z", b)],
    ["removeAll", () => e.removeAllListeners()],
    ["emit z", () => e.emit("z")],
    ["on x a", () => e.on("x", a)],
  ];
  for (const [name, step] of steps) {
    const result = step();
    log.push([
      name,
      typeof result === "boolean" ? result : "-",
      e.eventNames().map(String),
      ["x", "y", "z", SYM].map((k) => e.listenerCount(k)),
      e.listeners("x").map((l) => [a, b, c, d, meddler].indexOf(l as never)),
    ]);
  }
  return log;
}

test("EventEmitter: on, once, prepend, remove and emit behave as node:events, step by step", () => {
  assert.deepEqual(run(new EventEmitter() as unknown as Emitter), run(new NodeEmitter() as unknown as Emitter));
});

test("EventEmitter: 'newListener' and 'removeListener' events as node:events", () => {
  const script = (e: Emitter) => {
    const log: unknown[] = [];
    const a = () => log.push("a");
    e.on("newListener", (ev: unknown) => log.push(["new", String(ev)]));
    e.on("removeListener", (ev: unknown) => log.push(["removed", String(ev)]));
    e.on("x", a);
    e.once("y", a);
    e.emit("y");
    e.removeListener("x", a);
    log.push(e.eventNames().map(String));
    return log;
  };
  assert.deepEqual(script(new EventEmitter() as unknown as Emitter), script(new NodeEmitter() as unknown as Emitter));
});
