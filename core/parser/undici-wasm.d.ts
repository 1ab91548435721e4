// Types for undici's generated wasm modules, which ship without declarations.
declare module "undici/lib/llhttp/llhttp_simd-wasm.js" {
  const bytes: Uint8Array;
  export default bytes;
}
declare module "undici/lib/llhttp/llhttp-wasm.js" {
  const bytes: Uint8Array;
  export default bytes;
}
