/**
 * Checks golden/models/digits/ as a file set, without the nn/ modules: every file the manifest
 * lists is there with its size and sha256, every safetensors header tiles its data section with
 * aligned tensors, the data keys hold what the README says, and the recorded int8 outputs
 * dequantize (with the reference's `dequantize`) to the recorded float logits bit for bit.
 */
import assert from "node:assert/strict";
import { dequantize } from "../../reference/quantize.ts";
import { QuantizedTensor } from "../../reference/tensor.ts";

const DIR = new URL("../../golden/models/digits/", import.meta.url);

const DTYPE_SIZES: Record<string, number> = { F64: 8, I64: 8, F32: 4, I32: 4, I8: 1, U8: 1 };

/** One tensor of a safetensors file: its dtype, shape and bytes (a view into the file). */
interface RawTensor {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** Parses a safetensors file strictly enough to catch a bad writer (test-only reader). */
function parseSafetensors(file: Uint8Array): Map<string, RawTensor> {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  assert.equal(headerLength % 8, 0, `header length ${headerLength} is not padded to 8`);
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + headerLength)));
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, RawTensor>();
  const spans: [number, number, string][] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: [begin, end] } = info as {
      dtype: string;
      shape: number[];
      data_offsets: [number, number];
    };
    const size = DTYPE_SIZES[dtype];
    assert.ok(size !== undefined, `${name}: unexpected dtype ${dtype}`);
    assert.equal(end - begin, shape.reduce((a, b) => a * b, 1) * size, `${name}: byte size`);
    assert.equal((dataStart + begin) % size, 0, `${name}: not aligned for ${dtype}`);
    spans.push([begin, end, name]);
    tensors.set(name, { dtype, shape, bytes: file.subarray(dataStart + begin, dataStart + end) });
  }
  spans.sort((a, b) => a[0] - b[0]);
  let next = 0;
  for (const [begin, end, name] of spans) {
    assert.equal(begin, next, `${name}: gap or overlap at data offset ${next}`);
    next = end;
  }
  assert.equal(dataStart + next, file.length, "data section size");
  return tensors;
}

async function load(name: string): Promise<Map<string, RawTensor>> {
  return parseSafetensors(await Deno.readFile(new URL(name, DIR)));
}

function f32(t: RawTensor | undefined): Float32Array {
  assert.ok(t && t.dtype === "F32");
  return new Float32Array(t.bytes.slice().buffer);
}

function scalar(t: RawTensor | undefined): number {
  assert.ok(t && t.shape.length === 0);
  const view = new DataView(t.bytes.slice().buffer);
  if (t.dtype === "F64") return view.getFloat64(0, true);
  assert.equal(t.dtype, "I64");
  return Number(view.getBigInt64(0, true));
}

/** The bit patterns of a float32 array, so comparisons see -0 and NaN payloads. */
function bits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.slice().buffer);
}

Deno.test("every file in the manifest is there with its size, sha256 and tensor count", async () => {
  const manifest = JSON.parse(await Deno.readTextFile(new URL("manifest.json", DIR)));
  const listed = Object.keys(manifest.files).sort();
  const present = [...Deno.readDirSync(DIR)].map((e) => e.name)
    .filter((n) => n.endsWith(".safetensors")).sort();
  assert.deepEqual(present, listed);
  for (const [name, info] of Object.entries(manifest.files)) {
    const { bytes, sha256, tensors } = info as { bytes: number; sha256: string; tensors: number };
    const file = await Deno.readFile(new URL(name, DIR));
    assert.equal(file.length, bytes, `${name}: size`);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", file));
    assert.equal([...digest].map((b) => b.toString(16).padStart(2, "0")).join(""), sha256, name);
    assert.equal(parseSafetensors(file).size, tensors, `${name}: tensor count`);
  }
});

Deno.test("the reader rejects a header whose offsets leave a gap", async () => {
  const file = await Deno.readFile(new URL("float_mlp.safetensors", DIR));
  const headerLength = Number(new DataView(file.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + headerLength)));
  const first = Object.values(header).find((v) =>
    (v as { data_offsets?: number[] }).data_offsets?.[0] === 0
  ) as { data_offsets: number[] };
  first.data_offsets = [8, first.data_offsets[1] + 8];
  let text = JSON.stringify(header);
  text += " ".repeat((8 - text.length % 8) % 8);
  const encoded = new TextEncoder().encode(text);
  const data = file.subarray(8 + headerLength);
  // 8 spare bytes at the end keep the total size right, so only the gap is wrong
  const broken = new Uint8Array(8 + encoded.length + data.length + 8);
  new DataView(broken.buffer).setBigUint64(0, BigInt(encoded.length), true);
  broken.set(encoded, 8);
  broken.set(data, 8 + encoded.length);
  assert.throws(() => parseSafetensors(broken), /gap or overlap/);
});

Deno.test("inputs are pixel counts over 16 and calibration_x is the first 64 training images", async () => {
  const data = await load("data.safetensors");
  const testX = f32(data.get("test_x"));
  assert.deepEqual(data.get("test_x")!.shape, [360, 1, 8, 8]);
  assert.ok(testX.every((v) => Number.isInteger(v * 16) && v >= 0 && v <= 1));
  const pixels = data.get("train_pixels")!;
  assert.deepEqual(pixels.shape, [1437, 1, 8, 8]);
  const calibration = f32(data.get("calibration_x"));
  const expected = Float32Array.from(pixels.bytes.subarray(0, calibration.length), (p) => p / 16);
  assert.deepEqual(bits(calibration), bits(expected));
});

for (const name of ["static_cnn", "static_mlp", "qat_cnn"]) {
  Deno.test(`${name}: dequantize(out.codes) is out.logits, bit for bit`, async () => {
    const record = await load(`${name}_record.safetensors`);
    const codes = record.get("out.codes")!;
    assert.equal(codes.dtype, "U8");
    const q = new QuantizedTensor(codes.bytes.slice(), codes.shape, "quint8", {
      qscheme: "per_tensor_affine",
      scale: scalar(record.get("out.scale")),
      zeroPoint: scalar(record.get("out.zero_point")),
    });
    assert.deepEqual(bits(dequantize(q).data), bits(f32(record.get("out.logits"))));
    const final = name === "static_mlp" ? "fc3" : "fc";
    const trace = record.get(`trace.${final}`)!;
    assert.deepEqual(trace.bytes, codes.bytes.subarray(0, trace.bytes.length));
  });
}
