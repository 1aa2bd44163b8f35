/**
 * Keyed random streams for training: the validation hold-out, each
 * epoch's shuffle and each batch's dropout masks draw from a generator
 * keyed by (seed, purpose, epoch, batch), so a run resumed from any batch
 * replays exactly what an uninterrupted run would have drawn.
 *
 * @module
 */

import { KeyedRng } from "../core/mod.ts";

/** Purposes of training randomness, each its own stream. */
export type StreamPurpose = "holdout" | "shuffle" | "dropout";

const PURPOSE_CODE: Record<StreamPurpose, number> = {
  holdout: 1,
  shuffle: 2,
  dropout: 3,
};

/**
 * A uniform [0, 1) generator keyed by seed, purpose, epoch, batch and the
 * shard of the batch a data-parallel replica works on, built on the same
 * counter-based generator as the augmentation (`rng.ts`). Purposes use key
 * slots 100 + purpose + 10 × shard, so they never collide with the
 * augmentation's split ids, and shard 0 is the single-process stream.
 */
export function keyedUniform(
  seed: number,
  purpose: StreamPurpose,
  epoch = 0,
  batch = 0,
  shard = 0,
): () => number {
  const slot = 100 + PURPOSE_CODE[purpose] + 10 * shard;
  const rng = new KeyedRng().reseed(seed, slot, epoch, batch);
  return () => rng.nextDouble();
}

/** A permutation of 0..n-1 (Fisher–Yates) drawn from `uniform`. */
export function permutation(n: number, uniform: () => number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
