// npm build, after tsup: the declarations. tsc writes one .d.ts per source file into dist/types/
// (tsconfig.build.json), so hovers and errors name `Server` and `IncomingMessage` from their own
// files instead of a bundled chunk's minified aliases. This script then rewrites their `.ts`
// specifiers (tsc 5.9 keeps them in declarations even with rewriteRelativeImportExtensions),
// writes a `.d.cts` twin of each for `require` (a .d.cts may not import an ESM .d.ts under
// node16), and the entry files package.json names (dist/<name>.d.ts and .d.cts).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("../", import.meta.url).pathname;
const types = join(root, "dist/types");
execFileSync(join(root, "node_modules/.bin/tsc"), ["-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });

/** Relative specifiers in `from "…"`, `import("…")` and `import "…"`, ending in .ts or .js. */
const relativeSpecifier = /((?:from|import)\s*\(?\s*["'])(\.\.?\/[^"']*?)\.(?:ts|js)(["'])/g;
const withExtension = (source, ext) => source.replace(relativeSpecifier, `$1$2.${ext}$3`);

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) yield* files(join(dir, e.name));
    else if (e.name.endsWith(".d.ts")) yield join(dir, e.name);
  }
}
for (const file of [...files(types)]) {
  const source = readFileSync(file, "utf8");
  writeFileSync(file, withExtension(source, "js"));
  writeFileSync(file.replace(/\.d\.ts$/, ".d.cts"), withExtension(source, "cjs"));
}

// One entry file per public entry point: deno.json maps the subpath to its source, package.json
// to the declaration file (tests/exports.test.ts keeps the two lists equal).
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
for (const [subpath, conditions] of Object.entries(pkg.exports)) {
  const source = deno.exports[subpath].replace(/^\.\//, "").replace(/\.ts$/, "");
  for (const [condition, ext] of [["import", "js"], ["require", "cjs"]]) {
    const entry = join(root, conditions[condition].types);
    const target = relative(join(entry, ".."), join(types, source));
    writeFileSync(entry, `export * from "./${target}.${ext}";\n`);
  }
}
