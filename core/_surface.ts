/**
 * Keeping a request's and a response's behaviour when a framework replaces their prototypes.
 *
 * Express does `Object.setPrototypeOf(req, app.request)` and
 * `Object.setPrototypeOf(res, app.response)` for every request (`app.handle` in
 * lib/application.js; again on entering and leaving a mounted sub-app). Those objects are
 * plain objects (`Object.create(...)`) carrying Express's additions (`req.get`, `res.json`,
 * ...) over the running runtime's own `node:http` `IncomingMessage.prototype` /
 * `ServerResponse.prototype`. After the swap every name our classes define on their
 * prototypes (`on`, `pipe`, `write`, `end`, the `headers` getter, ...) resolves to Node's
 * implementation instead, which reads Node's private state (`_readableState`, `_events`,
 * `kOutHeaders`) and throws. Our `#private` fields are not the problem: they live on the
 * instance and survive the swap.
 *
 * Copying the whole class surface onto every instance would survive the swap too, but costs
 * 20-50 µs per request and response on V8 (some 80 own properties each, defined one by one),
 * where the request and response objects otherwise cost 0.3 µs together. So
 * instead the request gets one own accessor, `url`, when a framework links it to its response
 * (`req.res = res`, which Express does right before the swap; defining the accessor costs about
 * 0.12 µs on V8, so requests no framework links do not get one). Every router reads `req.url`
 * first after the swap (Express's, to match the path; finalhandler's, for its
 * 404); its getter notices the foreign prototype and calls {@link restoreSurface}, which puts
 * one object between the instance and the framework's prototype: our class surface, minus the
 * names the framework's plain objects define, over the framework's chain. Lookup order is then
 * what the framework expects on Node: its own additions first, then the `node:http` behaviour
 * (ours instead of the runtime's). The object is built once per (class, framework prototype)
 * pair. The request restores its response at the same time (Express swaps both). A framework
 * that swapped the prototypes without assigning `req.res`, or never read `req.url` after, would
 * not be noticed; none we know of does. No
 * per-request state lives here: a WeakMap entry per request costs V8 more in GC (ephemeron
 * tables) than the whole request object.
 *
 * This module owns only that bookkeeping. It must not know which classes it is given.
 *
 * @module
 */

type DescriptorEntries = [PropertyKey, PropertyDescriptor][];

const surfaces = new WeakMap<object, DescriptorEntries>();
const shims = new WeakMap<object, WeakMap<object, object>>();

/** The methods and accessors of `classProto` and its ancestors up to `Object.prototype`. */
function surface(classProto: object): DescriptorEntries {
  let entries = surfaces.get(classProto);
  if (entries) return entries;
  entries = [];
  const seen = new Set<PropertyKey>(["constructor"]);
  for (let p: object | null = classProto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const key of Reflect.ownKeys(p)) {
      if (seen.has(key)) continue;
      seen.add(key);
      entries.push([key, { ...Object.getOwnPropertyDescriptor(p, key)!, enumerable: false }]);
    }
  }
  surfaces.set(classProto, entries);
  return entries;
}

// Our class surface over `foreign`, without the names the framework's own objects define: the
// plain objects at the top of the foreign chain, down to the first class prototype (one with
// its own `constructor`, such as the runtime's `IncomingMessage.prototype`).
function shim(classProto: object, foreign: object): object {
  let byForeign = shims.get(classProto);
  if (!byForeign) shims.set(classProto, (byForeign = new WeakMap()));
  let s = byForeign.get(foreign);
  if (s) return s;
  const framework = new Set<PropertyKey>();
  for (let p: object | null = foreign; p !== null && !Object.hasOwn(p, "constructor"); p = Object.getPrototypeOf(p)) {
    for (const key of Reflect.ownKeys(p)) framework.add(key);
  }
  const map: PropertyDescriptorMap = {};
  for (const [key, d] of surface(classProto)) {
    if (!framework.has(key)) (map as Record<PropertyKey, PropertyDescriptor>)[key] = d;
  }
  s = Object.create(foreign, map) as object;
  byForeign.set(foreign, s);
  return s;
}

/**
 * If `obj`'s prototype no longer leads to `classProto`, put our surface back above it (see the
 * module notes). Returns `obj`'s prototype afterwards, for the caller to compare with next time.
 *
 * @example
 * ```ts
 * import { restoreSurface } from "./_surface.ts";
 * class A { hi() { return "a"; } }
 * const a = new A();
 * Object.setPrototypeOf(a, Object.create({ extra() { return "x"; } }));
 * restoreSurface(a, A.prototype);
 * console.log((a as A).hi(), (a as unknown as { extra(): string }).extra()); // "a" "x"
 * ```
 */
export function restoreSurface(obj: object, classProto: object): object {
  let proto = Object.getPrototypeOf(obj) as object | null;
  if (proto !== null && proto !== classProto && !Object.prototype.isPrototypeOf.call(classProto, proto)) {
    proto = shim(classProto, proto);
    Object.setPrototypeOf(obj, proto);
  }
  return proto as object;
}
