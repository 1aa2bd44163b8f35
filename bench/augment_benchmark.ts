/**
 * A small, reusable throughput benchmark of the augment transform, for
 * `deno bench` files and a `deno task bench` script alike.
 *
 * @module
 */

import {
  type AugmentConfig,
  AugmentPool,
  defaultWorkerCount,
  PRESETS,
} from "../lib/augment/mod.ts";
import { type MnistSplit, serializeIdx, type Split } from "../lib/data/mod.ts";
import { median } from "./stats.ts";

/** Options of {@link benchmarkAugment}. */
export interface BenchmarkAugmentOptions {
  /** The images to transform each run (e.g. the MNIST training split). */
  split: MnistSplit;
  /** Which split they are (keys the generator; default `train`). */
  splitName?: Split;
  /** The transform (default: the `seed` preset). */
  config?: AugmentConfig;
  /** Seed (default 42). */
  seed?: number;
  /** Threads (default: logical cores). */
  workers?: number;
  /** Timed runs; the median is reported (default 5). */
  runs?: number;
  /** Also gzip the result into IDX bytes in each timed run. */
  gzip?: boolean;
}

/** What {@link benchmarkAugment} measured. */
export interface BenchmarkAugmentResult {
  /** Images per second of the median run. */
  imagesPerSecond: number;
  /** Seconds of the median run. */
  medianSeconds: number;
  /** Seconds of every timed run, in order. */
  seconds: number[];
  /** Threads used. */
  workers: number;
}

/**
 * Time the transform of `split` over several runs (after one untimed
 * warm-up that also starts the workers) and report the median.
 *
 * ```ts
 * const train = await loadMnist("data/mnist", "train");
 * const { imagesPerSecond } = await benchmarkAugment({ split: train });
 * ```
 */
export async function benchmarkAugment(
  options: BenchmarkAugmentOptions,
): Promise<BenchmarkAugmentResult> {
  const { split } = options;
  const config = options.config ?? PRESETS.seed;
  const seed = options.seed ?? 42;
  const runs = Math.max(1, options.runs ?? 5);
  const pool = new AugmentPool(options.workers ?? defaultWorkerCount());
  const once = async () => {
    const out = await pool.augmentSplit(
      split,
      options.splitName ?? "train",
      config,
      seed,
    );
    if (options.gzip) {
      const shape = [out.count, out.rows, out.cols];
      await serializeIdx({ dtype: "uint8", shape, data: out.images }, true);
    }
  };
  try {
    await once();
    const seconds: number[] = [];
    for (let r = 0; r < runs; r++) {
      const start = performance.now();
      await once();
      seconds.push((performance.now() - start) / 1000);
    }
    const medianSeconds = median(seconds);
    return {
      imagesPerSecond: split.count / medianSeconds,
      medianSeconds,
      seconds,
      workers: pool.workers,
    };
  } finally {
    pool.close();
  }
}
