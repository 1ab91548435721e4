// Property-based: generated request streams (HTTP/1.1 and 1.0, HEAD, Content-Length, chunked,
// both, a repeated Content-Length, bodies up to 64 KiB, pipelines of up to five) at random split
// points, checked against the model in tests/_support/fuzz-model.ts; then the same streams with
// byte mutations, where every request before the first mutated byte must still be answered as
// the model says. A new seed every run, printed: FUZZ_SEED=<seed> replays it (fast-check's
// failure report also gives the path to the smallest failing case).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Answer, cut, model, mutate, parseResponses, type Req, request, run, serialize } from "./_support/fuzz-model.ts";

const fraction = fc.double({ min: 0, max: 1, noNaN: true });
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const seed = env.FUZZ_SEED ? Number(env.FUZZ_SEED) : Date.now() % 2_147_483_647;
console.log(`fuzz seed ${seed} (replay: FUZZ_SEED=${seed})`);

/** The model's answers as the parser sees them: statuses and bodies ('' for HEAD and errors). */
function expected(answers: Answer[]): { statuses: number[]; bodies: string[] } {
  return { statuses: answers.map((a) => a.status), bodies: answers.map((a) => a.body ?? "") };
}

test(`streams answered as the model says, whatever the split (seed ${seed})`, { timeout: 240_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 5 }), fc.array(fraction, { maxLength: 6 }), async (reqs, at) => {
      const stream = reqs.map(serialize).join("");
      const answers = model(reqs);
      const whole = await run([stream]);
      const split = await run(cut(stream, at));
      assert.equal(split.text, whole.text, "split-independent");
      const parsed = parseResponses(whole.text, answers.map((a) => a.body === null && a.status === 200));
      assert.deepEqual({ statuses: parsed.statuses, bodies: parsed.bodies }, expected(answers));
      assert.equal(parsed.rest, "");
      assert.equal(whole.ended || whole.reset, answers[answers.length - 1].last, "closed exactly when the model closes");
    }),
    { numRuns: 1000, seed },
  );
});

/** Where request `i` ends in the serialized stream. */
function ends(reqs: Req[]): number[] {
  let at = 0;
  return reqs.map((r) => (at += serialize(r).length));
}

test(`mutated streams: nothing throws, split-independent, the untouched prefix answered as the model says, one error at most and then a close (seed ${seed})`, { timeout: 240_000 }, async () => {
  const mutation = fc.tuple(fraction, fc.constantFrom<0 | 1 | 2>(0, 1, 2), fc.integer({ min: 0, max: 255 }));
  await fc.assert(
    fc.asyncProperty(
      fc.array(request, { minLength: 1, maxLength: 4 }),
      fc.array(mutation, { minLength: 1, maxLength: 3 }),
      fc.array(fraction, { maxLength: 6 }),
      async (reqs, muts, at) => {
        const original = reqs.map(serialize).join("");
        const stream = mutate(original, muts);
        const whole = await run([stream]);
        const split = await run(cut(stream, at));
        assert.equal(split.text, whole.text, "split-independent");
        // Each mutation lands at most (mutations before it) bytes from its place in the original.
        const touched = Math.min(...muts.map(([f]) => Math.floor(f * original.length))) - muts.length;
        const intact = ends(reqs).filter((e) => e <= touched).length;
        const answers = model(reqs.slice(0, intact));
        const prefix = answers;
        const parsed = parseResponses(whole.text, prefix.map((a) => a.body === null && a.status === 200));
        assert.deepEqual(
          { statuses: parsed.statuses.slice(0, prefix.length), bodies: parsed.bodies.slice(0, prefix.length) },
          expected(prefix),
          "the requests before the first mutated byte",
        );
        const errors = parsed.statuses.filter((s) => s >= 400);
        if (errors.length) {
          assert.equal(errors.length, 1, `one error response: ${parsed.statuses}`);
          assert.ok(parsed.statuses[parsed.statuses.length - 1] >= 400, "the error comes last");
          assert.ok(whole.ended || whole.reset, "closed after the error");
        }
        // Past the prefix the handler may have seen one request it could not answer: its body
        // broke (it gets the error) or is incomplete (the connection waits for the rest).
        const ok = parsed.statuses.filter((s) => s < 400).length;
        assert.ok(ok === whole.seen || ok === whole.seen - 1, `ok ${ok}, seen ${whole.seen}`);
        if (ok === whole.seen - 1 && errors.length === 0) {
          assert.ok(!whole.ended && !whole.reset, "an unanswered request keeps the connection open");
        }
      },
    ),
    { numRuns: 1500, seed },
  );
});
