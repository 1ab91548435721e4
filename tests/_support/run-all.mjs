// `npm test`: build dist/, type-check (core with no runtime types, everything, the call sites in
// tests/types/), then the whole suite under node, deno and bun, one after another.
// Prints one closing line with the totals.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;
const bin = (name) => join(root, "node_modules", ".bin", name);
const tests = readdirSync(join(root, "tests")).filter((f) => f.endsWith(".test.ts")).sort().map((f) => `tests/${f}`);
const only = process.argv[2]; // optional: node | deno | bun | check

const steps = [
  // tests/package.test.ts packs and installs this build.
  { name: "check", cmd: "npm", args: ["run", "build", "--silent"], count: () => null },
  { name: "check", cmd: bin("tsc"), args: ["-p", "tsconfig.core.json"], count: () => null },
  { name: "check", cmd: bin("tsc"), args: ["-p", "tsconfig.json"], count: () => null },
  // The ecosystem call sites of issue 11 with no cast: against the source (bundler, node16, and
  // Deno's resolution through deno.json), against dist/ (bundler, node16 from ESM and CommonJS),
  // and dist/'s declarations themselves.
  ...["tsconfig", "tsconfig.node16", "tsconfig.dist", "tsconfig.dist-node16", "tsconfig.declarations"].map((c) => (
    { name: "check", cmd: bin("tsc"), args: ["-p", `tests/types/${c}.json`], count: () => null }
  )),
  { name: "check", cmd: bin("deno"), args: ["check", "tests/types/ecosystem-call-sites.ts", "tests/types/node-gaps.ts"], count: () => null },
  // The package as both registries' tools read it: attw exits non-zero on any problem, publint
  // --strict on any warning (its suggestions do not fail; the README explains any left).
  // JSR's documentation check, on the package as JSR sees it: every entry of deno.json at once.
  { name: "check", cmd: bin("deno"), args: ["doc", "--lint", "adapters/mod.ts", "core/mod.ts", "adapters/node.ts", "adapters/deno.ts", "adapters/bun.ts", "adapters/https.ts"], count: () => null },
  { name: "check", cmd: bin("attw"), args: ["--pack", "."], count: () => null },
  { name: "check", cmd: bin("publint"), args: ["--strict"], count: () => null },
  {
    name: "node",
    cmd: process.execPath,
    // A hung test fails after 2 min instead of hanging CI (the slowest test takes ~10 s).
    args: ["--import", "tsx", "--test", "--test-concurrency=1", "--test-timeout=120000", ...tests],
    count: (out) => [num(out, /^# pass (\d+)/m), num(out, /^# fail (\d+)/m)],
  },
  {
    name: "deno",
    cmd: bin("deno"),
    args: ["test", "-A", ...tests],
    count: (out) => [num(out, /ok \| (\d+) passed/), num(out, /\| (\d+) failed/)],
  },
  {
    name: "bun",
    cmd: bin("bun"),
    // Bun's default per-test timeout is 5 s; packaging and process tests need more on a busy machine.
    args: ["test", "--timeout", "60000", ...tests.map((t) => `./${t}`)],
    count: (out) => [num(out, /^\s*(\d+) pass$/m), num(out, /^\s*(\d+) fail$/m)],
  },
];

function num(out, re) {
  const m = re.exec(out.replace(/\x1b\[[0-9;]*m/g, ""));
  return m ? Number(m[1]) : NaN;
}

let passed = 0;
let failed = 0;
let broken = [];
for (const step of steps) {
  if (only && step.name !== only) continue;
  console.log(`\n=== ${step.name}: ${[step.cmd.replace(root, ""), ...step.args].join(" ")}`);
  // `deno test` has no per-test timeout (Deno 2.9.6): a whole step that hangs is killed after
  // 15 min (a full step takes ~1 min), so CI fails instead of waiting forever.
  const r = spawnSync(step.cmd, step.args, { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 256 * 1024 * 1024, timeout: 15 * 60_000, killSignal: "SIGKILL" });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  process.stdout.write(out);
  const counts = step.count(out);
  if (counts) {
    const [p, f] = counts;
    if (Number.isNaN(p)) broken.push(`${step.name}: no test count found`);
    else {
      passed += p;
      failed += Number.isNaN(f) ? 0 : f;
      console.log(`--- ${step.name}: ${p} passed, ${Number.isNaN(f) ? 0 : f} failed`);
    }
  }
  if (r.status !== 0) broken.push(`${step.name} exited with ${r.status ?? r.signal}`);
}
for (const b of broken) console.log(`FAILED ${b}`);
console.log(`\ntotal: ${passed} passed, ${failed} failed`);
process.exit(broken.length || failed ? 1 : 0);
