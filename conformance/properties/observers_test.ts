import assert from "node:assert/strict";
import { propertyFails, runProperty } from "./property.ts";
import { observerProperties, REFERENCE_OBSERVERS } from "./observers.ts";
import { parseGoldenFile, toNumbers } from "../golden_file.ts";
import { observerOptions } from "../ops/observers.ts";
import { f32 } from "../../reference/float32.ts";
import {
  defaultQParams,
  HistogramObserver,
  MinMaxObserver,
  type MinMaxObserverOptions,
  type QParamsResult,
} from "../../reference/observers/mod.ts";
import { Tensor } from "../../reference/tensor.ts";
import { roundHalfEven } from "../../reference/float32.ts";
import { torchSumFloat32 } from "../../reference/torch_sum.ts";
import { cumsumFloat32 } from "../../reference/observers/_histogram_math.ts";

Deno.test("observer properties pass on the reference", async () => {
  for (const check of observerProperties()) {
    const outcome = await runProperty(check, { seed: 11, runs: 60 });
    assert.ok(outcome.passed, `${check.name}: ${outcome.reason}`);
  }
});

/** Runs every property against a broken implementation; returns the names that failed. */
async function failingProperties(impl: typeof REFERENCE_OBSERVERS): Promise<string[]> {
  const failing: string[] = [];
  for (const check of observerProperties(impl, "broken")) {
    if (await propertyFails(check, 150)) failing.push(check.name);
  }
  return failing;
}

Deno.test("observer properties catch an observer that forgets to widen the range to include 0", async () => {
  class NoWiden extends MinMaxObserver {
    override calculateQParams(): QParamsResult {
      if (this.minVal === Infinity) return defaultQParams();
      const s = Math.max(
        f32(f32(this.maxVal - this.minVal) / f32(this.quantMax - this.quantMin)),
        this.eps,
      );
      const zp = this.quantMin - roundHalfEven(f32(this.minVal / s));
      return {
        scale: Float32Array.of(s),
        zeroPoint: Int32Array.of(Math.min(Math.max(zp, this.quantMin), this.quantMax)),
      };
    }
  }
  const failing = await failingProperties({ ...REFERENCE_OBSERVERS, MinMaxObserver: NoWiden });
  assert.ok(
    failing.some((n) => n.startsWith("MinMax qparams cover the observed range")),
    `${failing}`,
  );
});

Deno.test("observer properties catch a wrong default eps", async () => {
  class WrongEps extends MinMaxObserver {
    constructor(options: MinMaxObserverOptions = {}) {
      super({ ...options, eps: options.eps ?? 1e-7 });
    }
  }
  const failing = await failingProperties({ ...REFERENCE_OBSERVERS, MinMaxObserver: WrongEps });
  assert.ok(failing.some((n) => n.startsWith("scales are > 0 and >= eps")), `${failing}`);
});

Deno.test("observer properties catch a symmetric quint8 zero point of 127", async () => {
  class Zp127 extends MinMaxObserver {
    override calculateQParams(): QParamsResult {
      const q = super.calculateQParams();
      if (
        this.qscheme === "per_tensor_symmetric" && this.dtype === "quint8" && q.zeroPoint[0] === 128
      ) {
        return { scale: q.scale, zeroPoint: Int32Array.of(127) };
      }
      return q;
    }
  }
  const failing = await failingProperties({ ...REFERENCE_OBSERVERS, MinMaxObserver: Zp127 });
  assert.ok(failing.some((n) => n.startsWith("symmetric qparams")), `${failing}`);
});

Deno.test("observer properties catch a histogram that keeps the data outside [int(min), int(max)]", async () => {
  class NoTruncation extends HistogramObserver {
    override forward(x: Tensor): Tensor {
      // Grows the first histogram to [floor(min), ceil(max)] (by observing those bounds first),
      // so that no data is dropped — unlike PyTorch's int() truncation.
      if (this.minVal === Infinity && x.size > 0) {
        const min = Math.min(...x.data);
        const max = Math.max(...x.data);
        if (min !== max && (Math.trunc(min) !== min || Math.trunc(max) !== max)) {
          super.forward(Tensor.from([Math.floor(min), Math.ceil(max)]));
        }
      }
      return super.forward(x);
    }
  }
  const failing = await failingProperties({
    ...REFERENCE_OBSERVERS,
    HistogramObserver: NoTruncation,
  });
  assert.ok(failing.some((n) => n.startsWith("the histogram counts")), `${failing}`);
});

/**
 * A copy of the reference search (`_non_linear_param_search`) that can keep the range from
 * before the last accepted step.
 */
function histogramWithSearch(stopEarly: boolean): typeof HistogramObserver {
  return class extends HistogramObserver {
    override nonLinearParamSearch(): { min: number; max: number } {
      const bins = this.bins;
      const width = f32(f32(this.maxVal - this.minVal) / f32(bins));
      const total = torchSumFloat32(this.histogram);
      const cSum = cumsumFloat32(this.histogram);
      let alpha = 0, beta = 1, start = 0, end = bins - 1, normMin = Infinity;
      let prevStart = start, prevEnd = end;
      while (alpha < beta) {
        const na = alpha + 1e-5, nb = beta - 1e-5;
        let l = start, r = end;
        while (l < end && cSum[l] < f32(na * total)) l++;
        while (r > start && cSum[r] > f32(nb * total)) r--;
        let ns = start, ne = end;
        if (l - start > end - r) {
          ns = l;
          alpha = na;
        } else {
          ne = r;
          beta = nb;
        }
        if (ns === start && ne === end) continue;
        const norm = this.computeQuantizationError(ns, ne);
        if (norm > normMin) break;
        normMin = norm;
        [prevStart, prevEnd] = [start, end];
        [start, end] = [ns, ne];
      }
      const [s, e] = stopEarly ? [prevStart, prevEnd] : [start, end];
      return {
        min: f32(this.minVal + f32(width * s)),
        max: f32(this.minVal + f32(width * (e + 1))),
      };
    }
  };
}

/** Runs the HistogramObserver golden cases with `cls`; returns [cases, scale mismatches]. */
async function histogramGoldenMismatches(cls: typeof HistogramObserver): Promise<[number, number]> {
  const path = new URL("../../golden/histogram_observer.json", import.meta.url);
  const file = parseGoldenFile(await Deno.readTextFile(path), path.pathname);
  let checked = 0;
  let mismatches = 0;
  for (const c of file.cases) {
    if (c.op !== "observer" || c.attrs.observer !== "HistogramObserver") continue;
    const o = new cls(observerOptions(c.attrs.args as Record<string, never>) as never);
    for (let i = 0; `x${i}` in c.inputs; i++) {
      const t = c.inputs[`x${i}`];
      o.forward(new Tensor(t.data as Float32Array, t.shape));
    }
    checked++;
    const { scale, zeroPoint } = o.calculateQParams();
    if (
      scale[0] !== toNumbers(c.outputs.scale)[0] ||
      zeroPoint[0] !== toNumbers(c.outputs.zero_point)[0]
    ) mismatches++;
  }
  return [checked, mismatches];
}

Deno.test("the golden vectors catch a histogram search that stops one step early", async () => {
  const [checked, control] = await histogramGoldenMismatches(histogramWithSearch(false));
  assert.ok(checked > 100, `only ${checked} histogram cases`);
  assert.equal(control, 0, "the unbroken copy of the search must match every golden case");
  const [, broken] = await histogramGoldenMismatches(histogramWithSearch(true));
  assert.ok(broken > checked / 4, `only ${broken} of ${checked} cases differ`);
});
