import { tf } from "./lib/core/tf.ts";
import "@tensorflow/tfjs-backend-wasm";
import { registerTrainingKernels } from "./lib/kernels/mod.ts";
import { simdLoops } from "./lib/kernels/simd.ts";
await tf.setBackend("wasm");
registerTrainingKernels("wasm");
const shape = [16, 26, 26, 128], C = 128;
const x = tf.randomUniform(shape), dy = tf.randomUniform(shape), out = tf.zeros(shape);
const sc = tf.zeros([8 * C]);
const be = tf.backend() as unknown as { typedArrayFromHeap(t: unknown): Float32Array };
const L = simdLoops(tf.backend())!;
const off = (t: tf.Tensor) => be.typedArrayFromHeap(t).byteOffset;
const n = x.size * 4;
const time = (name: string, f: () => void) => {
  const ts: number[] = [];
  for (let i = 0; i < 60; i++) { const t = performance.now(); f(); ts.push(performance.now() - t); }
  ts.sort((p, q) => p - q);
  console.log(name.padEnd(12), ts[30].toFixed(3), "ms");
};
for (let rep = 0; rep < 2; rep++) {
time("moments", () => L.moments(off(x), off(sc), 4 * C, n));
time("affine", () => L.affine(off(x), off(out), off(sc), 4 * C, n));
time("batchNorm64", () => L.batchNorm(off(x), off(out), off(sc), 4 * C, n));
time("gradSums", () => L.batchNormGradSums(off(x), off(dy), off(sc), 4 * C, n));
time("gradApply", () => L.batchNormGradApply(off(x), off(dy), off(out), off(sc), 4 * C, n));
time("oldGrad", () => L.batchNormGrad(off(x), off(dy), off(out), off(sc), 4 * C, n));
time("sumRows", () => L.sumRows(off(x), off(sc), 4 * C, n));
time("squareGrad", () => L.squareGrad(off(x), off(dy), off(out), n));
}
