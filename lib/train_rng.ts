/**
 * Keyed random streams for training: the validation hold-out, each
 * epoch's shuffle and each batch's dropout masks draw from a generator
 * keyed by (seed, purpose, epoch, batch), so a run resumed from any batch
 * replays exactly what an uninterrupted run would have drawn.
 *
 * @module
 */

/** Mix 32-bit words into one 32-bit hash (murmur3 finaliser per word). */
function mix(words: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const word of words) {
    let k = Math.imul(word | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Purposes of training randomness, each its own stream. */
export type StreamPurpose = "holdout" | "shuffle" | "dropout";

const PURPOSE_CODE: Record<StreamPurpose, number> = {
  holdout: 1,
  shuffle: 2,
  dropout: 3,
};

/**
 * A uniform [0, 1) generator (mulberry32) keyed by seed, purpose and
 * counters.
 */
export function keyedUniform(
  seed: number,
  purpose: StreamPurpose,
  ...counters: number[]
): () => number {
  let state = mix([seed, PURPOSE_CODE[purpose], ...counters]);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
