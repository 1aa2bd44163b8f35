/**
 * Throughput measurements of the training step and of inference, on
 * random data of the right shape (what is timed is arithmetic, not
 * content). Reported as medians over repeats, after warm-up steps.
 *
 * @module
 */

import { tf } from "../lib/core/mod.ts";
import {
  DataParallel,
  keyedUniform,
  type ModelName,
  RECIPES,
  Replica,
} from "../lib/train/mod.ts";
import type { FloatBatch } from "../lib/data/mod.ts";
import type { BackendName } from "../lib/kernels/mod.ts";
import { median } from "./stats.ts";

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
  /** Data-parallel replicas (default: the recipe's). */
  replicas?: number;
}

/** Throughput of one model on the active backend. */
export interface Throughput {
  /** Which model. */
  model: ModelName;
  /** Training batch size used. */
  batchSize: number;
  /** Data-parallel replicas used. */
  replicas: number;
  /** Median training images per second. */
  trainImagesPerSecond: number;
  /** Median inference images per second at batch 1,000. */
  inferImagesPerSecond: number;
  /** All training repeats, images per second. */
  trainRuns: number[];
  /** All inference repeats, images per second. */
  inferRuns: number[];
}

/** `n` random images and one-hot labels (content is irrelevant to speed). */
function randomBatch(n: number): FloatBatch {
  const uniform = keyedUniform(7, "shuffle", n);
  const pixels = Float32Array.from({ length: n * 784 }, uniform);
  const oneHot = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) oneHot[i * 10 + (i % 10)] = 1;
  return { pixels, oneHot, n };
}

/**
 * Measure training and inference throughput of `model` on the active
 * backend the way the pipeline trains it: the recipe's optimizer, batch
 * size and replica count (data-parallel Workers for the CNN).
 *
 * @example
 * ```ts
 * await initBackend("wasm");
 * const t = await measureThroughput("dense", { repeats: 3 });
 * console.log(t.trainImagesPerSecond);
 * ```
 */
export async function measureThroughput(
  name: ModelName,
  options: ThroughputOptions = {},
): Promise<Throughput> {
  const recipe = { ...RECIPES[name], seed: 1 };
  const batchSize = options.batchSize ?? recipe.batchSize;
  const replicas = options.replicas ?? recipe.replicas;
  const repeats = options.repeats ?? 5;
  const replica = new Replica(recipe);
  const parallel = replicas > 1
    ? await DataParallel.start(
      replica,
      replicas,
      tf.getBackend() as BackendName,
      recipe,
      recipe.learningRate,
    )
    : undefined;
  try {
    const batch = randomBatch(batchSize);
    const xs = tf.tensor4d(batch.pixels, [batchSize, 28, 28, 1]);
    const ys = tf.tensor2d(batch.oneHot, [batchSize, 10]);
    const stream = () => 0.5;
    const step = async () => {
      if (parallel) await parallel.step(batch, 28, 28, 0, 0);
      else replica.step(xs, ys, stream);
    };

    for (let i = 0; i < (options.warmup ?? 3); i++) await step();
    let steps = options.steps;
    if (steps === undefined) {
      const t0 = performance.now();
      await step();
      steps = Math.max(
        3,
        Math.round(1000 / Math.max(performance.now() - t0, 1)),
      );
    }
    const trainRuns: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) await step();
      trainRuns.push((steps * batchSize) / ((performance.now() - t0) / 1000));
    }
    tf.dispose([xs, ys]);

    const images = randomBatch(1000).pixels;
    const infer = async () => {
      if (parallel) {
        await parallel.predict(images, 1000, 28, 28);
        return;
      }
      const out = tf.tidy(() =>
        replica.model.predict(tf.tensor4d(images, [1000, 28, 28, 1]), {
          batchSize: 1000,
        }) as tf.Tensor
      );
      out.dataSync();
      out.dispose();
    };
    await infer();
    const inferRuns: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      await infer();
      inferRuns.push(1000 / ((performance.now() - t0) / 1000));
    }
    return {
      model: name,
      batchSize,
      replicas,
      trainImagesPerSecond: median(trainRuns),
      inferImagesPerSecond: median(inferRuns),
      trainRuns,
      inferRuns,
    };
  } finally {
    parallel?.close();
    replica.dispose();
  }
}
