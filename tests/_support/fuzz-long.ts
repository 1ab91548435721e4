// `npm run fuzz`: the long fuzz run (not in CI). Pushes generated request streams — valid, and
// with random byte mutations — through one server on the in-memory transport, at random split
// points, and checks the invariants of tests/fuzz.test.ts on every stream. Reports crashes
// (exceptions), hangs (a complete valid stream with unanswered requests), invariant failures
// and throughput.
//
//   FUZZ_REQUESTS=10000000 (default) FUZZ_SEED=1 npm run fuzz
import fc from "fast-check";
import { createMemoryTransport, createServer, VirtualClock } from "../../core/mod.ts";
import { cut, echoApp, model, mutate, parseResponses, request, serialize } from "./fuzz-model.ts";

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const target = Number(env.FUZZ_REQUESTS ?? 10_000_000);
const seed = Number(env.FUZZ_SEED ?? Date.now() % 1_000_000);

const transport = createMemoryTransport();
let seen = 0;
const server = createServer({ transport, clock: new VirtualClock() }, (req, res) => {
  seen++;
  echoApp(req, res);
});
await new Promise<void>((r) => server.listen(0, r));

const fraction = fc.double({ min: 0, max: 1, noNaN: true });
const mutation = fc.tuple(fraction, fc.constantFrom<0 | 1 | 2>(0, 1, 2), fc.integer({ min: 0, max: 255 }));
const caseArb = fc.tuple(
  fc.array(request, { minLength: 1, maxLength: 8 }),
  fc.oneof(fc.constant([] as [number, 0 | 1 | 2, number][]), fc.array(mutation, { minLength: 1, maxLength: 3 })),
  fc.array(fraction, { maxLength: 8 }),
);

let requests = 0;
let streams = 0;
let crashes = 0;
let hangs = 0;
let broken = 0;
const failures: string[] = [];
const started = Date.now();
let nextReport = 1_000_000;
let batch = 0;

/** Where two strings first differ, with a little of each from there. */
function firstDiff(a: string, b: string): { at: number; got: string; want: string } {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return { at: i, got: a.slice(i, i + 24), want: b.slice(i, i + 24) };
}

function fail(kind: string, detail: unknown): void {
  if (failures.length < 20) failures.push(`${kind}: ${JSON.stringify(detail)}`);
}

while (requests < target) {
  const cases = fc.sample(caseArb, { numRuns: 2000, seed: seed + batch++ });
  for (const [reqs, muts, at] of cases) {
    const valid = muts.length === 0;
    const stream = valid ? reqs.map(serialize).join("") : mutate(reqs.map(serialize).join(""), muts);
    const before = seen;
    const c = transport.connectSync();
    try {
      for (const p of cut(stream, at)) {
        if (c.isClosed) break;
        c.send(p);
      }
      await c.settle(12);
    } catch (e) {
      crashes++;
      fail("crash", { stream, error: String(e) });
      c.destroy();
      continue;
    }
    streams++;
    requests += reqs.length;
    const got = seen - before;
    if (valid) {
      const answers = model(reqs);
      const parsed = parseResponses(c.text(), answers.map((a) => a.body === null && a.status === 200));
      if (parsed.statuses.length < answers.length) {
        hangs++;
        fail("hang", { stream, got: parsed.statuses.length, want: answers.length });
      } else if (
        parsed.statuses.join() !== answers.map((a) => a.status).join() ||
        parsed.bodies.join("\n") !== answers.map((a) => a.body ?? "").join("\n") ||
        (c.ended || c.reset) !== answers[answers.length - 1].last
      ) {
        broken++;
        fail("wrong", {
          statuses: parsed.statuses,
          want: answers.map((a) => a.status),
          lengths: parsed.bodies.map((b) => b.length),
          wantLengths: answers.map((a) => a.body?.length ?? 0),
          closed: c.ended || c.reset,
          firstDiff: firstDiff(parsed.bodies.join("\n"), answers.map((a) => a.body ?? "").join("\n")),
          stream,
        });
      }
    } else {
      const parsed = parseResponses(c.text());
      const ok = parsed.statuses.filter((s) => s === 200).length;
      const errors = parsed.statuses.length - ok;
      const bad = parsed.rest !== "" || !(ok === got || ok === got - 1) || errors > 1 ||
        (errors === 1 && (parsed.statuses[parsed.statuses.length - 1] < 400 || !(c.ended || c.reset)));
      if (bad) {
        broken++;
        fail("invariant", { stream, statuses: parsed.statuses, got });
      }
    }
    c.destroy();
  }
  if (requests >= nextReport) {
    const s = (Date.now() - started) / 1000;
    console.log(`${requests} requests, ${streams} streams, ${Math.round(requests / s)} req/s, crashes ${crashes}, hangs ${hangs}, broken ${broken}`);
    nextReport += 1_000_000;
  }
}

const seconds = (Date.now() - started) / 1000;
console.log(`\nseed ${seed}: ${requests} requests in ${streams} streams, ${seconds.toFixed(1)} s, ${Math.round(requests / seconds)} req/s`);
console.log(`crashes ${crashes}, hangs ${hangs}, invariant failures ${broken}`);
for (const f of failures) console.log(f);
server.close();
server.closeAllConnections();
if (crashes || hangs || broken) throw new Error("fuzz found failures");
