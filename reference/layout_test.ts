import assert from "node:assert/strict";
import { codesToNhwc, imageToNhwc, toNchw, toNhwc } from "./layout.ts";

// Few and many channels, one and several images.
for (const shape of [[2, 3, 4, 5], [2, 7, 2, 3], [1, 1, 1, 1], [3, 4, 2, 2]]) {
  Deno.test(`toNhwc / toNchw of [${shape}]: element (n, c, y, x) moves to NHWC and back`, () => {
    const [n, c, h, w] = shape;
    const nchw = Float32Array.from({ length: n * c * h * w }, (_, i) => i);
    const nhwc = toNhwc(nchw, shape);
    for (let i = 0; i < n; i++) {
      for (let ch = 0; ch < c; ch++) {
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            assert.equal(
              nhwc[((i * h + y) * w + x) * c + ch],
              nchw[((i * c + ch) * h + y) * w + x],
            );
          }
        }
      }
    }
    assert.deepEqual(toNchw(nhwc, shape), nchw);
    // The input permutations, into reused scratch: the same values, in the scratch itself.
    const scratch = new Float32Array(nchw.length).fill(NaN);
    assert.equal(imageToNhwc(nchw, shape, scratch), scratch);
    assert.deepEqual(scratch, nhwc);
    const codes = Uint8Array.from(nchw, (v) => v % 251);
    assert.ok(toNhwc(codes, shape) instanceof Uint8Array);
    assert.deepEqual(toNchw(toNhwc(codes, shape), shape), codes);
    assert.deepEqual(codesToNhwc(codes, shape, new Uint8Array(codes.length)), toNhwc(codes, shape));
  });
}

Deno.test("imageToNhwc / codesToNhwc refuse scratch of another length, naming it", () => {
  const x = new Float32Array(24);
  assert.throws(
    () => imageToNhwc(x, [1, 2, 3, 4], new Float32Array(23)),
    /out: expected 24 elements, got 23/,
  );
  assert.throws(
    () => codesToNhwc(new Uint8Array(24), [1, 2, 3, 4], new Uint8Array(25)),
    /out: expected 24/,
  );
});
