// Stands in for core/parser/_wasm.ts when bench/parser.ts measures the plain (non-SIMD) llhttp
// build: the "SIMD" bytes are not a wasm module, so core's loadLlhttp() takes its own fallback
// path and reports llhttpBuild === "plain". Nothing in core/ changes.
import plain from "undici/lib/llhttp/llhttp-wasm.js";

export const llhttpSimdWasm = new Uint8Array(0);
export const llhttpWasm = plain;
