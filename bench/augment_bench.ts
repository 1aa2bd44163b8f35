/**
 * Throughput of the augment stage on the real MNIST test split (10,000
 * images), seed preset: transform alone with 1 thread and 2 workers, gzip
 * alone, and transform + gzip. Run with `deno bench -P bench/augment_bench.ts`
 * (MNIST from `MNIST_SOURCE` or `data/mnist`); images/s = 10,000 / time.
 *
 * @module
 */

import { AugmentPool, augmentSplit, PRESETS } from "../lib/augment/mod.ts";
import { loadMnist, type MnistSplit, serializeIdx } from "../lib/data/mod.ts";
import { MNIST_DIR } from "../tests/helpers.ts";

const ignore = MNIST_DIR === undefined;
const test: MnistSplit | undefined = ignore
  ? undefined
  : await loadMnist(MNIST_DIR!, "test");
const options = { ignore, n: 5, warmup: 2 };

function gzipIdx(split: MnistSplit): Promise<Uint8Array> {
  const shape = [split.count, split.rows, split.cols];
  return serializeIdx({ dtype: "uint8", shape, data: split.images }, true);
}

Deno.bench({
  ...options,
  name: "transform 10k images, seed preset, 1 thread",
  group: "transform",
  baseline: true,
  fn() {
    augmentSplit(test!, "test", PRESETS.seed, 42);
  },
});

Deno.bench({
  ...options,
  name: "transform 10k images, seed preset, 2 workers",
  group: "transform",
  async fn(context) {
    const pool = new AugmentPool(2);
    try {
      await pool.augmentSplit(test!, "test", PRESETS.seed, 42); // start-up
      context.start();
      await pool.augmentSplit(test!, "test", PRESETS.seed, 42);
      context.end();
    } finally {
      pool.close();
    }
  },
});

const noisy = ignore
  ? undefined
  : augmentSplit(test!, "test", PRESETS.seed, 42);

Deno.bench({
  ...options,
  name: "gzip 10k noisy images into IDX",
  group: "gzip",
  async fn() {
    await gzipIdx(noisy!);
  },
});

Deno.bench({
  ...options,
  name: "transform + gzip 10k images, 1 thread",
  group: "end to end",
  async fn() {
    await gzipIdx(augmentSplit(test!, "test", PRESETS.seed, 42));
  },
});
