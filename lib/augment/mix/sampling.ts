/**
 * Gamma, Beta and Dirichlet draws from a {@link KeyedRng}, for AugMix's
 * chain weights (Dirichlet) and its blend with the original (Beta).
 *
 * @module
 */

import type { KeyedRng } from "../../core/mod.ts";

/**
 * A Gamma(shape, 1) draw: Marsaglia & Tsang (2000) for shape ≥ 1, and
 * for shape < 1 the boost `Gamma(shape + 1)·U^(1/shape)`.
 *
 * ```ts
 * import { KeyedRng } from "../../core/mod.ts";
 * import { sampleGamma } from "./sampling.ts";
 * const g = sampleGamma(new KeyedRng().reseed(1, 0, 0, 0), 2); // g > 0
 * ```
 */
export function sampleGamma(rng: KeyedRng, shape: number): number {
  if (shape < 1) {
    const u = 1 - rng.nextDouble(); // (0, 1]
    return sampleGamma(rng, shape + 1) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.nextGaussian();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.nextDouble();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** A Beta(a, b) draw as `X / (X + Y)` with X ~ Gamma(a), Y ~ Gamma(b). */
export function sampleBeta(rng: KeyedRng, a: number, b: number): number {
  const x = sampleGamma(rng, a);
  const y = sampleGamma(rng, b);
  return x + y > 0 ? x / (x + y) : 0.5;
}

/**
 * Fill `out` with a symmetric Dirichlet(alpha) draw (non-negative, sums
 * to 1).
 */
export function sampleDirichlet(
  rng: KeyedRng,
  alpha: number,
  out: Float64Array,
): void {
  let sum = 0;
  for (let k = 0; k < out.length; k++) {
    out[k] = sampleGamma(rng, alpha);
    sum += out[k];
  }
  for (let k = 0; k < out.length; k++) {
    out[k] = sum > 0 ? out[k] / sum : 1 / out.length;
  }
}
