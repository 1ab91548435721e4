// `npm run bench:parser`: anyhttp's llhttp binding (core/parser/llhttp.ts, SIMD and plain wasm)
// vs Node's native HTTPParser (`_http_common`), on the same bytes: one ~400-byte GET per
// execute, and a batch of 100 of them pipelined in one buffer (fed the way core/connection.ts
// feeds it: execute, take `consumed`, resume, execute the rest).
//
//   npm run bench:parser                          5 rounds × 1 s per variant and workload
//   npm run bench:parser -- --rounds 9 --seconds 2 --quick --variants node,anyhttp-simd
//   npm run bench:parser -- --profile             also: where anyhttp's binding spends its time
//
// Every variant runs in a fresh process pinned to CPU 1 (taskset). The plain build is forced
// without touching core/: bench/lib/force-plain-wasm.mjs resolves core's `_wasm.ts` to a module
// whose SIMD bytes are not wasm, so core's own fallback loads the plain build (checked through
// `llhttpBuild`). anyhttp's SIMD build also runs under bun and deno, for reference, and the
// "floor" drives the same wasm with no-op callbacks: parsing with no binding work at all.
//
// Each parser's results are checked (method, url, every header) before it is timed.

const g = globalThis as any;
const isDeno = typeof g.Deno !== "undefined";
const isBun = typeof g.Bun !== "undefined";
const argv: string[] = isDeno ? g.Deno.args : g.process.argv.slice(2);

// ~400 bytes, a browser-ish API request.
const REQUEST =
  "GET /api/v1/users/12345/profile?fields=name,email,avatar&lang=en HTTP/1.1\r\n" +
  "Host: api.example.com\r\n" +
  "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\n" +
  "Accept: application/json, text/plain, */*\r\n" +
  "Accept-Language: en-US,en;q=0.9\r\n" +
  "Accept-Encoding: gzip, deflate, br\r\n" +
  "Referer: https://app.example.com/settings\r\n" +
  "Cookie: session=8f14e45fceea167a5a36dedd4bea2543; theme=dark\r\n" +
  "Connection: keep-alive\r\n" +
  "\r\n";
const PIPELINE = 100;
const EXPECT_HEADERS = 8;

function arg(name: string): string | undefined {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const a = argv[i];
  return a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[i + 1] && !argv[i + 1].startsWith("--") ? argv[i + 1] : "true";
}

const now = () => performance.now();
let sink: unknown;

/** Run `fn` (which parses `per` requests) for `seconds`, return requests parsed per second. */
function time(fn: () => void, per: number, seconds: number): number {
  let n = 0;
  const end = now() + seconds * 1000;
  let t0 = now();
  const start = t0;
  while (t0 < end) {
    for (let i = 0; i < 64; i++) fn();
    n += 64;
    t0 = now();
  }
  return (n * per) / ((t0 - start) / 1000);
}

interface Workload { id: string; per: number; run: () => void }

// ---- anyhttp --------------------------------------------------------------------------------

async function anyhttpWorkloads(expectBuild: "simd" | "plain"): Promise<{ build: string; workloads: Workload[] }> {
  const m = await import("../core/parser/llhttp.ts");
  const p = new m.RequestParser({ maxHeaderSize: 16384, maxHeadersCount: 2000 });
  if (m.llhttpBuild !== expectBuild) throw new Error(`llhttp build is ${m.llhttpBuild}, expected ${expectBuild}`);
  const one = new TextEncoder().encode(REQUEST);
  const batch = new TextEncoder().encode(REQUEST.repeat(PIPELINE));

  const single = () => {
    if (p.execute(one) !== "complete") throw new Error(`execute: ${p.error?.message}`);
    sink = p.rawHeaders;
    p.resume();
  };
  const pipelined = () => {
    let chunk = batch;
    for (;;) {
      if (p.execute(chunk) !== "complete") throw new Error(`execute: ${p.error?.message}`);
      sink = p.rawHeaders;
      p.resume();
      if (p.consumed >= chunk.byteLength) break;
      chunk = chunk.subarray(p.consumed);
    }
  };
  // Check what it parsed.
  single();
  check(p.method, p.url, p.rawHeaders);
  let count = 0;
  let chunk = batch;
  for (;;) {
    if (p.execute(chunk) !== "complete") throw new Error("pipelined: not complete");
    check(p.method, p.url, p.rawHeaders);
    count++;
    p.resume();
    if (p.consumed >= chunk.byteLength) break;
    chunk = chunk.subarray(p.consumed);
  }
  if (count !== PIPELINE) throw new Error(`pipelined: ${count} messages, expected ${PIPELINE}`);
  return {
    build: m.llhttpBuild!,
    workloads: [
      { id: "get400", per: 1, run: single },
      { id: `pipe${PIPELINE}`, per: PIPELINE, run: pipelined },
    ],
  };
}

// ---- the floor: llhttp's wasm with callbacks that do nothing ----------------------------------

/**
 * The same wasm (undici's SIMD build) driven with no-op callbacks and no pause: what parsing
 * costs before any binding work (strings, arrays, pausing per message). Only the copy of the
 * input into wasm memory, which every wasm binding needs, is kept. Not a usable parser: a
 * reference for how much of the binding's time is the binding.
 */
async function floorWorkloads(): Promise<{ build: string; workloads: Workload[] }> {
  // @ts-ignore: CommonJS module exporting the bytes
  const bytes: Uint8Array = (await import("undici/lib/llhttp/llhttp_simd-wasm.js")).default;
  let spans = 0;
  let messages = 0;
  const span = () => (spans++, 0);
  const imports = {
    env: {
      wasm_on_message_begin: () => 0,
      wasm_on_url: span,
      wasm_on_status: span,
      wasm_on_header_field: span,
      wasm_on_header_value: span,
      wasm_on_headers_complete: () => 0,
      wasm_on_body: span,
      wasm_on_message_complete: () => (messages++, 0),
    },
  };
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), imports);
  const w = instance.exports as any;
  w._initialize?.();
  const p = w.llhttp_alloc(1);
  const one = new TextEncoder().encode(REQUEST);
  const batch = new TextEncoder().encode(REQUEST.repeat(PIPELINE));
  const ptr = w.malloc(batch.byteLength);
  const run = (buf: Uint8Array, n: number) => () => {
    const before = messages;
    new Uint8Array(w.memory.buffer, ptr, buf.byteLength).set(buf);
    const r = w.llhttp_execute(p, ptr, buf.byteLength);
    if (r !== 0 || messages - before !== n) throw new Error(`llhttp_execute: ${r}, ${messages - before} messages`);
  };
  run(one, 1)();
  if (spans !== 1 + EXPECT_HEADERS * 2) throw new Error(`${spans} spans, expected ${1 + EXPECT_HEADERS * 2}`);
  run(batch, PIPELINE)();
  return {
    build: "simd, no-op callbacks",
    workloads: [
      { id: "get400", per: 1, run: run(one, 1) },
      { id: `pipe${PIPELINE}`, per: PIPELINE, run: run(batch, PIPELINE) },
    ],
  };
}

// ---- node's native parser -------------------------------------------------------------------

async function nodeWorkloads(): Promise<{ build: string; workloads: Workload[] }> {
  const { createRequire } = await import("node:module");
  const require = createRequire(import.meta.url);
  const { HTTPParser, methods } = require("_http_common");
  const one = Buffer.from(REQUEST, "latin1");
  const batch = Buffer.from(REQUEST.repeat(PIPELINE), "latin1");
  let messages = 0;
  let last: [string, string, string[]] | undefined;
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.REQUEST, {}, 0, 0);
  parser[HTTPParser.kOnHeaders] = () => { throw new Error("headers split across callbacks"); };
  // What node's own parserOnHeadersComplete receives: strings for url and every header.
  parser[HTTPParser.kOnHeadersComplete] = (_maj: number, _min: number, headers: string[], method: number, url: string) => {
    last = [methods[method], url, headers];
    return 0;
  };
  parser[HTTPParser.kOnBody] = () => {};
  parser[HTTPParser.kOnMessageComplete] = () => {
    messages++;
  };
  const run = (buf: Buffer, n: number) => () => {
    const before = messages;
    const r = parser.execute(buf);
    if (typeof r !== "number" || messages - before !== n) throw new Error(`execute: ${r}`);
    sink = last;
  };
  run(one, 1)();
  check(...last!);
  run(batch, PIPELINE)();
  check(...last!);
  return {
    build: `native llhttp ${process.versions.llhttp}`,
    workloads: [
      { id: "get400", per: 1, run: run(one, 1) },
      { id: `pipe${PIPELINE}`, per: PIPELINE, run: run(batch, PIPELINE) },
    ],
  };
}

function check(method: string, url: string, headers: string[]) {
  if (method !== "GET") throw new Error(`method ${method}`);
  if (url !== "/api/v1/users/12345/profile?fields=name,email,avatar&lang=en") throw new Error(`url ${url}`);
  if (headers.length !== EXPECT_HEADERS * 2) throw new Error(`${headers.length / 2} headers, expected ${EXPECT_HEADERS}`);
  if (headers[0] !== "Host" || headers[1] !== "api.example.com" || headers[15] !== "keep-alive") {
    throw new Error(`headers ${JSON.stringify(headers)}`);
  }
}

// ---- child: one variant ---------------------------------------------------------------------

async function child(variant: string) {
  const rounds = Number(arg("rounds") ?? 5);
  const seconds = Number(arg("seconds") ?? 1);
  const { build, workloads } = variant === "node" ? await nodeWorkloads()
    : variant === "wasm-floor" ? await floorWorkloads()
    : await anyhttpWorkloads(variant === "anyhttp-plain" ? "plain" : "simd");
  const out: Record<string, number[]> = {};
  for (const w of workloads) {
    time(w.run, w.per, Math.min(0.5, seconds)); // warm-up
    out[w.id] = [];
    for (let r = 0; r < rounds; r++) out[w.id].push(time(w.run, w.per, seconds));
  }
  console.log(`RESULT ${JSON.stringify({ variant, build, runtime: isDeno ? "deno" : isBun ? "bun" : "node", results: out })}`);
}

// ---- parent ---------------------------------------------------------------------------------

const VARIANTS = [
  { id: "node", label: "node native HTTPParser", runtime: "node" },
  { id: "anyhttp-simd", label: "anyhttp llhttp SIMD (node)", runtime: "node" },
  { id: "anyhttp-plain", label: "anyhttp llhttp plain (node)", runtime: "node" },
  { id: "wasm-floor", label: "llhttp SIMD wasm, no-op callbacks (floor, node)", runtime: "node" },
  { id: "anyhttp-simd-bun", label: "anyhttp llhttp SIMD (bun)", runtime: "bun" },
  { id: "anyhttp-simd-deno", label: "anyhttp llhttp SIMD (deno)", runtime: "deno" },
];

async function parent() {
  const { spawnSync } = await import("node:child_process");
  const { mkdirSync, writeFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  // @ts-ignore: plain .mjs helpers
  const common: any = await import("./lib/common.mjs");
  const quick = arg("quick") !== undefined;
  const rounds = Number(arg("rounds") ?? (quick ? 2 : 5));
  const seconds = Number(arg("seconds") ?? (quick ? 0.3 : 1));
  const want = arg("variants")?.split(",");
  const variants = want ? VARIANTS.filter((v) => want.includes(v.id)) : VARIANTS;
  const file = "bench/parser.ts";
  const info = { machine: common.machine(), versions: common.versions() };
  console.log(`parser bench: ${rounds} rounds × ${seconds} s per variant and workload, on CPU 1 · ${info.machine.cpu} × ${info.machine.cores} · load ${info.machine.loadavg.join(" ")}`);
  const results: any[] = [];
  for (const v of variants) {
    const variantArg = v.id.replace(/-(bun|deno)$/, "");
    const passOn = ["--variant", variantArg, "--rounds", String(rounds), "--seconds", String(seconds)];
    const [cmd, args] = v.runtime === "bun" ? [common.BIN.bun, [file, ...passOn]]
      : v.runtime === "deno" ? [common.BIN.deno, ["run", "-A", file, ...passOn]]
      : [common.BIN.node, ["--import", "tsx", ...(v.id === "anyhttp-plain" ? ["--import", "./bench/lib/force-plain-wasm.mjs"] : []), file, ...passOn]];
    const [pc, pa] = common.pinned(1, cmd, args);
    const r = spawnSync(pc, pa, { cwd: common.ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    const m = /^RESULT (.*)$/m.exec(r.stdout ?? "");
    if (!m) {
      const why = `${r.stderr ?? ""}${r.stdout ?? ""}`.trim().split("\n").slice(-4).join(" | ");
      console.log(`  ✗ ${v.label}: NOT MEASURED: ${why}`);
      results.push({ ...v, error: why });
      continue;
    }
    const res = JSON.parse(m[1]);
    const summary: Record<string, any> = {};
    for (const [w, xs] of Object.entries(res.results) as [string, number[]][]) {
      summary[w] = { median: Math.round(common.median(xs)), min: Math.round(common.min(xs)), max: Math.round(common.max(xs)), rounds: xs.map(Math.round) };
    }
    results.push({ ...v, build: res.build, results: summary });
    console.log(`  ✓ ${v.label} (${res.build}): ${Object.entries(summary).map(([w, s]) => `${w} ${(s.median / 1e6).toFixed(2)}M/s`).join(", ")}`);
  }
  const workloads = ["get400", `pipe${PIPELINE}`];
  const base = results.find((r) => r.id === "node" && r.results);
  const M = (x: number) => `${(x / 1e6).toFixed(2)}M`;
  const lines = [
    "",
    `Parses/s (requests parsed per second): median (min–max of ${rounds} rounds × ${seconds} s), and ratio to node's native HTTPParser. ` +
      `get400: one ${REQUEST.length}-byte GET per execute; pipe${PIPELINE}: ${PIPELINE} of them in one buffer.`,
    "",
    `| parser | ${workloads.join(" | ")} | ${workloads.map((w) => `${w} ÷ node`).join(" | ")} |`,
    `|---|${workloads.map(() => "---:").join("|")}|${workloads.map(() => "---:").join("|")}|`,
  ];
  for (const r of results) {
    if (!r.results) {
      lines.push(`| ${r.label} | ${workloads.map(() => "not measured").join(" | ")} | |`);
      continue;
    }
    lines.push(`| ${r.label} | ${workloads.map((w) => `${M(r.results[w].median)} (${M(r.results[w].min)}–${M(r.results[w].max)})`).join(" | ")} | ${
      workloads.map((w) => (base ? `${(r.results[w].median / base.results[w].median).toFixed(2)}×` : "–")).join(" | ")} |`);
  }
  const simd = results.find((r) => r.id === "anyhttp-simd" && r.results);
  const plain = results.find((r) => r.id === "anyhttp-plain" && r.results);
  if (simd && plain) lines.push("", `SIMD ÷ plain on node: ${workloads.map((w) => `${w} ${(simd.results[w].median / plain.results[w].median).toFixed(2)}×`).join(", ")}`);
  console.log(lines.join("\n"));
  const dir = join(common.BENCH, "results");
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `parser-${new Date().toISOString().replace(/:/g, "-").replace(/\.\d+Z$/, "Z")}${quick ? "-quick" : ""}.json`);
  writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), ...info, config: { rounds, seconds, request: REQUEST, pipeline: PIPELINE }, results }, null, 2)}\n`);
  console.log(`\nwritten: ${out.replace(common.ROOT, "")}`);
  if (arg("profile") !== undefined) await profileBinding(common, rounds, seconds);
  if (results.some((r) => r.error)) (globalThis as any).process.exitCode = 2;
}

/** `--profile`: node --cpu-prof of the anyhttp SIMD child, top self-time functions. */
async function profileBinding(common: any, rounds: number, seconds: number) {
  const { spawnSync } = await import("node:child_process");
  const { mkdtempSync, readdirSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  // @ts-ignore: plain .mjs helpers
  const { summarise, table } = await import("./lib/cpuprofile.mjs");
  const dir = mkdtempSync(join(tmpdir(), "anyhttp-parser-prof-"));
  const [pc, pa] = common.pinned(1, common.BIN.node, ["--cpu-prof", `--cpu-prof-dir=${dir}`, "--import", "tsx", "bench/parser.ts", "--variant", "anyhttp-simd", "--rounds", String(rounds), "--seconds", String(seconds)]);
  spawnSync(pc, pa, { cwd: common.ROOT, encoding: "utf8" });
  const file = readdirSync(dir).find((f: string) => f.endsWith(".cpuprofile"));
  if (!file) return console.log("\n--profile: no profile written");
  const { rows } = summarise(join(dir, file), { top: 15, root: common.ROOT });
  console.log(`\nCPU profile of anyhttp's binding (SIMD, node; whole child process, including start-up): ${join(dir, file)}\n\n${table(rows)}`);
}

const variant = arg("variant");
if (variant) await child(variant);
else await parent();
