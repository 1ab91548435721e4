/**
 * Own-property copies of a message class's methods and accessors, so that a request or
 * response keeps its behaviour when a framework replaces its prototype.
 *
 * Express does `Object.setPrototypeOf(req, app.request)` and
 * `Object.setPrototypeOf(res, app.response)` for every request (`lib/application.js`,
 * `app.handle`). Those objects inherit from the running runtime's `node:http`
 * `IncomingMessage.prototype` / `ServerResponse.prototype`, so after the swap every name our
 * classes define on their prototypes (`on`, `pipe`, `write`, `end`, the `headers` getter, ...)
 * would resolve to Node's implementation, which reads Node's private state (`_readableState`,
 * `_events`, `kOutHeaders`) and throws. Our `#private` fields are not the problem: they live on
 * the instance and survive the swap. Copying the class surface onto the instance once, at
 * construction, is enough: lookups find the own copies first, and the framework's additions
 * (`req.get`, `res.json`, ...), names we do not define, are still found on its prototype.
 *
 * This module owns only that copy. It must not know which class it is given.
 *
 * @module
 */

const surfaces = new WeakMap<object, PropertyDescriptorMap>();

/**
 * Define the methods and accessors of `obj`'s class chain (up to, not including,
 * `Object.prototype`) as non-enumerable own properties of `obj`. A subclass's override wins
 * over the method it overrides, as lookup on the prototype chain would. The descriptor map is
 * built once per class.
 *
 * @example
 * ```ts
 * import { pinSurface } from "./_surface.ts";
 * class A { hi() { return "a"; } }
 * const a = new A();
 * pinSurface(a);
 * Object.setPrototypeOf(a, null);
 * console.log(a.hi()); // "a"
 * ```
 */
export function pinSurface(obj: object): void {
  const proto = Object.getPrototypeOf(obj) as object | null;
  if (proto === null) return;
  let map = surfaces.get(proto);
  if (!map) {
    map = collect(proto);
    surfaces.set(proto, map);
  }
  Object.defineProperties(obj, map);
}

function collect(proto: object): PropertyDescriptorMap {
  const map: PropertyDescriptorMap = {};
  const seen = new Set<PropertyKey>(["constructor"]);
  for (let p: object | null = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const key of Reflect.ownKeys(p)) {
      if (seen.has(key)) continue;
      seen.add(key);
      const d = Object.getOwnPropertyDescriptor(p, key)!;
      (map as Record<PropertyKey, PropertyDescriptor>)[key] = { ...d, enumerable: false, configurable: true };
    }
  }
  return map;
}
