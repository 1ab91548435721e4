// `node --import tsx --import ./bench/lib/force-plain-wasm.mjs …`: resolve core/parser/_wasm.ts,
// when imported by core/parser/llhttp.ts, to bench/lib/plain-wasm.mjs (see there).
import { register } from "node:module";

register("./force-plain-wasm-hooks.mjs", import.meta.url);
