// Packaging: the npm build (ESM + CJS + types, wasm bundled, no runtime dependency) installs
// from the packed tarball and serves under the runtime running this file; `require()` works;
// the JSR package passes `deno publish --dry-run`.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { command, raw, undate } from "./_support/runtime.ts";
import { spawn, spawnSync } from "node:child_process";

const root = new URL("../", import.meta.url).pathname;
const bin = (name: string) => join(root, "node_modules", ".bin", name);
let scratch = "";

before(() => {
  // `npm test` builds dist/ first (tests/_support/run-all.mjs); here: pack + install, ~2 s.
  if (!existsSync(join(root, "dist/mod.js"))) throw new Error("Cannot test the package: run `npm run build` first");
  scratch = mkdtempSync(join(tmpdir(), "anyhttp-pack-"));
  const out = execFileSync("npm", ["pack", "--silent", "--pack-destination", scratch], { cwd: root, encoding: "utf8" }).trim();
  const tarball = join(scratch, out.split("\n").pop()!);
  writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "scratch", private: true }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--offline", tarball], { cwd: scratch, stdio: "pipe" });
});
after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test("the packed npm package has ESM, CJS and types for every entry, and no dependencies", () => {
  const pkg = JSON.parse(readFileSync(join(scratch, "node_modules/anyhttp/package.json"), "utf8"));
  assert.equal(pkg.dependencies, undefined);
  for (const name of ["mod", "core", "node", "deno", "bun"]) {
    for (const ext of [".js", ".cjs", ".d.ts", ".d.cts"]) {
      assert.ok(existsSync(join(scratch, "node_modules/anyhttp/dist", name + ext)), name + ext);
    }
  }
  assert.ok(!existsSync(join(scratch, "node_modules/undici")), "undici is bundled, not installed");
});

test("require('anyhttp') works from CommonJS", () => {
  writeFileSync(join(scratch, "r.cjs"), 'const h = require("anyhttp"); const c = require("anyhttp/core");\n' +
    'console.log(typeof h.createServer, typeof c.createMemoryTransport, h.STATUS_CODES[404]);\n');
  const out = execFileSync(process.execPath.includes("node") ? process.execPath : "node", [join(scratch, "r.cjs")], { encoding: "utf8" });
  assert.equal(out.trim(), "function function Not Found");
});

test("the installed package serves the seed program under this runtime", async () => {
  const file = join(scratch, "seed.mjs");
  writeFileSync(file, 'import { createServer } from "anyhttp";\n' +
    'const s = createServer((req, res) => { res.write("ok"); res.end(); });\n' +
    's.listen(0, "127.0.0.1", () => console.log("listening on 127.0.0.1:" + s.address().port));\n');
  const [cmd, args] = command(file);
  // Plain JS: no tsx needed under node.
  const child = spawn(cmd, args.filter((a) => a !== "--import" && a !== "tsx"), { cwd: scratch, stdio: ["ignore", "pipe", "inherit"] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (d) => {
        out += d;
        const m = /listening on \S+:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once("exit", (code) => reject(new Error(`exited ${code}`)));
    });
    const r = await raw(port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", (t) => t.endsWith("0\r\n\r\n"));
    assert.equal(
      undate(r.text),
      "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    );
  } finally {
    child.kill();
  }
});

test("the JSR package passes deno publish --dry-run", { timeout: 60_000 }, () => {
  const r = spawnSync(bin("deno"), ["publish", "--dry-run", "--allow-dirty"], { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  const out = `${r.stdout}${r.stderr}`;
  assert.equal(r.status, 0, out);
  assert.match(out, /Success Dry run complete/);
  // The package JSR would get: every entry's source and nothing of the tests.
  for (const f of ["adapters/mod.ts", "adapters/stream-socket.ts", "core/mod.ts", "core/parser/llhttp.ts"]) {
    assert.ok(out.includes(`/${f} (`), `${f} is in the package`);
  }
  assert.doesNotMatch(out, /\/tests\//, "no test file is published");
});
