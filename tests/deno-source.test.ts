// The Deno source used outside the package: a vendored copy (or git submodule) of core/ and
// adapters/ imported by path from a program with its own deno.json. Deno 2.9.6 resolves a bare
// specifier through the program's config only, so the copy's `undici/` mapping is not seen
// unless the program says where it is: as a workspace member, or with the mapping in its own
// imports. The README gives both; this runs each with the deno binary from node_modules (under
// node, deno and bun alike) and fails when either stops serving.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { runtime } from "./_support/runtime.ts";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const deno = path.join(root, "node_modules", ".bin", "deno");

const MAIN = `import { createServer } from "./vendor/anyhttp/adapters/mod.ts";
const server = createServer((req, res) => res.end("vendored " + req.url));
server.listen(0, "127.0.0.1", async () => {
  const r = await fetch("http://127.0.0.1:" + server.address()!.port + "/x");
  console.log(r.status, await r.text());
  server.close();
});
`;

/** A program in a fresh folder with a vendored copy of the source and `config` as deno.json. */
function run(config: object): { status: number | null; out: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "anyhttp-vendored-"));
  try {
    const copy = path.join(dir, "vendor", "anyhttp");
    for (const part of ["core", "adapters", "deno.json"]) {
      fs.cpSync(path.join(root, part), path.join(copy, part), { recursive: true });
    }
    fs.writeFileSync(path.join(dir, "deno.json"), JSON.stringify(config));
    fs.writeFileSync(path.join(dir, "main.ts"), MAIN);
    const r = spawnSync(deno, ["run", "-A", "main.ts"], { cwd: dir, encoding: "utf8", timeout: 120_000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const undiciMapping = JSON.parse(fs.readFileSync(path.join(root, "deno.json"), "utf8")).imports["undici/"];

test(`[${runtime}] a vendored copy serves under Deno as a workspace member of the program`, () => {
  const r = run({ workspace: ["./vendor/anyhttp"] });
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /^200 vendored \/x$/m);
});

test(`[${runtime}] a vendored copy serves under Deno with the undici mapping in the program's imports`, () => {
  const r = run({ imports: { "undici/": undiciMapping } });
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /^200 vendored \/x$/m);
});

test(`[${runtime}] without either, Deno says which import it cannot resolve (the case the README answers)`, () => {
  const r = run({});
  assert.notEqual(r.status, 0);
  assert.match(r.out, /Import "undici\/lib\/llhttp\/llhttp(_simd)?-wasm\.js" not a dependency/);
});
