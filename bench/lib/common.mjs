// Shared by bench/run.mjs, bench/memory.ts and bench/profile.mjs: the server targets, starting
// them pinned to a core, checking their answers byte by byte, wrk, /proc readings, stats.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import { join } from "node:path";
import { POST_BODY } from "../servers/app.mjs";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const BENCH = join(ROOT, "bench");
export const BIN = {
  node: process.execPath,
  deno: join(ROOT, "node_modules", ".bin", "deno"),
  bun: join(ROOT, "node_modules", ".bin", "bun"),
  // A second Node for the matrix (`--node24`), installed on demand by ensureNode24() into the
  // git-ignored .bench/ so that it never shadows the system node in npm scripts.
  node24: join(ROOT, ".bench", "node24", "node_modules", ".bin", "node"),
};

/**
 * Make sure Node 24 is there for the `node24` targets: `npm install node@24` into .bench/node24
 * (the npm package `node` ships the binary). Returns its version, or null if it cannot be had.
 */
export function ensureNode24() {
  const version = () => sh(BIN.node24, ["--version"]);
  if (existsSync(BIN.node24) && version()) return version();
  console.log("node 24 missing: npm install node@24 into .bench/node24 …");
  spawnSync("npm", ["install", "--prefix", join(ROOT, ".bench", "node24"), "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "node@24"], { stdio: "inherit" });
  return existsSync(BIN.node24) ? version() : null;
}

// ---------------------------------------------------------------------------------------------
// anyhttp on node: the npm build when it is there and newer than every source file.

function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Which anyhttp the node target runs: `{ kind: "dist" | "source", why }`. `prefer` is
 * "auto" (dist if present and not older than core/ and adapters/), "dist" or "source".
 */
export function anyhttpNodeBuild(prefer = "auto") {
  const dist = join(ROOT, "dist", "mod.js");
  if (prefer === "source") return { kind: "source", why: "asked for source (tsx)" };
  if (!existsSync(dist)) {
    if (prefer === "dist") throw new Error("dist/mod.js is missing: run `npm run build` first");
    return { kind: "source", why: "dist/mod.js missing (run `npm run build` to bench the npm build); running the TypeScript source through tsx" };
  }
  const distTime = statSync(dist).mtimeMs;
  const srcTime = Math.max(newestMtime(join(ROOT, "core")), newestMtime(join(ROOT, "adapters")));
  if (srcTime > distTime && prefer !== "dist") {
    return { kind: "source", why: "dist/ is older than core/ or adapters/ (run `npm run build`, or pass --build); running the TypeScript source through tsx" };
  }
  return { kind: "dist", why: srcTime > distTime ? "dist/mod.js (asked for dist; OLDER than the sources)" : "dist/mod.js (the npm build, newer than the sources)" };
}

// ---------------------------------------------------------------------------------------------
// Targets

/**
 * Every server the benchmarks know. `group` is the runtime; `kind` is anyhttp, floor, peer, raw
 * or rawcore.
 * `args(opts)` gives the runtime's arguments; `opts.gc` asks for an exposed GC (memory bench),
 * `opts.nodeFlags` adds node flags (profiling).
 */
const RAW_CORE = { RAW_WITH_CORE: "1" };

export function allTargets({ anyhttpBuild = anyhttpNodeBuild(), node24 = false } = {}) {
  const s = (f) => join("bench", "servers", f);
  const nodeOf = (bin) => (file, pre = []) => (o = {}) => [bin, [...(o.gc ? ["--expose-gc"] : []), ...(o.nodeFlags ?? []), ...pre, s(file)]];
  const node = nodeOf(BIN.node);
  const n24 = nodeOf(BIN.node24);
  // `opts.denoFlags` / `opts.bunFlags`: runtime flags before the script (profiling).
  const deno = (file) => (o = {}) => [BIN.deno, ["run", "-A", ...(o.gc ? ["--v8-flags=--expose-gc"] : []), ...(o.denoFlags ?? []), s(file)]];
  const bun = (file) => (o = {}) => [BIN.bun, [...(o.bunFlags ?? []), s(file)]];
  return [
    {
      id: "anyhttp-node", label: anyhttpBuild.kind === "dist" ? "anyhttp node (dist)" : "anyhttp node (tsx)", group: "node", kind: "anyhttp",
      cmd: anyhttpBuild.kind === "dist" ? node("anyhttp-dist.mjs") : node("anyhttp.ts", ["--import", "tsx"]),
    },
    // The floor of this architecture (bench/servers/_floor.mjs): anyhttp's transport and llhttp
    // binding, answers built ahead, no request/response objects. Same build as anyhttp-node.
    {
      id: "floor-node", label: anyhttpBuild.kind === "dist" ? "floor node (dist)" : "floor node (tsx)", group: "node", kind: "floor",
      cmd: anyhttpBuild.kind === "dist" ? node("floor-dist.mjs") : node("floor.ts", ["--import", "tsx"]),
    },
    { id: "node-http-node", label: "node:http (node)", group: "node", kind: "peer", cmd: node("node-http.mjs") },
    { id: "raw-node", label: "raw net (node)", group: "node", kind: "raw", cmd: node("raw-node.mjs") },
    // The raw ceiling that also runs the core in memory on each read (bench/servers/_shadow.mjs):
    // raw + core − raw is what the core costs inside a real server; anyhttp − (raw + core) is the
    // adapter and the wiring. Node runs dist/core.js here whatever --anyhttp says.
    { id: "rawcore-node", label: "raw net + core (node)", group: "node", kind: "rawcore", env: RAW_CORE, cmd: node("raw-node.mjs") },
    { id: "anyhttp-bun", label: "anyhttp bun", group: "bun", kind: "anyhttp", cmd: bun("anyhttp.ts") },
    { id: "floor-bun", label: "floor bun", group: "bun", kind: "floor", cmd: bun("floor.ts") },
    { id: "bun-serve", label: "Bun.serve", group: "bun", kind: "peer", cmd: bun("bun-serve.ts"), head: bunServeHead },
    { id: "node-http-bun", label: "node:http (bun)", group: "bun", kind: "peer", cmd: bun("node-http.mjs") },
    { id: "raw-bun", label: "raw Bun.listen", group: "bun", kind: "raw", cmd: bun("raw-bun.ts") },
    { id: "rawcore-bun", label: "raw Bun.listen + core", group: "bun", kind: "rawcore", env: RAW_CORE, cmd: bun("raw-bun.ts") },
    { id: "anyhttp-deno", label: "anyhttp deno", group: "deno", kind: "anyhttp", cmd: deno("anyhttp.ts") },
    { id: "floor-deno", label: "floor deno", group: "deno", kind: "floor", cmd: deno("floor.ts") },
    { id: "deno-serve", label: "Deno.serve", group: "deno", kind: "peer", cmd: deno("deno-serve.ts"), head: denoServeHead },
    { id: "node-http-deno", label: "node:http (deno)", group: "deno", kind: "peer", cmd: deno("node-http.mjs") },
    { id: "raw-deno", label: "raw Deno.listen", group: "deno", kind: "raw", cmd: deno("raw-deno.ts") },
    { id: "rawcore-deno", label: "raw Deno.listen + core", group: "deno", kind: "rawcore", env: RAW_CORE, cmd: deno("raw-deno.ts") },
    ...(node24
      ? [
        {
          id: "anyhttp-node24", label: anyhttpBuild.kind === "dist" ? "anyhttp node24 (dist)" : "anyhttp node24 (tsx)", group: "node24", kind: "anyhttp",
          cmd: anyhttpBuild.kind === "dist" ? n24("anyhttp-dist.mjs") : n24("anyhttp.ts", ["--import", "tsx"]),
        },
        {
          id: "floor-node24", label: anyhttpBuild.kind === "dist" ? "floor node24 (dist)" : "floor node24 (tsx)", group: "node24", kind: "floor",
          cmd: anyhttpBuild.kind === "dist" ? n24("floor-dist.mjs") : n24("floor.ts", ["--import", "tsx"]),
        },
        { id: "node-http-node24", label: "node:http (node24)", group: "node24", kind: "peer", cmd: n24("node-http.mjs") },
        { id: "raw-node24", label: "raw net (node24)", group: "node24", kind: "raw", cmd: n24("raw-node.mjs") },
      ]
      : []),
  ];
}

/** Pick targets by a comma list of ids, runtimes (node/deno/bun) or kinds (anyhttp/floor/peer/raw/rawcore). */
export function selectTargets(targets, list) {
  if (!list) return targets;
  const want = list.split(",").map((x) => x.trim()).filter(Boolean);
  const out = targets.filter((t) => want.some((w) => w === t.id || w === t.group || w === t.kind));
  const unknown = want.filter((w) => !targets.some((t) => w === t.id || w === t.group || w === t.kind));
  if (unknown.length) throw new Error(`unknown target(s) ${unknown.join(", ")}; known: ${targets.map((t) => t.id).join(", ")}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Processes

export const hasTaskset = spawnSync("taskset", ["-V"]).status === 0;
export const cores = os.availableParallelism?.() ?? os.cpus().length;

/** [cmd, args] run on CPU `cpu` (when taskset and that CPU exist), optionally with a higher fd limit. */
export function pinned(cpu, cmd, args, { nofile } = {}) {
  let c = cmd;
  let a = args;
  if (hasTaskset && cpu !== undefined && cpu < cores) {
    a = ["-c", String(cpu), c, ...a];
    c = "taskset";
  }
  if (nofile) {
    // prlimit execs the command, so the pid stays the server's.
    a = [`--nofile=${nofile}:${nofile}`, "--", c, ...a];
    c = "prlimit";
  }
  return [c, a];
}

/**
 * Start a target, wait for `listening on …:<port>`. Resolves `{ port, child, pid, stop() }`.
 * `stdin: "pipe"` keeps the control channel open (memory bench).
 */
export function startServer(target, { cpu = 1, env = {}, stdin = "ignore", cmdOptions = {}, nofile, timeoutMs = 60_000 } = {}) {
  const [cmd0, args0] = target.cmd(cmdOptions);
  const [cmd, args] = pinned(cpu, cmd0, args0, { nofile });
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", PORT: "0", ...target.env, ...env },
    stdio: [stdin, "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr.on("data", (d) => {
    if (err.length < 20_000) err += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${target.id} did not start in ${timeoutMs / 1000} s\n${out}${err}`));
    }, timeoutMs);
    const onExit = (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${target.id} exited (${code ?? sig}) before listening\n${out}${err}`.trim()));
    };
    child.once("exit", onExit);
    child.stdout.setEncoding("utf8");
    const onOut = (d) => {
      out += d;
      const m = /listening on \S*:(\d+)/.exec(out);
      if (!m) return;
      child.stdout.off("data", onOut);
      child.off("exit", onExit);
      clearTimeout(timer);
      const running = {
        target,
        port: Number(m[1]),
        child,
        pid: child.pid,
        command: [cmd, ...args].join(" "),
        stderr: () => err,
        stop: () => stopChild(child),
      };
      resolve(running);
    };
    child.stdout.on("data", onOut);
  });
}

export function stopChild(child, graceMs = 5000) {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(t);
      done();
    });
    child.kill("SIGTERM");
  });
}

// ---------------------------------------------------------------------------------------------
// Checking a server's answers

/**
 * Read HTTP/1.1 responses from `text` (latin1), each with Content-Length. Returns
 * `{ responses: [{ status, headers, body }], rest }`; a chunked or length-less response throws.
 */
export function parseResponses(text) {
  const responses = [];
  let pos = 0;
  for (;;) {
    const end = text.indexOf("\r\n\r\n", pos);
    if (end < 0) break;
    const lines = text.slice(pos, end).split("\r\n");
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(lines[0]);
    if (!m) throw new Error(`bad status line ${JSON.stringify(lines[0])}`);
    const headers = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(":");
      const k = l.slice(0, i).trim().toLowerCase();
      headers[k] = headers[k] === undefined ? l.slice(i + 1).trim() : `${headers[k]}, ${l.slice(i + 1).trim()}`;
    }
    if (headers["transfer-encoding"]) throw new Error(`response is ${headers["transfer-encoding"]}, expected Content-Length`);
    if (headers["content-length"] === undefined) throw new Error("response has no Content-Length");
    const len = Number(headers["content-length"]);
    if (text.length < end + 4 + len) break;
    responses.push({ status: Number(m[1]), headers, head: text.slice(pos, end + 4), body: text.slice(end + 4, end + 4 + len) });
    pos = end + 4 + len;
  }
  return { responses, rest: text.slice(pos) };
}

/** Send `data` on one connection; resolve once `want` responses arrived (5 s limit). */
export function exchange(port, data, want, { timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    const timer = setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms with ${text.length} bytes: ${JSON.stringify(text.slice(0, 300))}`)), timeoutMs);
    function fail(e) {
      clearTimeout(timer);
      socket.destroy();
      reject(e);
    }
    socket.setEncoding("latin1");
    socket.on("data", (d) => {
      text += d;
      let parsed;
      try {
        parsed = parseResponses(text);
      } catch (e) {
        return fail(e);
      }
      if (parsed.responses.length >= want) {
        clearTimeout(timer);
        socket.destroy();
        if (parsed.responses.length > want || parsed.rest) return reject(new Error(`got more than ${want} responses`));
        resolve(parsed.responses);
      }
    });
    socket.on("error", fail);
    socket.on("close", () => fail(new Error(`closed after ${text.length} bytes: ${JSON.stringify(text.slice(0, 300))}`)));
    socket.write(data);
  });
}

const GET = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
const POST = `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: ${POST_BODY.length}\r\n\r\n${POST_BODY}`;

// The response heads each kind of server sends for the bench app, Date masked: node:http's
// (which anyhttp, node:http on every runtime and the raw ceilings send, byte for byte), and
// the two native peers', which order and case their fields their own way.
/** node:http's head for a 200 with `type` and `length`; `keepAliveS`: the server's keep-alive timeout. */
export const nodeHead = (type, length, keepAliveS = 5) =>
  `HTTP/1.1 200 OK\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=${keepAliveS}\r\n\r\n`;
const bunServeHead = (type, length) => `HTTP/1.1 200 OK\r\nContent-Type: ${type}\r\nDate: <date>\r\nContent-Length: ${length}\r\n\r\n`;
const denoServeHead = (type, length) => `HTTP/1.1 200 OK\r\ncontent-type: ${type}\r\ncontent-length: ${length}\r\ndate: <date>\r\n\r\n`;

/** `r`'s head and body are exactly `head(type, body.length)` and `body` (Date masked). */
function checkExact(r, what, head, type, body) {
  const got = r.head.replace(/^(date: )[^\r]*/im, "$1<date>");
  const want = head(type, body.length);
  if (got !== want) throw new Error(`${what}: head ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  if (r.body !== body) throw new Error(`${what}: body of ${r.body.length} bytes ${JSON.stringify(r.body.slice(0, 40))}, expected ${body.length}`);
}

/** One GET, answered byte for byte (Date masked) with `head` and "ok": the check after each round. */
export async function verifyGet(port, { head = nodeHead } = {}) {
  const [a] = await exchange(port, GET, 1);
  checkExact(a, "GET /", head, "text/plain", "ok");
}

/**
 * Check a running server answers every scenario byte for byte (Date masked) with the head its
 * target declares (`head`, node:http's by default): GET → 200 "ok" text/plain; two POSTs of
 * 4 KiB on one keep-alive connection → each body echoed; 100 pipelined GETs in one write →
 * 100 "ok" responses. Throws on the first difference.
 */
export async function verifyServer(port, { pipeline = 100, head = nodeHead } = {}) {
  await verifyGet(port, { head });
  // Two POSTs on one connection (the raw ceilings pick GET or POST per connection).
  for (const [i, r] of (await exchange(port, POST + POST, 2)).entries()) {
    checkExact(r, `POST / #${i + 1}`, head, "application/octet-stream", POST_BODY);
  }
  const many = await exchange(port, GET.repeat(pipeline), pipeline);
  many.forEach((r, i) => checkExact(r, `pipelined GET #${i + 1}`, head, "text/plain", "ok"));
}

// ---------------------------------------------------------------------------------------------
// /proc

/** utime+stime of a process (all its threads), in seconds; NaN when gone. */
export function cpuSeconds(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}
const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;

/** Per-CPU busy/total jiffies from /proc/stat. */
export function cpuTimes() {
  const out = {};
  for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    const idle = v[3] + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    out[m[1]] = { busy: total - idle, total };
  }
  return out;
}

/** Busy share (0–1) of each CPU between two cpuTimes() readings. */
export function cpuBusy(a, b) {
  const out = {};
  for (const k of Object.keys(b)) {
    const dt = b[k].total - (a[k]?.total ?? 0);
    out[k] = dt > 0 ? (b[k].busy - a[k].busy) / dt : NaN;
  }
  return out;
}

/** VmRSS (bytes) of a process. */
export function vmRss(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

// ---------------------------------------------------------------------------------------------
// Environment

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return r.status === 0 ? `${r.stdout}${r.stderr}`.trim() : undefined;
}

export function machine() {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? os.cpus()[0]?.model;
  return {
    cpu,
    cores,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    hostname: os.hostname(),
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function versions() {
  return {
    node: process.version,
    node24: existsSync(BIN.node24) ? sh(BIN.node24, ["--version"]) : undefined,
    deno: /deno (\S+)/.exec(sh(BIN.deno, ["--version"]) ?? "")?.[1],
    bun: sh(BIN.bun, ["--version"]),
    wrk: /wrk (\S+)/.exec(sh("wrk", ["-v"]) ?? spawnSync("wrk", ["-v"], { encoding: "utf8" }).stdout ?? "")?.[1],
    anyhttp: JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version,
    git: sh("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]),
    // Uncommitted changes under core/ or adapters/ make the numbers not reproducible from `git`.
    dirty: Boolean(sh("git", ["-C", ROOT, "status", "--porcelain", "--", "core", "adapters"])),
  };
}

/** Make sure wrk exists: apt-get install it when root, else say how. Returns true when usable. */
export function ensureWrk() {
  if (spawnSync("wrk", ["-v"]).error === undefined) return true;
  const root = process.getuid?.() === 0;
  if (!root) {
    console.error("wrk is not installed. Install it (Debian/Ubuntu: `sudo apt-get install -y wrk`) and rerun.");
    return false;
  }
  console.log("wrk missing: apt-get install -y wrk …");
  let r = spawnSync("apt-get", ["install", "-y", "-qq", "wrk"], { stdio: "inherit" });
  if (r.status !== 0) {
    spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
    r = spawnSync("apt-get", ["install", "-y", "-qq", "wrk"], { stdio: "inherit" });
  }
  return spawnSync("wrk", ["-v"]).error === undefined;
}

// ---------------------------------------------------------------------------------------------
// Stats

export function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
export const min = (xs) => Math.min(...xs.filter(Number.isFinite));
export const max = (xs) => Math.max(...xs.filter(Number.isFinite));

/** Minimal argv parser: --name=value, --name value, --flag. */
export function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) continue;
    const eq = a.indexOf("=");
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith("--")) out[a.slice(2)] = argv[++i];
    else out[a.slice(2)] = true;
  }
  return out;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
