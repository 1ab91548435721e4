// Summarise a V8 .cpuprofile (node --cpu-prof): self time per function, biggest first.
import { readFileSync } from "node:fs";

/**
 * The samples of a profile as `[nodeId, ms]`, limited to the window `[from, to]` (µs on the
 * monotonic clock V8 and `process.hrtime` share) when given.
 */
function samplesOf(prof, { from = -Infinity, to = Infinity } = {}) {
  const out = [];
  let t = prof.startTime;
  const { samples, timeDeltas } = prof;
  for (let i = 0; i < samples.length; i++) {
    t += timeDeltas[i];
    if (t < from || t > to) continue;
    out.push([samples[i], (timeDeltas[i + 1] ?? 0) / 1000]); // the delta after a sample is the time it stood for
  }
  return out;
}

/**
 * `{ totalMs, rows: [{ name, where, selfMs, share }] }` for the top `top` functions by self
 * time. Functions are keyed by name + script + position; "(idle)" is excluded from the total.
 * `window: { from, to }` keeps only samples taken in it (µs, process.hrtime's clock).
 */
export function summarise(file, { top = 25, root = "", window } = {}) {
  const prof = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (const [id, dt] of samplesOf(prof, window)) self.set(id, (self.get(id) ?? 0) + dt);
  const agg = new Map();
  let total = 0;
  for (const [id, ms] of self) {
    const cf = byId.get(id).callFrame;
    if (cf.functionName === "(idle)") continue;
    total += ms;
    const url = cf.url.replace(/^file:\/\//, "").replace(root, "");
    const where = url ? `${url}:${cf.lineNumber + 1}:${cf.columnNumber + 1}` : "";
    const key = `${cf.functionName}|${where}`;
    const row = agg.get(key) ?? { name: cf.functionName || "(anonymous)", where, selfMs: 0 };
    row.selfMs += ms;
    agg.set(key, row);
  }
  const rows = [...agg.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top)
    .map((r) => ({ ...r, selfMs: Math.round(r.selfMs), share: Math.round((r.selfMs / total) * 1000) / 10 }));
  return { totalMs: Math.round(total), rows };
}

/** Self time grouped by file (where the time goes: our code, node internals, native, GC). */
export function byFile(file, { root = "", window } = {}) {
  const prof = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const agg = new Map();
  let total = 0;
  for (const [id, dt] of samplesOf(prof, window)) {
    const cf = byId.get(id).callFrame;
    if (cf.functionName === "(idle)") continue;
    total += dt;
    const key = cf.url ? cf.url.replace(/^file:\/\//, "").replace(root, "") : cf.functionName;
    agg.set(key, (agg.get(key) ?? 0) + dt);
  }
  return [...agg.entries()].sort((a, b) => b[1] - a[1]).map(([where, ms]) => ({ where, selfMs: Math.round(ms), share: Math.round((ms / total) * 1000) / 10 }));
}

/** Markdown table of `summarise()` rows. */
export function table(rows) {
  const out = ["| self % | self ms | function | where |", "|---:|---:|---|---|"];
  for (const r of rows) out.push(`| ${r.share.toFixed(1)} | ${r.selfMs} | \`${r.name}\` | ${r.where} |`);
  return out.join("\n");
}
