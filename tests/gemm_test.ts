/**
 * GEMMs with an empty side (m, n or k ≤ 0) never reach OpenBLAS, which
 * rejects some of them as illegal and then leaves C unwritten; and the
 * kernels built on GEMM give the right (empty or zero) results for an
 * empty batch.
 *
 * @module
 */
import assert from "node:assert/strict";
import { tf } from "../lib/core/mod.ts";
import { initBackend } from "../lib/kernels/backend.ts";
import { guardEmpty, loadBlas, type Sgemm } from "../lib/kernels/blas.ts";
import { jsSgemm } from "../lib/kernels/gemm.ts";

await initBackend("auto");

/** C (2 × 3, leading dimension 4) after `sgemm` with the given sizes. */
function product(
  sgemm: Sgemm,
  m: number,
  n: number,
  k: number,
  beta: number,
): number[] {
  const c = new Float32Array(8).fill(7);
  const ones = new Float32Array(16).fill(1);
  sgemm(false, false, m, n, k, 1, ones, Math.max(k, 0), ones, 3, beta, c, 4);
  return Array.from(c);
}

const EMPTY_SHAPES: [string, number, number, number, number, number[]][] = [
  ["m = 0", 0, 3, 2, 0, [7, 7, 7, 7, 7, 7, 7, 7]],
  ["n = 0", 2, 0, 2, 0, [7, 7, 7, 7, 7, 7, 7, 7]],
  ["m < 0", -5, 3, 2, 0, [7, 7, 7, 7, 7, 7, 7, 7]],
  ["k = 0, β = 0", 2, 3, 0, 0, [0, 0, 0, 7, 0, 0, 0, 7]],
  ["k < 0, β = 0", 2, 3, -5, 0, [0, 0, 0, 7, 0, 0, 0, 7]],
  ["k = 0, β = 0.5", 2, 3, 0, 0.5, [3.5, 3.5, 3.5, 7, 3.5, 3.5, 3.5, 7]],
  ["k < 0, β = 1", 2, 3, -5, 1, [7, 7, 7, 7, 7, 7, 7, 7]],
];

Deno.test("guardEmpty does empty GEMMs itself and passes the rest on", () => {
  const calls: number[][] = [];
  const spy: Sgemm = (_tA, _tB, m, n, k) => calls.push([m, n, k]);
  for (const [name, m, n, k, beta, want] of EMPTY_SHAPES) {
    assert.deepEqual(product(guardEmpty(spy), m, n, k, beta), want, name);
    assert.deepEqual(product(jsSgemm, m, n, k, beta), want, `${name} (js)`);
  }
  assert.deepEqual(calls, []);
  product(guardEmpty(spy), 2, 3, 1, 0);
  assert.deepEqual(calls, [[2, 3, 1]]);
});

const blas = loadBlas();
Deno.test({
  name: "OpenBLAS sgemm gives BLAS results for empty GEMMs",
  ignore: blas === null,
  fn() {
    for (const [name, m, n, k, beta, want] of EMPTY_SHAPES) {
      assert.deepEqual(product(blas!.sgemm, m, n, k, beta), want, name);
    }
    assert.deepEqual(
      product(blas!.sgemm, 2, 3, 2, 0),
      [2, 2, 2, 7, 2, 2, 2, 7],
    );
  },
});

// 2 channels take the im2col form, 16 the shifted-GEMM ("taps") form,
// whose GEMMs get negative row counts for an empty batch.
for (const channels of [2, 16]) {
  Deno.test(`conv gradients of an empty batch are empty or zero (${channels} channels)`, () => {
    const filter = tf.randomUniform([3, 3, channels, 16], -1, 1, "float32", 1);
    const x = tf.zeros([0, 8, 8, channels]) as tf.Tensor4D;
    const loss = (x: tf.Tensor4D, w: tf.Tensor4D) =>
      tf.sum(tf.conv2d(x, w, 1, "valid"));
    const [dx, dw] = tf.grads(loss as (...t: tf.Tensor[]) => tf.Tensor)([
      x,
      filter,
    ]);
    assert.deepEqual(dx.shape, [0, 8, 8, channels]);
    assert.deepEqual(dw.shape, filter.shape);
    assert.ok(dw.dataSync().every((v) => v === 0), "filter gradient not 0");
    tf.dispose([filter, x, dx, dw]);
  });
}
