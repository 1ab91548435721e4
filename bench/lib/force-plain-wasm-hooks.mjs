// Module resolve hook for force-plain-wasm.mjs (runs before tsx's, registered after it).
const plain = new URL("./plain-wasm.mjs", import.meta.url).href;

export async function resolve(specifier, context, next) {
  const parent = context.parentURL?.split("?")[0] ?? "";
  if (parent.endsWith("/core/parser/llhttp.ts") && /^\.\/_wasm(\.ts|\.js)?$/.test(specifier)) {
    return { url: plain, shortCircuit: true };
  }
  return next(specifier, context);
}
