// Heap helpers shared by the bench servers (_ready.mjs) and the abuse app: a full GC where the
// runtime allows it, and the size of V8's young generation. Plain JS for node, deno and bun.
const g = globalThis;
const isBun = typeof g.Bun !== "undefined";

/**
 * A full GC where the runtime lets us (node --expose-gc, deno --v8-flags=--expose-gc,
 * Bun.gc(true)); returns whether one ran.
 */
export function gcNow() {
  if (isBun) {
    g.Bun.gc(true);
    return true;
  }
  if (typeof g.gc === "function") {
    g.gc();
    g.gc();
    return true;
  }
  return false;
}

/**
 * Physical bytes of V8's young generation (new space + new large-object space), or null where
 * the runtime does not report heap spaces (Bun: JSC; its node:v8 gives zeros). V8 grows the
 * young generation when many objects survive its scavenges (a burst of new connections) and
 * keeps it after a full GC: the memory reports give RSS growth with and without it.
 */
export async function youngGeneration() {
  if (isBun) return null;
  try {
    const v8 = await import("node:v8");
    let bytes = 0;
    for (const s of v8.getHeapSpaceStatistics()) {
      if (s.space_name === "new_space" || s.space_name === "new_large_object_space") bytes += s.physical_space_size;
    }
    return bytes > 0 ? bytes : null;
  } catch {
    return null;
  }
}
