import assert from "node:assert/strict";
import { relativeSpread, showSpeedup, speedup } from "./spread.ts";

const q = (median: number, spread: number) => ({
  p25Ns: median * (1 - spread),
  medianNs: median,
  p75Ns: median * (1 + spread),
});

Deno.test("a speedup is the ratio of medians, with the interval its quartiles allow", () => {
  const s = speedup(q(200, 0.02), q(100, 0.02));
  assert.equal(s.ratio, 2);
  assert.ok(Math.abs(s.low - 196 / 102) < 1e-12 && Math.abs(s.high - 204 / 98) < 1e-12);
  assert.equal(s.reliable, true);
  assert.equal(showSpeedup(s), "2.00");
  assert.ok(Math.abs(relativeSpread(q(100, 0.02)) - 0.04) < 1e-12);
});

Deno.test("a speedup whose interval is wider than ±10% is marked unreliable", () => {
  // A case seen on a busy machine: a p99 of 46 ms against a 0.6 ms minimum; quartiles 30% apart.
  const noisy = speedup(q(10, 0.02), { p25Ns: 4, medianNs: 5, p75Ns: 7 });
  assert.equal(noisy.reliable, false);
  assert.equal(showSpeedup(noisy), "2.00?");
  assert.equal(speedup(q(10, 0.05), q(5, 0.04)).reliable, true);
  assert.equal(speedup(q(10, 0.06), q(5, 0.06)).reliable, false);
});
