#!/usr/bin/env node
// `npm run bench`: anyhttp vs each runtime's own servers and raw TCP ceilings, side by side,
// in one run. Servers run pinned to CPU 1, wrk pinned to CPU 0. See README "Benchmarks".
//
//   npm run bench                         3 rounds × 5 s per target and scenario (~13 min)
//   npm run bench -- --quick              smoke run: 1 round × 1 s, no warm-up (~1.5 min)
//   npm run bench -- --rounds 5 --duration 10 --warmup 2
//   npm run bench -- --targets node,bun-serve --scenarios get50,pipe100
//   npm run bench -- --targets anyhttp,floor,raw --scenarios get50,post4k,pipe100
//                                         issue 15: anyhttp / floor and floor / raw per runtime
//   npm run bench -- --anyhttp source|dist|auto   (default auto: dist/ when fresh)   --build
//   npm run bench -- --report bench/results/latest.json   (print an earlier run's tables again)
//   npm run bench -- --node24             also Node 24 (anyhttp, node:http, raw net), installed
//                                         on demand into .bench/node24 (npm package node@24)
//
// The same settings as env: BENCH_ROUNDS, BENCH_DURATION, BENCH_WARMUP, BENCH_TARGETS,
// BENCH_SCENARIOS, BENCH_QUICK=1, BENCH_ANYHTTP, BENCH_NODE24=1.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  allTargets, anyhttpNodeBuild, BENCH, cores, cpuBusy, cpuSeconds, cpuTimes, ensureNode24, ensureWrk, hasTaskset,
  machine, max, median, min, parseArgs, pinned, ROOT, selectTargets, sleep, startServer, verifyGet, verifyServer, versions,
} from "./lib/common.mjs";

const args = parseArgs(process.argv.slice(2));
const opt = (name, env, fallback) => args[name] ?? process.env[env] ?? fallback;
if (args.help) {
  console.log(readHeader());
  process.exit(0);
}

const quick = Boolean(args.quick || process.env.BENCH_QUICK === "1");
const ROUNDS = Number(opt("rounds", "BENCH_ROUNDS", quick ? 1 : 3));
const DURATION = Number(opt("duration", "BENCH_DURATION", quick ? 1 : 5));
const WARMUP = Number(opt("warmup", "BENCH_WARMUP", quick ? 0 : 1));
const SERVER_CPU = Number(opt("server-cpu", "BENCH_SERVER_CPU", 1));
const CLIENT_CPU = Number(opt("client-cpu", "BENCH_CLIENT_CPU", 0));

/** Scenarios: all keep-alive, one wrk thread (it has one core). */
const SCENARIOS = [
  { id: "get50", label: "GET c50", connections: 50 },
  { id: "get256", label: "GET c256", connections: 256 },
  { id: "post4k", label: "POST 4KiB echo c50", connections: 50, script: "post.lua" },
  { id: "pipe100", label: "GET pipelined×100 c50", connections: 50, script: "pipeline.lua" },
];

/** Ratios printed, with the issue-5 goal per scenario (median ratio ≥ goal). */
const ALL = (g) => ({ get50: g, get256: g, post4k: g, pipe100: g });
const COMPARISONS = [
  { a: "anyhttp-node", b: "node-http-node", goal: { get50: 1.5, get256: 1.5, pipe100: 1.5, post4k: 1.3 } },
  { a: "anyhttp-node", b: "raw-node", goal: { get50: 0.85 } },
  { a: "anyhttp-node24", b: "node-http-node24", goal: { get50: 1.5, get256: 1.5, pipe100: 1.5, post4k: 1.3 } },
  { a: "anyhttp-node24", b: "raw-node24", goal: { get50: 0.85 } },
  { a: "anyhttp-bun", b: "bun-serve", goal: { get50: 1.0, get256: 1.0 } },
  { a: "anyhttp-bun", b: "node-http-bun", goal: ALL(1.5) },
  { a: "anyhttp-bun", b: "raw-bun", goal: { get50: 0.85 } },
  { a: "anyhttp-deno", b: "node-http-deno", goal: ALL(2.5) },
  { a: "anyhttp-deno", b: "deno-serve", goal: {} },
  // POST is left out: the raw "ceiling" for POST answers without reading the body (see _raw.mjs).
  { a: "anyhttp-deno", b: "raw-deno", goal: { get50: 0.85, get256: 0.85, pipe100: 0.85 } },
  // Issue 15: the floor of this architecture (bench/servers/_floor.mjs). anyhttp within 10 % of
  // it; the floor itself at 0.85× the raw ceiling or a profile that says why not. POST has no
  // floor/raw goal: the raw ceiling does not read the body it "echoes" (see _raw.mjs).
  ...["node", "node24", "bun", "deno"].flatMap((g) => [
    { a: `anyhttp-${g}`, b: `floor-${g}`, goal: { get50: 0.9, post4k: 0.9 } },
    { a: `floor-${g}`, b: `raw-${g}`, goal: { get50: 0.85 } },
  ]),
];

/**
 * Server CPU per request split into layers, per runtime: the base target's µs, what the middle
 * one adds to it (middle − base) and what the top one adds to that (top − middle). Differences
 * are taken per round (the targets of a round run seconds apart), then the median.
 * `kinds`: [base, middle, top] target kinds; `names`: labels of the two differences.
 */
function layers(out, results, targets, scenarios, kinds, names, caption) {
  const us = (m) => (m.rps > 0 ? (m.serverCpu / m.rps) * 1e6 : NaN);
  const diff = (a, b, sid) => {
    const A = results[a]?.[sid]?.rounds ?? [];
    const B = results[b]?.[sid]?.rounds ?? [];
    return median(A.map((m, i) => us(m) - (B[i] ? us(B[i]) : NaN)).filter(Number.isFinite));
  };
  const groups = [...new Set(targets.map((t) => t.group))].filter((g) =>
    kinds.every((k) => targets.some((t) => t.group === g && t.kind === k && results[t.id]))
  );
  if (groups.length === 0) return;
  out.push("");
  out.push(caption);
  out.push("");
  out.push(`| runtime | ${scenarios.map((s) => s.label).join(" | ")} |`);
  out.push(`|---|${scenarios.map(() => "---:").join("|")}|`);
  const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : "–");
  for (const g of groups) {
    const [base, middle, top] = kinds.map((k) => targets.find((t) => t.group === g && t.kind === k).id);
    out.push(`| ${g} | ${scenarios.map((s) => `${f(results[base][s.id].cpuUsPerRequest)} + ${names[0]} ${f(diff(middle, base, s.id))} + ${names[1]} ${f(diff(top, middle, s.id))}`).join(" | ")} |`);
  }
}

/** Where anyhttp's server CPU per request goes: the raw ceiling, + the core run in memory on each read, + the adapter. */
function attribution(out, results, targets, scenarios) {
  layers(out, results, targets, scenarios, ["raw", "rawcore", "anyhttp"], ["core", "adapter"],
    "Where anyhttp's server CPU per request goes, µs (per-round differences, median): the raw ceiling; + core: the raw ceiling that also runs the core in memory on each read, less the raw ceiling; + adapter: anyhttp less that. `npm run bench:core` gives the core's cost with warm caches and no socket.");
}

/**
 * Issue 15: the raw ceiling, what the floor adds to it (transport adapter + llhttp binding +
 * parser pool) and what anyhttp adds to the floor (request/response objects, events,
 * serializer, state machine).
 */
function floorAttribution(out, results, targets, scenarios) {
  layers(out, results, targets, scenarios, ["raw", "floor", "anyhttp"], ["floor", "objects"],
    "Raw → floor → anyhttp, server CPU per request, µs (per-round differences, median): the raw ceiling; + floor: what the floor (anyhttp's transport and llhttp binding, answers built ahead) costs above it; + objects: what anyhttp costs above the floor. (POST: the raw ceiling does not read or echo the body.)");
}

function readHeader() {
  const lines = readFileSync(new URL(import.meta.url), "utf8").split("\n").slice(1);
  return lines.slice(0, lines.findIndex((l) => !l.startsWith("//"))).map((l) => l.replace(/^\/\/ ?/, "")).join("\n");
}

// ---------------------------------------------------------------------------------------------

function runWrk(port, scenario, seconds) {
  const wrkArgs = ["-t1", `-c${scenario.connections}`, `-d${seconds}s`, "--latency", "--timeout", "4s"];
  if (scenario.script) wrkArgs.push("-s", join(BENCH, "wrk", scenario.script));
  wrkArgs.push(`http://127.0.0.1:${port}/`);
  const [cmd, a] = pinned(CLIENT_CPU, "wrk", wrkArgs);
  return new Promise((resolve) => {
    const child = spawn(cmd, a, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", (code) => resolve({ code, out }));
  });
}

function parseWrk(out) {
  const num = (re) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : 0;
  };
  const toMs = (v, unit) => Number(v) * ({ us: 1e-3, ms: 1, s: 1e3, m: 6e4 }[unit] ?? NaN);
  const lat = (p) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m").exec(out);
    return m ? toMs(m[1], m[2]) : NaN;
  };
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    requests: num(/(\d+) requests in/),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    errors: se ? { connect: +se[1], read: +se[2], write: +se[3], timeout: +se[4] } : { connect: 0, read: 0, write: 0, timeout: 0 },
    p50ms: lat(50),
    p99ms: lat(99),
  };
}

/** One measured wrk run against a running server, with CPU readings. */
async function measure(server, scenario, seconds) {
  const c0 = cpuSeconds(server.pid);
  const t0 = cpuTimes();
  const w0 = performance.now();
  const { code, out } = await runWrk(server.port, scenario, seconds);
  const wall = (performance.now() - w0) / 1000;
  const busy = cpuBusy(t0, cpuTimes());
  const r = parseWrk(out);
  const errorCount = r.errors.connect + r.errors.read + r.errors.write + r.errors.timeout;
  return {
    ...r,
    wrkExit: code,
    serverCpu: round((cpuSeconds(server.pid) - c0) / wall, 3),
    serverCoreBusy: round(busy[SERVER_CPU], 3),
    clientCoreBusy: round(busy[CLIENT_CPU], 3),
    ok: code === 0 && r.requests > 0 && r.non2xx === 0 && errorCount === 0,
    ...(code !== 0 || r.requests === 0 ? { wrkOutput: out.slice(-2000) } : {}),
  };
}

const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const fmtK = (x) => (Number.isFinite(x) ? (x >= 1e6 ? `${round(x / 1e6, 2)}M` : `${round(x / 1e3, 1)}k`) : "–");

// ---------------------------------------------------------------------------------------------

async function main() {
  if (!args["no-install"] && !ensureWrk()) process.exit(1);
  if (!hasTaskset) console.warn("warning: taskset not found (util-linux): servers and wrk are NOT pinned to separate cores");
  else if (cores < 2) console.warn(`warning: ${cores} CPU: server and wrk share it`);
  if (args.build) {
    console.log("npm run build …");
    const r = spawnSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
    if (r.status !== 0) process.exit(1);
  }
  const build = anyhttpNodeBuild(opt("anyhttp", "BENCH_ANYHTTP", "auto"));
  const node24 = Boolean(args.node24 || process.env.BENCH_NODE24 === "1");
  if (node24 && !ensureNode24()) {
    console.error("--node24: Node 24 could not be installed (npm install node@24 failed)");
    process.exit(1);
  }
  const targets = selectTargets(allTargets({ anyhttpBuild: build, node24 }), opt("targets", "BENCH_TARGETS"));
  const scenarioList = opt("scenarios", "BENCH_SCENARIOS");
  const scenarios = scenarioList ? SCENARIOS.filter((s) => scenarioList.split(",").includes(s.id)) : SCENARIOS;
  if (scenarios.length === 0) throw new Error(`no scenario matches ${scenarioList}; known: ${SCENARIOS.map((s) => s.id).join(", ")}`);

  const started = new Date();
  const info = { machine: machine(), versions: versions() };
  console.log(`anyhttp bench ${started.toISOString()} · ${info.machine.cpu} × ${info.machine.cores} · load ${info.machine.loadavg.join(" ")}`);
  console.log(`node ${info.versions.node}${node24 ? ` · node24 ${info.versions.node24}` : ""} · deno ${info.versions.deno} · bun ${info.versions.bun} · wrk ${info.versions.wrk} · anyhttp ${info.versions.anyhttp} @ ${info.versions.git}${info.versions.dirty ? " + UNCOMMITTED changes in core/ or adapters/" : ""}`);
  console.log(`anyhttp on node: ${build.why}`);
  const perRun = scenarios.length * targets.length;
  const est = perRun * (WARMUP + ROUNDS * DURATION + 0.4 * (ROUNDS + (WARMUP ? 1 : 0)));
  console.log(`${targets.length} targets × ${scenarios.length} scenarios × ${ROUNDS} rounds × ${DURATION} s (+${WARMUP} s warm-up), servers on CPU ${SERVER_CPU}, wrk on CPU ${CLIENT_CPU}: about ${Math.ceil(est / 60)} min\n`);

  // Start every server (idle ones cost nothing) and check its answers before measuring it.
  const servers = new Map();
  const targetInfo = {};
  for (const t of targets) {
    targetInfo[t.id] = { label: t.label, group: t.group, kind: t.kind };
    try {
      const s = await startServer(t, { cpu: SERVER_CPU });
      targetInfo[t.id].command = s.command.replace(ROOT, "");
      try {
        await verifyServer(s.port, { head: t.head });
        servers.set(t.id, s);
        targetInfo[t.id].verified = true;
        console.log(`  ✓ ${t.label.padEnd(22)} :${s.port}  answers GET, POST echo and 100 pipelined GETs correctly`);
      } catch (e) {
        targetInfo[t.id].error = `wrong answer: ${e.message}`;
        console.log(`  ✗ ${t.label.padEnd(22)} NOT MEASURED: ${e.message}`);
        await s.stop();
      }
    } catch (e) {
      targetInfo[t.id].error = `did not start: ${e.message.split("\n").slice(0, 6).join(" | ")}`;
      console.log(`  ✗ ${t.label.padEnd(22)} NOT MEASURED: ${targetInfo[t.id].error}`);
    }
  }
  const live = targets.filter((t) => servers.has(t.id));
  const cleanup = async () => {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  };
  process.once("SIGINT", async () => {
    await cleanup();
    process.exit(130);
  });

  const results = {};
  for (const t of live) {
    results[t.id] = {};
    for (const s of scenarios) results[t.id][s.id] = { rounds: [] };
  }
  const alive = async (t) => {
    const s = servers.get(t.id);
    if (!s || s.child.exitCode !== null || s.child.signalCode !== null) {
      targetInfo[t.id].error ??= `exited during the run: ${s?.stderr().slice(-500)}`;
      return false;
    }
    return true;
  };

  if (WARMUP > 0) {
    process.stdout.write(`warm-up ${WARMUP} s per target and scenario `);
    for (const s of scenarios) {
      for (const t of live) {
        if (await alive(t)) await runWrk(servers.get(t.id).port, s, WARMUP);
        process.stdout.write(".");
      }
    }
    process.stdout.write("\n");
  }

  for (let r = 0; r < ROUNDS; r++) {
    console.log(`round ${r + 1}/${ROUNDS}`);
    for (const s of scenarios) {
      // Rotate the order each round so drifts in machine load do not always hit the same target.
      const order = live.map((_, i) => live[(i + r) % live.length]);
      const line = [];
      for (const t of order) {
        if (!(await alive(t))) {
          line.push(`${t.id} DEAD`);
          continue;
        }
        const m = await measure(servers.get(t.id), s, DURATION);
        // A cheap check that the server still answers right after the load, byte for byte.
        try {
          await verifyGet(servers.get(t.id).port, { head: t.head });
        } catch (e) {
          m.ok = false;
          m.afterCheck = e.message;
        }
        results[t.id][s.id].rounds.push(m);
        line.push(`${t.id} ${fmtK(m.rps)}${m.ok ? "" : "!"}`);
      }
      console.log(`  ${s.label.padEnd(22)} ${line.join(" · ")}`);
    }
  }

  // Final full check, then stop.
  for (const t of live) {
    if (!(await alive(t))) continue;
    try {
      await verifyServer(servers.get(t.id).port, { head: t.head });
    } catch (e) {
      targetInfo[t.id].error = `wrong answer after the run: ${e.message}`;
    }
  }
  await cleanup();

  // Summaries.
  for (const t of live) {
    for (const s of scenarios) {
      const cell = results[t.id][s.id];
      const rps = cell.rounds.map((m) => m.rps);
      Object.assign(cell, {
        median: round(median(rps)),
        min: round(min(rps)),
        max: round(max(rps)),
        serverCpu: round(median(cell.rounds.map((m) => m.serverCpu)), 2),
        // CPU time the server spent per request (µs): less sensitive than req/s to what else
        // runs on the machine, as long as the server is busy (see the CPU table).
        cpuUsPerRequest: round(median(cell.rounds.map((m) => (m.rps > 0 ? (m.serverCpu / m.rps) * 1e6 : NaN)).filter(Number.isFinite)), 2),
        serverCoreBusy: round(median(cell.rounds.map((m) => m.serverCoreBusy)), 2),
        clientCoreBusy: round(median(cell.rounds.map((m) => m.clientCoreBusy)), 2),
        allOk: cell.rounds.every((m) => m.ok),
      });
    }
  }
  const ratios = [];
  for (const c of COMPARISONS) {
    if (!results[c.a] || !results[c.b]) continue;
    const row = { a: c.a, b: c.b, scenarios: {} };
    for (const s of scenarios) {
      const A = results[c.a][s.id];
      const B = results[c.b][s.id];
      // Rounds are paired by time (round i of A ran seconds from round i of B); a round that
      // had errors or non-2xx answers (flagged `!`) on either side is left out of the verdict.
      const paired = A.rounds
        .map((m, i) => (m.ok && B.rounds[i]?.ok ? m.rps / B.rounds[i].rps : NaN))
        .filter(Number.isFinite);
      const ratio = median(paired);
      // The same per round in server CPU efficiency (requests per server CPU-second), which
      // does not depend on whether wrk saturated the server.
      const eff = (m) => (m.serverCpu > 0 ? m.rps / m.serverCpu : NaN);
      const pairedCpu = A.rounds
        .map((m, i) => (m.ok && B.rounds[i]?.ok ? eff(m) / eff(B.rounds[i]) : NaN))
        .filter(Number.isFinite);
      const cpuRatio = median(pairedCpu);
      const goal = c.goal[s.id];
      row.scenarios[s.id] = {
        ratio: round(ratio, 3),
        pairedMin: round(min(paired), 3),
        pairedMax: round(max(paired), 3),
        cpuRatio: round(cpuRatio, 3),
        cpuPairedMin: round(min(pairedCpu), 3),
        cpuPairedMax: round(max(pairedCpu), 3),
        ...(goal ? { goal, met: ratio >= goal, cpuMet: cpuRatio >= goal } : {}),
      };
    }
    ratios.push(row);
  }

  const report = {
    date: started.toISOString(),
    finished: new Date().toISOString(),
    ...info,
    loadavgAfter: machine().loadavg,
    anyhttpNode: build,
    config: { rounds: ROUNDS, durationS: DURATION, warmupS: WARMUP, serverCpu: SERVER_CPU, clientCpu: CLIENT_CPU, wrkThreads: 1, quick, pinned: hasTaskset },
    scenarios: scenarios.map(({ id, label, connections, script }) => ({ id, label, connections, script: script ?? null })),
    targets: targetInfo,
    results,
    ratios,
  };
  const md = markdown(report, targets, scenarios);
  console.log(`\n${md}`);

  const dir = join(BENCH, "results");
  mkdirSync(dir, { recursive: true });
  const stamp = started.toISOString().replace(/:/g, "-").replace(/\.\d+Z$/, "Z");
  const file = join(dir, `${stamp}${quick ? "-quick" : ""}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(file.replace(/\.json$/, ".md"), md);
  // latest.* is the last full run: every scenario, and every default target.
  const full = !quick && !scenarioList && !opt("targets", "BENCH_TARGETS");
  if (full) {
    copyFileSync(file, join(dir, "latest.json"));
    copyFileSync(file.replace(/\.json$/, ".md"), join(dir, "latest.md"));
  }
  console.log(`written: ${file.replace(ROOT, "")} (+ .md${full ? ", latest.json, latest.md" : ""})`);
  if (Object.values(targetInfo).some((t) => t.error)) process.exitCode = 2;
}

function markdown(report, targets, scenarios) {
  const { results, targetInfo = report.targets } = report;
  const out = [];
  const v = report.versions;
  out.push(`### anyhttp benchmark, ${report.date.slice(0, 16).replace("T", " ")} UTC${report.config.quick ? " (QUICK smoke run: numbers meaningless)" : ""}`);
  out.push("");
  out.push(`${report.machine.cpu}, ${report.machine.cores} cores, Linux ${report.machine.kernel}; load average ${report.machine.loadavg.join(" ")} before, ${report.loadavgAfter.join(" ")} after. ` +
    `node ${v.node}, deno ${v.deno}, bun ${v.bun}, wrk ${v.wrk}; anyhttp ${v.anyhttp} @ ${v.git}${v.dirty ? " + uncommitted core changes" : ""}, on node from ${report.anyhttpNode.kind}. ` +
    `Servers on CPU ${report.config.serverCpu}, \`wrk -t1\` on CPU ${report.config.clientCpu}; ${report.config.rounds} rounds × ${report.config.durationS} s after ${report.config.warmupS} s warm-up; keep-alive throughout.`);
  out.push("");
  out.push("Requests/s: median (min–max over rounds). `!` = a round had errors or non-2xx responses.");
  out.push("");
  out.push(`| target | ${scenarios.map((s) => s.label).join(" | ")} |`);
  out.push(`|---|${scenarios.map(() => "---:").join("|")}|`);
  for (const t of targets) {
    const r = results[t.id];
    if (!r) {
      out.push(`| ${t.label} | ${scenarios.map(() => "not measured").join(" | ")} |`);
      continue;
    }
    out.push(`| ${t.label} | ${scenarios.map((s) => {
      const c = r[s.id];
      return `${fmtK(c.median)} (${fmtK(c.min)}–${fmtK(c.max)})${c.allOk ? "" : " !"}`;
    }).join(" | ")} |`);
  }
  const flagged = [];
  for (const t of targets) {
    for (const s of scenarios) {
      const bad = results[t.id]?.[s.id]?.rounds.filter((m) => !m.ok) ?? [];
      if (bad.length === 0) continue;
      const what = bad.map((m) => {
        const e = Object.entries(m.errors).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
        if (m.non2xx) e.push(`non-2xx ${m.non2xx}`);
        if (m.afterCheck) e.push(`check after run: ${m.afterCheck}`);
        if (m.wrkExit !== 0 || m.requests === 0) e.push(`wrk exit ${m.wrkExit}, ${m.requests} requests`);
        return e.join(", ");
      });
      flagged.push(`- \`!\` ${t.label}, ${s.label}: ${what.join("; ")} (wrk socket errors; \`timeout\` = no response within 4 s)`);
    }
  }
  if (flagged.length) out.push("", ...flagged);
  out.push("");
  const label = (id) => targetInfo[id]?.label ?? id;
  const ratioTable = (caption, key, lo, hi, met) => {
    out.push(caption);
    out.push("");
    out.push(`| ratio | ${scenarios.map((s) => s.label).join(" | ")} |`);
    out.push(`|---|${scenarios.map(() => "---:").join("|")}|`);
    for (const row of report.ratios) {
      out.push(`| ${label(row.a)} / ${label(row.b)} | ${scenarios.map((s) => {
        const c = row.scenarios[s.id];
        if (!c || !Number.isFinite(c[key])) return "–";
        const g = c.goal ? ` ${c[met] ? "✓" : "✗"} ≥${c.goal}` : "";
        return `${c[key].toFixed(2)}× (${c[lo].toFixed(2)}–${c[hi].toFixed(2)})${g}`;
      }).join(" | ")} |`);
    }
    out.push("");
  };
  ratioTable(
    "Throughput (requests/s): median of the per-round ratios (min–max of them; each round runs both within seconds, and a round flagged `!` on either side is left out). Goals from issues 5 and 15: ✓ met, ✗ not met.",
    "ratio", "pairedMin", "pairedMax", "met",
  );
  if (report.ratios.some((row) => Object.values(row.scenarios).some((c) => Number.isFinite(c.cpuRatio)))) {
    ratioTable(
      "Server CPU efficiency (requests per server CPU-second): median of the per-round ratios, as above. It does not depend on whether wrk saturated the server; issue 15's goals are stated in it.",
      "cpuRatio", "cpuPairedMin", "cpuPairedMax", "cpuMet",
    );
  }
  // One row per measured target, one cell per scenario.
  const perTarget = (caption, cell) => {
    out.push(caption);
    out.push("");
    out.push(`| target | ${scenarios.map((s) => s.label).join(" | ")} |`);
    out.push(`|---|${scenarios.map(() => "---:").join("|")}|`);
    for (const t of targets) {
      const r = results[t.id];
      if (r) out.push(`| ${t.label} | ${scenarios.map((s) => cell(r[s.id])).join(" | ")} |`);
    }
  };
  const pc = (x) => `${Math.round(x * 100)}%`;
  perTarget(
    "CPU, medians: server process (share of one core) · its core busy in total (the server, the kernel's loopback work, any other process) · wrk's core busy. A server well under 100 % was limited by something else: wrk, or other processes on its core.",
    (c) => `${pc(c.serverCpu)} · ${pc(c.serverCoreBusy)} · ${pc(c.clientCoreBusy)}`,
  );
  if (targets.some((t) => Number.isFinite(results[t.id]?.[scenarios[0].id]?.cpuUsPerRequest))) {
    out.push("");
    perTarget(
      "Server CPU time per request, µs (median over rounds of server CPU ÷ requests): what each request costs the server, less dependent than req/s on the other load of the machine. Lower is better; pipelined requests share reads and writes.",
      (c) => (Number.isFinite(c.cpuUsPerRequest) ? c.cpuUsPerRequest.toFixed(1) : "–"),
    );
    out.push("");
    perTarget(
      "Server CPU efficiency: requests per server CPU-second (1e6 ÷ the µs above).",
      (c) => (Number.isFinite(c.cpuUsPerRequest) && c.cpuUsPerRequest > 0 ? fmtK(1e6 / c.cpuUsPerRequest) : "–"),
    );
    attribution(out, results, targets, scenarios);
    floorAttribution(out, results, targets, scenarios);
  }
  const broken = Object.entries(targetInfo).filter(([, t]) => t.error);
  if (broken.length) {
    out.push("");
    for (const [id, t] of broken) out.push(`- **${t.label ?? id}**: ${t.error}`);
  }
  out.push("");
  return out.join("\n");
}

if (args.report) {
  // Re-print the tables of an earlier run: --report bench/results/latest.json
  const report = JSON.parse(readFileSync(args.report, "utf8"));
  const targets = Object.entries(report.targets).map(([id, t]) => ({ id, ...t }));
  console.log(markdown(report, targets, report.scenarios));
} else main().catch((e) => {
  console.error(e);
  process.exit(1);
});
