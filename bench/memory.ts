// `npm run bench:memory`: server memory per idle keep-alive connection. For each target: start
// the server (CPU 1, fd limit raised with prlimit, keep-alive timeout 10 min), warm it up,
// measure (full GC, then RSS from /proc/<pid>/status and heap from the server itself over its
// stdin control channel), open N connections from a separate node client process (CPU 0), each
// sending one GET and reading the whole response, then idle; measure again; check every
// connection is still open; divide the growth by N.
//
//   npm run bench:memory                                  N = 10 000, all node-style targets + natives
//   npm run bench:memory -- --connections 2000 --targets anyhttp-node,node-http-node --rounds 3
//   npm run bench:memory -- --quick                       N = 1000
import { spawn } from "node:child_process";
import * as net from "node:net";
import { createInterface } from "node:readline";
// @ts-ignore: plain .mjs helpers
import * as helpers from "./lib/common.mjs";

const common: any = helpers;
const args: Record<string, any> = common.parseArgs(process.argv.slice(2));
const REQUEST = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

// ---- client: a separate process holding the connections --------------------------------------

async function client(port: number, n: number, concurrency: number) {
  const sockets: net.Socket[] = [];
  let closed = 0;
  let failed = 0;
  let next = 0;
  const openOne = () =>
    new Promise<void>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      let text = "";
      let done = false;
      const finish = (ok: boolean) => {
        if (done) return;
        done = true;
        if (ok) sockets.push(s);
        else {
          failed++;
          s.destroy();
        }
        resolve();
      };
      s.setEncoding("latin1");
      s.on("data", (d: string) => {
        text += d;
        try {
          const { responses } = common.parseResponses(text);
          if (responses.length === 1) finish(responses[0].status === 200 && responses[0].body === "ok");
        } catch {
          finish(false);
        }
      });
      s.on("error", () => finish(false));
      s.on("close", () => {
        if (done && sockets.includes(s)) closed++;
        finish(false);
      });
      s.write(REQUEST);
    });
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      next++;
      await openOne();
    }
  }));
  console.log(`READY ${JSON.stringify({ open: sockets.length, failed, ms: Math.round(performance.now() - t0) })}`);
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (line === "check") console.log(`ALIVE ${JSON.stringify({ open: sockets.length - closed, closed })}`);
    if (line === "close") {
      for (const s of sockets) s.destroy();
      process.exit(0);
    }
  }
}

// ---- parent ---------------------------------------------------------------------------------

/** Line-oriented request/response over a child's stdin/stdout. */
function lines(child: ReturnType<typeof spawn>) {
  const waiting: { prefix: string; resolve: (v: any) => void; reject: (e: Error) => void }[] = [];
  const rl = createInterface({ input: child.stdout! });
  rl.on("line", (line) => {
    const i = waiting.findIndex((w) => line.startsWith(`${w.prefix} `));
    if (i >= 0) waiting.splice(i, 1)[0].resolve(JSON.parse(line.slice(line.indexOf(" ") + 1)));
  });
  child.once("exit", (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`process exited (${code}) while waiting for ${w.prefix}`));
  });
  return (prefix: string, send?: string, timeoutMs = 120_000) =>
    new Promise<any>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${prefix} within ${timeoutMs / 1000} s`)), timeoutMs);
      waiting.push({ prefix, resolve: (v) => (clearTimeout(t), resolve(v)), reject: (e) => (clearTimeout(t), reject(e)) });
      if (send !== undefined) child.stdin!.write(`${send}\n`);
    });
}

async function measureTarget(target: any, n: number, settleMs: number) {
  const nofile = n + 4096;
  const server = await common.startServer(target, {
    cpu: 1, stdin: "pipe", nofile, cmdOptions: { gc: true },
    env: { BENCH_CONTROL: "1", BENCH_IDLE_MS: "600000" },
  });
  const ask = lines(server.child);
  // Lines that arrived before we listened are the "listening" one; fine.
  try {
    // A bare server answers one GET per connection and nothing else (no POST, no pipelining).
    // The servers run with a 600 s keep-alive (BENCH_IDLE_MS below): node-shaped heads say so.
    const head = target.head ?? ((type: string, length: number) => common.nodeHead(type, length, 600));
    if (target.kind !== "bare") await common.verifyServer(server.port, { head });
    // Warm-up: a few hundred connections with a request each, closed again, so code, pools
    // and caches are in place before the baseline.
    await Promise.all(Array.from({ length: 200 }, () => common.exchange(server.port, REQUEST, 1)));
    await common.sleep(settleMs);
    const before = { ...(await ask("MEM", "mem")), vmRss: common.vmRss(server.pid) };

    const [cc, ca] = common.pinned(0, process.execPath, ["--import", "tsx", "bench/memory.ts", "--client", "--port", String(server.port), "--connections", String(n)], { nofile });
    const cl = spawn(cc, ca, { cwd: common.ROOT, stdio: ["pipe", "pipe", "inherit"] });
    const askClient = lines(cl);
    try {
      const ready = await askClient("READY", undefined, 300_000);
      await common.sleep(settleMs);
      const after = { ...(await ask("MEM", "mem")), vmRss: common.vmRss(server.pid) };
      const alive = await askClient("ALIVE", "check");
      const per = (k: string) => (after[k] - before[k]) / ready.open;
      const row: any = {
        target: target.id, label: target.label, connections: ready.open, failed: ready.failed, stillOpen: alive.open, openMs: ready.ms,
        before, after,
        perConnection: {
          rss: per("vmRss"), heapUsed: per("heapUsed"), heapTotal: per("heapTotal"), external: per("external"),
          // RSS growth less V8's young-generation growth (a one-time cost of the burst; null on Bun).
          rssLessYoung: before.youngGen != null && after.youngGen != null ? (after.vmRss - before.vmRss - (after.youngGen - before.youngGen)) / ready.open : null,
          ...(before.jscHeapSize !== undefined ? { jscHeapSize: per("jscHeapSize") } : {}),
        },
        gc: before.gc,
      };
      if (ready.failed > 0 || alive.open !== ready.open || ready.open !== n) {
        row.error = `${ready.open}/${n} connections opened (${ready.failed} failed), ${alive.open} still open at the end`;
      }
      return row;
    } finally {
      cl.stdin!.write("close\n");
      await common.stopChild(cl);
    }
  } finally {
    await server.stop();
  }
}

async function parent() {
  const quick = Boolean(args.quick);
  const n = Number(args.connections ?? process.env.BENCH_CONNECTIONS ?? (quick ? 1000 : 10_000));
  const rounds = Number(args.rounds ?? 1);
  const settleMs = Number(args.settle ?? (quick ? 500 : 2000));
  const build = common.anyhttpNodeBuild(args.anyhttp ?? "auto");
  // The raw ceilings are left out (raw-deno pins a 64 KiB read buffer per connection), and so
  // are the floors (a CPU measure: fixed keep-alive heads, no idle timeout); the "bare"
  // servers stand for what the runtime itself costs per connection.
  const sv = (f: string) => `bench/servers/${f}`;
  const bare = [
    { id: "bare-node", label: "bare net.Socket", group: "node", kind: "bare", cmd: (o: any = {}) => [common.BIN.node, [...(o.gc ? ["--expose-gc"] : []), sv("bare-node.mjs")]] },
    { id: "bare-deno", label: "bare Deno.Conn", group: "deno", kind: "bare", cmd: (o: any = {}) => [common.BIN.deno, ["run", "-A", ...(o.gc ? ["--v8-flags=--expose-gc"] : []), sv("bare-deno.ts")]] },
    { id: "bare-bun", label: "bare Bun socket", group: "bun", kind: "bare", cmd: () => [common.BIN.bun, [sv("bare-bun.ts")]] },
  ];
  const all = [...common.allTargets({ anyhttpBuild: build }).filter((t: any) => t.kind !== "raw" && t.kind !== "rawcore" && t.kind !== "floor"), ...bare];
  const targets = common.selectTargets(all, args.targets ?? process.env.BENCH_TARGETS);
  const info = { machine: common.machine(), versions: common.versions() };
  console.log(`memory bench: ${n} idle keep-alive connections per target, ${rounds} round(s) · anyhttp on node: ${build.why}`);
  const rows: any[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const t of targets) {
      try {
        const row = await measureTarget(t, n, settleMs);
        rows.push({ round: r + 1, ...row });
        const p = row.perConnection;
        console.log(`  ${row.error ? "✗" : "✓"} ${t.label.padEnd(22)} RSS ${(p.rss / 1024).toFixed(2)} KiB/conn${p.rssLessYoung == null ? "" : ` (${(p.rssLessYoung / 1024).toFixed(2)} less young gen)`} · heap ${(p.heapUsed / 1024).toFixed(2)} KiB/conn · opened in ${row.openMs} ms${row.error ? ` · ${row.error}` : ""}`);
      } catch (e: any) {
        rows.push({ round: r + 1, target: t.id, label: t.label, error: e.message.split("\n").slice(0, 4).join(" | ") });
        console.log(`  ✗ ${t.label.padEnd(22)} NOT MEASURED: ${e.message.split("\n")[0]}`);
      }
    }
  }
  const KiB = (x: number) => (Number.isFinite(x) ? (x / 1024).toFixed(2) : "–");
  const out = [
    "",
    `Per idle keep-alive connection, ${n} connections, ${rounds > 1 ? `median of ${rounds} rounds` : "one round"}; growth of the server process after a full GC (KiB). ` +
      "RSS: VmRSS. Heap: the runtime's heapUsed (on Bun, JSC's heap size; the JSON also has bun:jsc heapStats()). External: ArrayBuffers and other off-heap memory the engine tracks. " +
      "Bun.serve and Deno.serve keep their connections outside the JS heap: only RSS compares across all. " +
      "RSS less young gen: the same growth without that of V8's young generation (new space), which the burst of connections grows and a full GC does not give back: a one-time cost (node, deno).",
    "",
    "| server | RSS KiB/conn | RSS less young gen | heap KiB/conn | external KiB/conn | RSS before → after (MiB) | note |",
    "|---|---:|---:|---:|---:|---:|---|",
  ];
  for (const t of targets) {
    const rs = rows.filter((x) => x.target === t.id && x.perConnection);
    if (rs.length === 0) {
      out.push(`| ${t.label} | – | – | – | – | – | ${rows.find((x) => x.target === t.id)?.error ?? "not measured"} |`);
      continue;
    }
    const med = (k: string) => common.median(rs.map((x) => x.perConnection[k]));
    const mb = (x: number) => (x / 2 ** 20).toFixed(0);
    const young = rs.every((x) => x.perConnection.rssLessYoung != null) ? KiB(med("rssLessYoung")) : "–";
    out.push(`| ${t.label} | ${KiB(med("rss"))} | ${young} | ${KiB(med("heapUsed"))} | ${KiB(med("external"))} | ${mb(rs[0].before.vmRss)} → ${mb(rs[0].after.vmRss)} | ${rs.map((x) => x.error).filter(Boolean).join("; ") || (rs[0].gc ? "" : "no forced GC")} |`);
  }
  const base = rows.find((x) => x.target === "node-http-node" && x.perConnection);
  const ours = rows.find((x) => x.target === "anyhttp-node" && x.perConnection);
  if (base && ours) {
    out.push("", `anyhttp ÷ node:http on node, per connection: RSS ${(ours.perConnection.rss / base.perConnection.rss).toFixed(2)}×, heap ${(ours.perConnection.heapUsed / base.perConnection.heapUsed).toFixed(2)}× (goal: ≤ 1×)`);
  }
  console.log(out.join("\n"));
  const { mkdirSync, writeFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const dir = join(common.BENCH, "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `memory-${new Date().toISOString().replace(/:/g, "-").replace(/\.\d+Z$/, "Z")}${quick ? "-quick" : ""}.json`);
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), ...info, anyhttpNode: build, config: { connections: n, rounds, settleMs }, rows }, null, 2)}\n`);
  console.log(`\nwritten: ${file.replace(common.ROOT, "")}`);
  if (rows.some((x) => x.error)) process.exitCode = 2;
}

if (args.client) await client(Number(args.port), Number(args.connections), Number(args.concurrency ?? 256));
else await parent();
