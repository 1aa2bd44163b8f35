import { tf } from "./lib/core/tf.ts";
import "@tensorflow/tfjs-backend-wasm";
import { registerTrainingKernels } from "./lib/kernels/mod.ts";
await tf.setBackend("wasm");
registerTrainingKernels("wasm");
const shape = [16, 26, 26, 128], C = 128;
const x = tf.randomUniform(shape), dy = tf.randomUniform(shape);
const g = tf.randomUniform([C]), b = tf.randomUniform([C]);
const time = (name: string, f: () => tf.Tensor | tf.Tensor[]) => {
  const ts: number[] = [];
  for (let i = 0; i < 40; i++) {
    const t = performance.now();
    tf.dispose(f());
    ts.push(performance.now() - t);
  }
  ts.sort((p, q) => p - q);
  console.log(name, ts[20].toFixed(3), "ms");
};
const run = (k: string, i: tf.NamedTensorMap, a = {}) => tf.engine().runKernel(k, i, a) as tf.Tensor[];
time("train fwd", () => run("FastBatchNormTrain", { x, scale: g, offset: b }, { varianceEpsilon: 1e-3 }));
const [, mean, variance] = run("FastBatchNormTrain", { x, scale: g, offset: b }, { varianceEpsilon: 1e-3 });
const z = tf.zeros([C]);
time("train bwd", () => run("FastBatchNormTrainGrad", { x, dy, mean, variance, scale: g, dMean: z, dVariance: z }, { varianceEpsilon: 1e-3 }));
time("old FastFusedBatchNormGrad", () => run("FastFusedBatchNormGrad", { x, dy, mean, variance, scale: g }, { varianceEpsilon: 1e-3 }));
time("FusedBatchNorm", () => tf.batchNorm(x, mean, variance, b, g, 1e-3));
time("Mean", () => tf.mean(x, [0, 1, 2]));
time("Relu", () => tf.relu(x));
time("copy", () => tf.add(x, dy));
