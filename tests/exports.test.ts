// The three lists of entry points (deno.json, package.json, tsup.config.ts) stay equal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { entry } from "../tsup.config.ts";

const root = new URL("../", import.meta.url);
const deno = JSON.parse(readFileSync(new URL("deno.json", root), "utf8"));
const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8"));
const subpath = (name: string) => (name === "mod" ? "." : `./${name}`);

test("deno.json, package.json and tsup expose the same entry points", () => {
  const fromTsup = Object.keys(entry).map(subpath).sort();
  assert.deepEqual(Object.keys(deno.exports).sort(), fromTsup);
  assert.deepEqual(Object.keys(pkg.exports).sort(), fromTsup);
});

test("each entry point maps to the same source on JSR and in the npm build", () => {
  for (const [name, source] of Object.entries(entry)) {
    assert.equal(deno.exports[subpath(name)], `./${source}`, name);
    const e = pkg.exports[subpath(name)];
    assert.deepEqual(e, {
      import: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` },
      require: { types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` },
    }, name);
  }
});

test("the llhttp wasm comes from the undici version deno.json pins", () => {
  const pinned = /npm:\/undici@([\d.]+)\//.exec(deno.imports["undici/"])?.[1];
  assert.equal(pinned, pkg.devDependencies.undici);
});
