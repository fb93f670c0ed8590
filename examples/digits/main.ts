/**
 * The digits CNN quantized three ways — dynamic PTQ, static PTQ and QAT — with the flows of
 * `nn/`, starting from the float weights PyTorch trained (`golden/models/digits/`). Prints, for
 * the float model and each int8 model: test accuracy, model size (bytes of its safetensors file)
 * and time per batch of 360 images. The float model runs nn's scalar TypeScript forward (and the
 * dynamic model's convolutions do too), not the fp32 SIMD kernels: its time is not the fp32
 * baseline of `deno task bench`, and the ratio of the times is not the int8 speedup.
 *
 * Usage: deno run --allow-read examples/digits/main.ts [--kernels NAME] [--qat-epochs N] (QAT
 * freezes BN statistics and observers for its last epoch; default 2 epochs)
 * @module
 */
import { parseArgs } from "node:util";
import {
  bestKernelSet,
  convert,
  DIGITS_CNN_FUSION,
  DigitsCNN,
  disableObserver,
  F,
  freezeBnStats,
  fuseModules,
  getDefaultQatQConfig,
  getDefaultQConfig,
  GradTape,
  kernelSets,
  Linear,
  type Module,
  prepare,
  prepareQat,
  quantizeDynamic,
  readSafetensors,
  saveStateDictToSafetensors,
  seededRandom,
  sgdStep,
  Tensor,
  toTensor,
} from "../../mod.ts";

const DIR = new URL("../../golden/models/digits/", import.meta.url);
const read = (name: string) => readSafetensors(Deno.readFileSync(new URL(name, DIR)));

function rows(x: Tensor, index: readonly number[]): Tensor {
  const per = x.size / x.shape[0];
  const out = new Float32Array(index.length * per);
  index.forEach((r, i) => out.set(x.data.subarray(r * per, (r + 1) * per), i * per));
  return new Tensor(out, [index.length, ...x.shape.slice(1)]);
}

function accuracy(logits: Tensor, labels: readonly number[]): number {
  const c = logits.shape[1];
  let right = 0;
  labels.forEach((y, r) => {
    const row = logits.data.subarray(r * c, (r + 1) * c);
    if (row.indexOf(Math.max(...row)) === y) right++;
  });
  return right / labels.length;
}

function report(name: string, model: Module, x: Tensor, labels: readonly number[]): void {
  const run = () => (model.forward as (x: Tensor) => Tensor)(x);
  const logits = run();
  const runs = 5;
  const start = performance.now();
  for (let i = 0; i < runs; i++) run();
  const ms = (performance.now() - start) / runs;
  const bytes = saveStateDictToSafetensors(model).length;
  console.log(
    `${name.padEnd(12)} accuracy ${(100 * accuracy(logits, labels)).toFixed(2).padStart(6)}%  ` +
      `size ${String(bytes).padStart(6)} bytes  ${ms.toFixed(2).padStart(7)} ms per batch of ` +
      `${x.shape[0]}`,
  );
}

const USAGE = `usage: deno run --allow-read examples/digits/main.ts [--kernels NAME] ` +
  `[--qat-epochs N]
  --kernels NAME    one of ${kernelSets().map((k) => k.name).join(", ")} (default: the fastest ` +
  `qnnpack-numerics set)
  --qat-epochs N    QAT epochs, an integer >= 1 (default 2)`;

/** Prints what is wrong with the command line and the usage, and exits 2. */
function usageError(message: string): never {
  console.error(`error: ${message}\n\n${USAGE}`);
  Deno.exit(2);
}

function commandLine() {
  try {
    return parseArgs({
      args: Deno.args,
      options: { kernels: { type: "string" }, "qat-epochs": { type: "string", default: "2" } },
    }).values;
  } catch (e) {
    return usageError((e as Error).message.split("\n")[0]);
  }
}

const values = commandLine();
const epochs = Number(values["qat-epochs"]);
if (!/^\d+$/.test(values["qat-epochs"]) || !(epochs >= 1)) {
  usageError(`--qat-epochs: expected an integer >= 1, got ${JSON.stringify(values["qat-epochs"])}`);
}
const kernels = values.kernels === undefined
  ? bestKernelSet("qnnpack")
  : kernelSets().find((k) => k.name === values.kernels);
if (kernels === undefined) usageError(`--kernels: no kernel set named ${values.kernels}`);

const data = read("data.safetensors");
const testX = toTensor(data.get("test_x")!, "test_x");
const testY = Array.from(data.get("test_y")!.data as BigInt64Array, Number);
const calibration = toTensor(data.get("calibration_x")!, "calibration_x");
const pixels = data.get("train_pixels")!;
const trainX = new Tensor(
  Float32Array.from(pixels.data as Uint8Array, (v) => v / 16),
  pixels.shape,
);
const trainY = Array.from(data.get("train_y")!.data as BigInt64Array, Number);
const floatWeights = read("float_cnn.safetensors");
const floatCnn = () => {
  const m = new DigitsCNN();
  m.loadStateDict(floatWeights);
  return m;
};

console.log(`kernels: ${kernels.name} (${kernels.description})\n`);
// The float model runs nn's plain scalar TypeScript forward (not the fp32 SIMD kernels).
report("fp32 scalar", floatCnn().eval(), testX, testY);

// Dynamic PTQ: only Linear layers (here the head) get int8 weights.
report(
  "dynamic",
  quantizeDynamic(floatCnn().eval(), { qconfigSpec: [Linear], kernels }),
  testX,
  testY,
);

// Static PTQ: fuse, observe, calibrate on 64 images, convert.
const fused = fuseModules(floatCnn().eval(), DIGITS_CNN_FUSION);
fused.qconfig = getDefaultQConfig(kernels.numerics === "qnnpack" ? "qnnpack" : "x86");
const prepared = prepare(fused);
for (let b = 0; b < 4; b++) {
  prepared.forward(rows(calibration, Array.from({ length: 16 }, (_, i) => b * 16 + i)));
}
report("static", convert(prepared, { kernels }), testX, testY);

// QAT: fake-quantized fine-tuning with SGD, then convert.
const qatFused = fuseModules(floatCnn().train(), DIGITS_CNN_FUSION, { qat: true });
qatFused.qconfig = getDefaultQatQConfig(kernels.numerics === "qnnpack" ? "qnnpack" : "x86");
const qat = prepareQat(qatFused);
const params = qat.parameters();
const momentum = new Map<Tensor, Float32Array>();
const random = seededRandom(3);
for (let epoch = 0; epoch < epochs; epoch++) {
  if (epoch > 0 && epoch === epochs - 1) {
    qat.apply(freezeBnStats);
    qat.apply(disableObserver);
  }
  qat.train();
  const order = trainY.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (let s = 0; s < order.length; s += 32) {
    const index = order.slice(s, s + 32);
    const tape = new GradTape(params);
    const loss = tape.run(() =>
      F.crossEntropy(qat.forward(rows(trainX, index)), index.map((i) => trainY[i]))
    );
    sgdStep(params, tape.backward(loss), { lr: 1e-3, momentum: 0.9, state: momentum });
  }
}
report("qat", convert(qat.eval(), { kernels }), testX, testY);
console.log(
  `\n"fp32 scalar" and the convolutions of "dynamic" run nn's scalar TypeScript forward; "static" ` +
    `and "qat" run the int8 SIMD kernels. Their times are not an int8-over-fp32 speedup: ` +
    `deno task bench compares int8 with the fp32 SIMD baseline.`,
);
