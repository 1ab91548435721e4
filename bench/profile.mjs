#!/usr/bin/env node
// `npm run bench:profile`: CPU profile of a bench target under wrk load, summarised as the top
// self-time functions (with µs per request) and self time per file. Node targets run with
// `node --cpu-prof`, Bun targets with `bun --cpu-prof`, Deno targets under `--inspect` with the
// profiler started over the inspector protocol for the measured window only.
//
//   npm run bench:profile                                   anyhttp on node, GET c50, 10 s
//   npm run bench:profile -- --scenario pipe100 --duration 20 --target node-http-node
//   npm run bench:profile -- --target floor-deno            any target of `npm run bench`
//   npm run bench:profile -- --target anyhttp-node --vs floor-node
//                       profile both, then list what the first spends per request that the
//                       second does not (issue 15: what stands between anyhttp and the floor)
//   npm run bench:profile -- --anyhttp source               profile the .ts through tsx
//   npm run bench:profile -- --top 40 --interval 100        rows shown, sampling interval µs
//
// Sampled time is what the profiler sees: JS, wasm, GC and native calls made from JS (the
// write syscall shows up as `writeBuffer` on node, `op_write` on deno). Most of the kernel's
// read and poll work is done outside JS and not sampled as busy, so the sampled µs per
// request is well below the server CPU per request that `npm run bench` reads from /proc. The
// samplers tick on wall time: when other processes share the server's core, the time the
// server sits preempted is sampled where it stopped (mostly the write syscall), so a busy
// machine inflates those rows; compare the JS rows of two targets as shares. Bun's profile counts
// wall time (its idle loop is sampled, mostly as `write`) and cannot be cut to the measured
// window: read its JS rows as shares, not as CPU µs.
//
// The .cpuprofile is kept in bench/results/profiles/ (open it in Chrome DevTools › Performance
// or VS Code); the summary goes to stdout and bench/results/profile-<date>.md.
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { byFile, summarise, table } from "./lib/cpuprofile.mjs";
import {
  allTargets, anyhttpNodeBuild, BENCH, ensureWrk, machine, parseArgs, pinned, ROOT, selectTargets, startServer, verifyServer, versions,
} from "./lib/common.mjs";

const args = parseArgs(process.argv.slice(2));
if (args.help) {
  // The comment block at the top of this file.
  const lines = readFileSync(new URL(import.meta.url), "utf8").split("\n").slice(1);
  console.log(lines.slice(0, lines.findIndex((l) => !l.startsWith("//"))).map((l) => l.replace(/^\/\/ ?/, "")).join("\n"));
  process.exit(0);
}
const DURATION = Number(args.duration ?? 10);
const WARMUP = Number(args.warmup ?? 2);
const TOP = Number(args.top ?? 30);
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

/**
 * The inspector of a Deno server (started with `--inspect=127.0.0.1:0`): its websocket URL is
 * on stderr. Returns `send(method, params) → Promise<result>` and `close()`.
 */
async function inspector(server) {
  let url;
  for (let i = 0; i < 100 && !url; i++) {
    url = /ws:\/\/[^\s]+/.exec(server.stderr())?.[0];
    if (!url) await new Promise((r) => setTimeout(r, 50));
  }
  if (!url) throw new Error(`no inspector URL on the server's stderr: ${server.stderr().slice(0, 500)}`);
  const { WebSocket } = await import("ws");
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let id = 0;
  const waiting = new Map();
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data));
    const w = waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id);
    if (msg.error) w.reject(new Error(`${msg.error.message} (${JSON.stringify(msg.error)})`));
    else w.resolve(msg.result);
  });
  return {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const n = ++id;
        waiting.set(n, { resolve, reject });
        ws.send(JSON.stringify({ id: n, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** Profile one target under the scenario: the summary rows, per-file rows, and the run's numbers. */
async function profileTarget(target, interval, stamp) {
  const dir = join(BENCH, "results", "profiles", `${stamp}-${target.id}-${scenarioId}`);
  mkdirSync(dir, { recursive: true });
  const runtime = target.cmd()[0].endsWith("deno") ? "deno" : target.cmd()[0].endsWith("bun") ? "bun" : "node";
  const profFlags = ["--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${interval}`];
  const cmdOptions = runtime === "node" ? { nodeFlags: profFlags } : runtime === "bun" ? { bunFlags: profFlags } : { denoFlags: ["--inspect=127.0.0.1:0"] };
  const server = await startServer(target, { cpu: 1, cmdOptions });
  await verifyServer(server.port, { head: target.head });
  console.log(`profiling ${target.label} (${server.command.replace(ROOT, "")}) under ${scenarioId}: ${WARMUP} s warm-up + ${DURATION} s`);
  const devtools = runtime === "deno" ? await inspector(server) : null;
  if (devtools) {
    await devtools.send("Profiler.enable");
    await devtools.send("Profiler.setSamplingInterval", { interval });
  }
  if (WARMUP) await wrk(server.port, WARMUP);
  // Only samples taken while the measured wrk ran count (V8 stamps samples with the monotonic
  // clock process.hrtime reads), so start-up, module loading and warm-up stay out. The Deno
  // profile covers exactly that window: the profiler runs only then.
  if (devtools) await devtools.send("Profiler.start");
  const from = Number(process.hrtime.bigint() / 1000n);
  const out = await wrk(server.port, DURATION);
  const to = Number(process.hrtime.bigint() / 1000n);
  if (devtools) {
    const { profile } = await devtools.send("Profiler.stop");
    writeFileSync(join(dir, `${target.id}.cpuprofile`), JSON.stringify(profile));
    devtools.close();
  }
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  await server.stop();
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no .cpuprofile in ${dir}: the server did not exit cleanly`);
  const path = join(dir, file);
  let window = devtools ? undefined : { from, to };
  let all = summarise(path, { top: Infinity, root: ROOT, window });
  let windowNote = "measured window only";
  if (all.totalMs === 0) {
    window = undefined;
    all = summarise(path, { top: Infinity, root: ROOT });
    windowNote = "WHOLE process life (no samples matched the measured window's clock)";
  }
  const files = byFile(path, { root: ROOT, window }).slice(0, 15);
  return { target, path, all, files, rps, requests, windowNote };
}

/** µs of self time per request for each row (the profile's busy time over the requests wrk counted). */
const perRequest = (p) => (ms) => (p.requests > 0 ? (ms * 1000) / p.requests : NaN);

function report(p, interval) {
  const us = perRequest(p);
  const rows = p.all.rows.slice(0, TOP);
  return [
    `### CPU profile: ${p.target.label}, ${scenarioId}`,
    "",
    `${DURATION} s of wrk after ${WARMUP} s warm-up: ${p.rps} req/s while profiled (${p.requests} requests), sampling every ${interval} µs. ` +
      `Busy time sampled: ${(p.all.totalMs / 1000).toFixed(1)} s (${p.windowNote}; idle excluded) = ${us(p.all.totalMs).toFixed(2)} µs per request. ` +
      `Profile: ${p.path.replace(ROOT, "")}`,
    "",
    "Top functions by self time:",
    "",
    table(rows).split("\n").map((l, i) =>
      i === 0 ? `${l} µs/req |` : i === 1 ? `${l}---:|` : `${l} ${us(rows[i - 2].selfMs).toFixed(3)} |`
    ).join("\n"),
    "",
    "Self time by file:",
    "",
    "| self % | self ms | µs/req | file |",
    "|---:|---:|---:|---|",
    ...p.files.map((f) => `| ${f.share.toFixed(1)} | ${f.selfMs} | ${us(f.selfMs).toFixed(3)} | ${f.where} |`),
    "",
  ].join("\n");
}

/**
 * What `a` spends per request that `b` does not: every function keyed by name and place,
 * a's self µs/request less b's, biggest first. A function absent from b's profile is marked.
 */
function difference(a, b) {
  const ua = perRequest(a);
  const ub = perRequest(b);
  const key = (r) => `${r.name}|${r.where}`;
  const inB = new Map(b.all.rows.map((r) => [key(r), r]));
  const rows = a.all.rows.map((r) => {
    const other = inB.get(key(r));
    const usA = ua(r.selfMs);
    const usB = other ? ub(other.selfMs) : 0;
    return { ...r, usA, usB, diff: usA - usB, only: !other };
  }).sort((x, y) => y.diff - x.diff).slice(0, TOP);
  const total = ua(a.all.totalMs) - ub(b.all.totalMs);
  return [
    `### What ${a.target.label} spends per request above ${b.target.label}, ${scenarioId}`,
    "",
    `Busy CPU per request: ${ua(a.all.totalMs).toFixed(2)} µs against ${ub(b.all.totalMs).toFixed(2)} µs (+${total.toFixed(2)} µs, sampled). ` +
      `Functions by self µs/request in the first less the second (same name and source position); ` +
      `"only" = not sampled at all in ${b.target.label}.`,
    "",
    `| Δ µs/req | ${a.target.id} µs/req | ${b.target.id} µs/req | ${a.target.id} self % | function | where |`,
    "|---:|---:|---:|---:|---|---|",
    ...rows.map((r) => `| ${r.diff.toFixed(3)} | ${r.usA.toFixed(3)} | ${r.usB.toFixed(3)} | ${r.share.toFixed(1)} | \`${r.name}\`${r.only ? " (only)" : ""} | ${r.where} |`),
    "",
  ].join("\n");
}

if (!ensureWrk()) process.exit(1);
const build = anyhttpNodeBuild(args.anyhttp ?? "auto");
const targets = allTargets({ anyhttpBuild: build });
const [target] = selectTargets(targets, args.target ?? "anyhttp-node");
const [vs] = args.vs ? selectTargets(targets, args.vs) : [];
const stamp = new Date().toISOString().replace(/:/g, "-").replace(/\.\d+Z$/, "Z");
const interval = Number(args.interval ?? 250);
const v = versions();
const profiles = [await profileTarget(target, interval, stamp)];
if (vs) profiles.push(await profileTarget(vs, interval, stamp));
const md = [
  `## CPU profiles, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
  "",
  `${machine().cpu} × ${machine().cores}, load ${machine().loadavg.join(" ")}; node ${v.node}, deno ${v.deno}, bun ${v.bun}; anyhttp @ ${v.git}${v.dirty ? " + uncommitted core changes" : ""}; anyhttp on node from ${build.kind}.`,
  "",
  ...profiles.map((p) => report(p, interval)),
  ...(vs ? [difference(profiles[0], profiles[1])] : []),
].join("\n");
console.log(`\n${md}`);
const mdFile = join(BENCH, "results", `profile-${stamp}-${target.id}${vs ? `-vs-${vs.id}` : ""}-${scenarioId}.md`);
writeFileSync(mdFile, md);
console.log(`written: ${mdFile.replace(ROOT, "")}`);
