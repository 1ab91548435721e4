// npm build: ESM + CJS for every entry point, with llhttp's wasm bytes bundled in so the
// published package has no runtime dependency (the .d.ts come after, from
// scripts/build-types.mjs). `tests/exports.test.ts` checks that these entries match
// package.json's and deno.json's exports.
import type { Options } from "tsup";
import { readFileSync } from "node:fs";

/** dist file name → source, one per public entry point. */
export const entry: Record<string, string> = {
  mod: "adapters/mod.ts",
  core: "core/mod.ts",
  node: "adapters/node.ts",
  deno: "adapters/deno.ts",
  bun: "adapters/bun.ts",
  https: "adapters/https.ts",
};

// undici's generated wasm modules decode their base64 with Node's Buffer, which an ESM bundle
// cannot `require`. Rewrite each into a module that decodes with atob (every runtime has it).
const undiciWasm = {
  name: "undici-wasm",
  setup(build: { onLoad: (o: { filter: RegExp }, cb: (a: { path: string }) => { contents: string; loader: "js" }) => void }) {
    build.onLoad({ filter: /undici[\\/]lib[\\/]llhttp[\\/]llhttp(_simd)?-wasm\.js$/ }, ({ path }) => {
      const source = readFileSync(path, "utf8");
      const m = /const wasmBase64 = '([A-Za-z0-9+/=]+)'/.exec(source);
      if (!m) throw new Error(`Cannot bundle ${path}: its base64 literal was not found`);
      return {
        contents: `const s = atob(${JSON.stringify(m[1])});\n` +
          "const b = new Uint8Array(s.length);\n" +
          "for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);\n" +
          "export default b;\n",
        loader: "js",
      };
    });
  },
};

const options: Options = {
  entry,
  format: ["esm", "cjs"],
  // tsup's bundled declarations share chunks with minified names (`status-codes-B_dM1fkn.d.ts`
  // exporting `c`, seen in hovers): scripts/build-types.mjs emits one per source file instead.
  dts: false,
  clean: true,
  target: "es2022",
  platform: "node",
  sourcemap: false,
  splitting: true,
  noExternal: ["undici"],
  esbuildPlugins: [undiciWasm as never],
};

export default options;
