#!/usr/bin/env node
// `npm run bench:profile`: CPU profile of a node target under wrk load (`node --cpu-prof`),
// summarised as the top self-time functions and self time per file.
//
//   npm run bench:profile                                   anyhttp on node, GET c50, 10 s
//   npm run bench:profile -- --scenario pipe100 --duration 20 --target node-http-node
//   npm run bench:profile -- --anyhttp source               profile the .ts through tsx
//
// The .cpuprofile is kept in bench/results/profiles/ (open it in Chrome DevTools › Performance
// or VS Code); the summary goes to stdout and bench/results/profile-<date>.md.
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { byFile, summarise, table } from "./lib/cpuprofile.mjs";
import {
  allTargets, anyhttpNodeBuild, BENCH, ensureWrk, machine, parseArgs, pinned, ROOT, selectTargets, startServer, verifyServer, versions,
} from "./lib/common.mjs";

const args = parseArgs(process.argv.slice(2));
const DURATION = Number(args.duration ?? 10);
const WARMUP = Number(args.warmup ?? 2);
const SCENARIOS = {
  get50: { c: 50 },
  get256: { c: 256 },
  post4k: { c: 50, script: "post.lua" },
  pipe100: { c: 50, script: "pipeline.lua" },
};
const scenarioId = args.scenario ?? "get50";
const scenario = SCENARIOS[scenarioId];
if (!scenario) throw new Error(`unknown scenario ${scenarioId}; known: ${Object.keys(SCENARIOS).join(", ")}`);

function wrk(port, seconds) {
  const a = ["-t1", `-c${scenario.c}`, `-d${seconds}s`];
  if (scenario.script) a.push("-s", join(BENCH, "wrk", scenario.script));
  a.push(`http://127.0.0.1:${port}/`);
  const [cmd, ca] = pinned(0, "wrk", a);
  return new Promise((resolve) => {
    const p = spawn(cmd, ca, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("exit", () => resolve(out));
  });
}

if (!ensureWrk()) process.exit(1);
const build = anyhttpNodeBuild(args.anyhttp ?? "auto");
const [target] = selectTargets(allTargets({ anyhttpBuild: build }).filter((t) => t.group === "node"), args.target ?? "anyhttp-node");
const stamp = new Date().toISOString().replace(/:/g, "-").replace(/\.\d+Z$/, "Z");
const dir = join(BENCH, "results", "profiles", `${stamp}-${target.id}-${scenarioId}`);
mkdirSync(dir, { recursive: true });
const interval = Number(args.interval ?? 250);
const server = await startServer(target, { cpu: 1, cmdOptions: { nodeFlags: ["--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${interval}`] } });
await verifyServer(server.port, { head: target.head });
console.log(`profiling ${target.label} (${target.id === "anyhttp-node" ? build.why : server.command}) under ${scenarioId}: ${WARMUP} s warm-up + ${DURATION} s`);
if (WARMUP) await wrk(server.port, WARMUP);
// Only samples taken while the measured wrk ran count (V8 stamps samples with the monotonic
// clock process.hrtime reads), so start-up, module loading and warm-up stay out.
const from = Number(process.hrtime.bigint() / 1000n);
const out = await wrk(server.port, DURATION);
const to = Number(process.hrtime.bigint() / 1000n);
const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)?.[1];
await server.stop();
const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
if (!file) throw new Error(`no .cpuprofile in ${dir}: the server did not exit cleanly`);
const path = join(dir, file);
let window = { from, to };
let top = summarise(path, { top: Number(args.top ?? 30), root: ROOT, window });
let windowNote = "measured window only";
if (top.totalMs === 0) {
  window = undefined;
  top = summarise(path, { top: Number(args.top ?? 30), root: ROOT });
  windowNote = "WHOLE process life (no samples matched the measured window's clock)";
}
const files = byFile(path, { root: ROOT, window }).slice(0, 15);
const v = versions();
const md = [
  `### CPU profile: ${target.label}, ${scenarioId}, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
  "",
  `${machine().cpu} × ${machine().cores}; node ${v.node}; anyhttp @ ${v.git}${v.dirty ? " + uncommitted core changes" : ""}; ${WARMUP} s warm-up + ${DURATION} s of wrk (${rps} req/s while profiled, sampling every ${interval} µs). ` +
    `Busy time sampled: ${(top.totalMs / 1000).toFixed(1)} s (${windowNote}; idle excluded). Profile: ${path.replace(ROOT, "")}`,
  "",
  "Top functions by self time:",
  "",
  table(top.rows),
  "",
  "Self time by file:",
  "",
  "| self % | self ms | file |",
  "|---:|---:|---|",
  ...files.map((f) => `| ${f.share.toFixed(1)} | ${f.selfMs} | ${f.where} |`),
  "",
].join("\n");
console.log(`\n${md}`);
const mdFile = join(BENCH, "results", `profile-${stamp}-${target.id}-${scenarioId}.md`);
writeFileSync(mdFile, md);
console.log(`written: ${mdFile.replace(ROOT, "")}`);
