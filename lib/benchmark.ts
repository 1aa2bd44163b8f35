/**
 * Throughput measurements of the training step and of inference, on
 * random data of the right shape (what is timed is arithmetic, not
 * content). Reported as medians over repeats, after warm-up steps.
 *
 * @module
 */

import { tf } from "./tf.ts";
import { buildModel, type ModelName } from "./models.ts";
import { RECIPES } from "./recipes.ts";
import { makeOptimizer, trainStep } from "./replica.ts";

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Options of the throughput measurements. */
export interface ThroughputOptions {
  /** Timed repeats; the median is reported (default 5). */
  repeats?: number;
  /** Training steps per repeat (default: enough for ~1 s on this model). */
  steps?: number;
  /** Untimed steps first (default 3). */
  warmup?: number;
  /** Images per step (default: the recipe's batch size). */
  batchSize?: number;
}

/** Throughput of one model on the active backend. */
export interface Throughput {
  /** Which model. */
  model: ModelName;
  /** Training batch size used. */
  batchSize: number;
  /** Median training images per second. */
  trainImagesPerSecond: number;
  /** Median inference images per second at batch 1,000. */
  inferImagesPerSecond: number;
  /** All training repeats, images per second. */
  trainRuns: number[];
  /** All inference repeats, images per second. */
  inferRuns: number[];
}

function randomBatch(n: number): { xs: tf.Tensor4D; ys: tf.Tensor2D } {
  return tf.tidy(() => ({
    xs: tf.randomUniform([n, 28, 28, 1], 0, 1, "float32", 1) as tf.Tensor4D,
    ys: tf.oneHot(tf.randomUniform([n], 0, 10, "int32", 2), 10)
      .toFloat() as tf.Tensor2D,
  }));
}

/**
 * Measure training and inference throughput of `model` on the active
 * backend with its recipe's optimizer and batch size.
 *
 * @example
 * ```ts
 * await initBackend("wasm");
 * const t = measureThroughput("dense", { repeats: 3 });
 * console.log(t.trainImagesPerSecond);
 * ```
 */
export function measureThroughput(
  name: ModelName,
  options: ThroughputOptions = {},
): Throughput {
  const recipe = RECIPES[name];
  const batchSize = options.batchSize ?? recipe.batchSize;
  const repeats = options.repeats ?? 5;
  const model = buildModel(name, 1);
  const optimizer = makeOptimizer(recipe);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { xs, ys } = randomBatch(batchSize);
  const step = () => trainStep(model, optimizer, variables, xs, ys);

  for (let i = 0; i < (options.warmup ?? 3); i++) step();
  let steps = options.steps;
  if (steps === undefined) {
    const t0 = performance.now();
    step();
    steps = Math.max(3, Math.round(1000 / Math.max(performance.now() - t0, 1)));
  }
  const trainRuns: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    trainRuns.push((steps * batchSize) / ((performance.now() - t0) / 1000));
  }
  xs.dispose();
  ys.dispose();

  const input = tf.randomUniform([1000, 28, 28, 1], 0, 1, "float32", 3);
  const infer = () => {
    const out = model.predict(input, { batchSize: 1000 }) as tf.Tensor;
    out.dataSync();
    out.dispose();
  };
  infer();
  const inferRuns: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    infer();
    inferRuns.push(1000 / ((performance.now() - t0) / 1000));
  }
  input.dispose();
  optimizer.dispose();
  model.dispose();
  return {
    model: name,
    batchSize,
    trainImagesPerSecond: median(trainRuns),
    inferImagesPerSecond: median(inferRuns),
    trainRuns,
    inferRuns,
  };
}
