/**
 * Whole-model benchmark variants: the model's fp32 baseline, and per kernel path the model
 * quantized by nn's flow and converted for that path — each timed as `model.forward(x)` from
 * the float NCHW image to the float logits, the call a user makes. Before timing, every path's
 * converted model is run once and the output of every module (every layer, block and residual
 * add) is compared with the same model converted for the scalar reference of its numerics.
 * @module
 */
import type { BenchCase } from "../cases.ts";
import { checkedKernelSet } from "../../kernels/checked_kernel_set.ts";
import type { KernelSet } from "../../kernels/kernel_set.ts";
import { ReferenceKernelSet } from "../../kernels/reference_kernel_set.ts";
import type { KernelRuntime } from "../../kernels/runtime.ts";
import type { Numerics } from "../../reference/engine.ts";
import type { Tensor } from "../../reference/tensor.ts";
import { convert, type Module, QTensor, QuantizedOps } from "../../nn/mod.ts";
import { fp32Baseline, multiplyAccumulates } from "./fp32_baseline.ts";
import { QuantizableMobileNetV2 } from "./mobilenet_v2.ts";
import { calibratedModel, fusedRandomModel, type QuantizableModel } from "./quantize.ts";
import { QuantizableResNet18 } from "./resnet18.ts";
import { benchImage } from "./random_weights.ts";

/** A benchmark model: its name and its constructor. */
export interface ModelSpec {
  /** `ResNet-18`, `MobileNetV2`. */
  readonly name: string;
  /** The float model with `classes` outputs. */
  build(classes?: number): QuantizableModel;
  /** Whether `--quick` runs it. */
  readonly quick: boolean;
}

/** The whole models the benchmark times. */
export const MODEL_SPECS: readonly ModelSpec[] = [
  { name: "MobileNetV2", build: (classes) => new QuantizableMobileNetV2(classes), quick: true },
  { name: "ResNet-18", build: (classes) => new QuantizableResNet18(classes), quick: false },
];

/** The seeds of the timed image and of the calibration images. */
const IMAGE_SEED = 7;
const CALIBRATION_SEEDS = [11, 12];

/** One model at one size, built once: the fused float model and its fp32 baseline. */
export class ModelBench {
  /** The fused float model with random weights. */
  readonly fused: QuantizableModel;
  /** The fused model on the fp32 kernels. */
  readonly baseline: QuantizableModel;
  /** The timed input `[1, 3, size, size]`. */
  readonly image: Tensor;
  private readonly prepared = new Map<Numerics, QuantizableModel>();
  private counted?: number;

  /** Builds `spec` for `size`×`size` images. */
  constructor(
    readonly spec: ModelSpec,
    readonly size: number,
    private readonly runtime: KernelRuntime,
    options: { classes?: number } = {},
  ) {
    this.fused = fusedRandomModel(spec.build(options.classes));
    this.baseline = fp32Baseline(this.fused, runtime);
    this.image = benchImage(size, IMAGE_SEED);
  }

  /** Multiply-accumulates of one forward. */
  macs(): number {
    return this.counted ??= multiplyAccumulates(this.baseline, this.image);
  }

  /** The model prepared and calibrated for a numerics family (once per family). */
  preparedFor(numerics: Numerics): QuantizableModel {
    let p = this.prepared.get(numerics);
    if (p === undefined) {
      const images = CALIBRATION_SEEDS.map((seed) => benchImage(this.size, seed));
      p = calibratedModel(this.fused, numerics, images, this.runtime);
      this.prepared.set(numerics, p);
    }
    return p;
  }

  /**
   * The model converted for `kernels` (nn's `convert`). Observers left without data are
   * ignored: `calibratedModel` has allowed only those of functionals the forward never calls.
   */
  converted(kernels: KernelSet | QuantizedOps): QuantizableModel {
    const numerics = kernels instanceof QuantizedOps ? kernels.kernels.numerics : kernels.numerics;
    return convert(this.preparedFor(numerics), { kernels, uncalibrated: "ignore" });
  }

  /** The model converted for the scalar reference of `numerics`, behind the checked boundary. */
  reference(numerics: Numerics): QuantizableModel {
    return this.converted(checkedKernelSet(new ReferenceKernelSet("reference", numerics)));
  }
}

/** Every module's quantized output of one forward, by module name (in call order). */
export function layerOutputs(
  model: Module,
  x: Tensor,
): { outputs: [string, QTensor][]; y: Tensor } {
  const outputs: [string, QTensor][] = [];
  const removers = model.namedModules().map(([name, m]) =>
    m.registerForwardHook((_m, _inputs, output) => {
      if (output instanceof QTensor) outputs.push([name, output]);
    })
  );
  try {
    const y = (model.forward as (x: Tensor) => Tensor).call(model, x);
    return { outputs, y };
  } finally {
    for (const remove of removers) remove();
  }
}

/**
 * Throws naming the first module whose output (codes, shape or qparams) differs from the
 * reference's, or the first logit whose float bits differ.
 */
export function assertSameLayers(
  got: ReturnType<typeof layerOutputs>,
  want: ReturnType<typeof layerOutputs>,
  what: string,
): void {
  if (got.outputs.length !== want.outputs.length) {
    throw new Error(
      `${what}: ${got.outputs.length} quantized outputs, the reference has ${want.outputs.length}`,
    );
  }
  want.outputs.forEach(([name, w], i) => {
    const [gotName, g] = got.outputs[i];
    const same = gotName === name && g.scale === w.scale && g.zeroPoint === w.zeroPoint &&
      g.shape.length === w.shape.length && g.shape.every((d, j) => d === w.shape[j]);
    if (!same) {
      throw new Error(
        `${what}: module ${i} ${gotName} ${g} differs from the reference's ${name} ${w}`,
      );
    }
    const bad = w.data.findIndex((v, j) => v !== g.data[j]);
    if (bad >= 0) {
      throw new Error(
        `${what}: ${name} differs from the reference at element ${bad} (NHWC order): code ` +
          `${g.data[bad]}, reference ${w.data[bad]}`,
      );
    }
  });
  const bad = want.y.data.findIndex((v, j) => !Object.is(v, got.y.data[j]));
  if (bad >= 0 || got.y.size !== want.y.size) {
    throw new Error(
      `${what}: logit ${bad} differs from the reference: ${got.y.data[bad]} vs ${want.y.data[bad]}`,
    );
  }
}

/** The fp32 baseline and, per kernel set, the converted model — checked, then timed. */
export function buildModelCases(
  bench: ModelBench,
  sets: readonly KernelSet[],
  options: { checkAgainstReference: boolean },
): BenchCase[] {
  const { image, baseline } = bench;
  const cases: BenchCase[] = [{
    variant: "fp32",
    op: "model",
    run: () => baseline.forward(image),
    kernel: () => "fp32 baselines",
  }];
  const expected = new Map<Numerics, ReturnType<typeof layerOutputs>>();
  for (const kernels of sets) {
    const model = bench.converted(kernels);
    if (options.checkAgainstReference) {
      if (!expected.has(kernels.numerics)) {
        expected.set(kernels.numerics, layerOutputs(bench.reference(kernels.numerics), image));
      }
      assertSameLayers(
        layerOutputs(model, image),
        expected.get(kernels.numerics)!,
        `${bench.spec.name} on ${kernels.name}`,
      );
    }
    cases.push({
      variant: kernels.name,
      op: "model",
      run: () => model.forward(image),
      kernel: () => `int8 ${kernels.numerics} kernels`,
    });
  }
  return cases;
}
