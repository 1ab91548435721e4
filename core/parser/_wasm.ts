/**
 * The llhttp WebAssembly bytes, and nothing else.
 *
 * The bytes are the Node.js project's own llhttp build as shipped inside `undici`
 * (`lib/llhttp/llhttp_simd-wasm.js` and `lib/llhttp/llhttp-wasm.js`). They are a dependency,
 * never a committed file: under Node and Bun the import resolves through `node_modules`, under
 * Deno/JSR through the `npm:undici@<pinned>` mapping in `deno.json`, and the npm build bundles
 * them into `dist/` (see `tsup.config.ts`), so the published package has no runtime dependency.
 *
 * @module
 */
// undici's files are CommonJS and export a Uint8Array (a Node Buffer) as `module.exports`.
import simd from "undici/lib/llhttp/llhttp_simd-wasm.js";
import plain from "undici/lib/llhttp/llhttp-wasm.js";

/** llhttp compiled with WebAssembly SIMD (faster where the engine has SIMD). */
export const llhttpSimdWasm: Uint8Array = simd as Uint8Array;
/** llhttp compiled without SIMD: the fallback. */
export const llhttpWasm: Uint8Array = plain as Uint8Array;
