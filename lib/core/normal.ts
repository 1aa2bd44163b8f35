/**
 * Fast standard normal draws from a {@link KeyedRng}: the ziggurat method
 * of Marsaglia & Tsang (2000, "The Ziggurat Method for Generating Random
 * Variables", 128 layers). Most draws cost one uint32 and a table lookup,
 * against a logarithm, a square root and a sine or cosine for Box–Muller.
 * The layer comes from the low 7 bits and the signed position from the
 * other 25, so the two never share bits.
 *
 * @module
 */

import type { KeyedRng } from "./rng.ts";

const LAYERS = 128;
/** Right edge of the base layer. */
const R = 3.442619855899;
/** Area of each layer (and of the base layer with its tail). */
const AREA = 9.91256303526217e-3;
/** Scale of the signed 25-bit position: |j| < 2^24. */
const SCALE = 16777216;

// kn[i]: a position |j| below this lies wholly inside layer i (accept at
// once); wn[i]: position to x; fn[i]: the density exp(−x²/2) at x_i.
const kn = new Float64Array(LAYERS);
const wn = new Float64Array(LAYERS);
const fn = new Float64Array(LAYERS);
{
  let x = R;
  let previous = R;
  const q = AREA / Math.exp(-0.5 * x * x);
  kn[0] = (x / q) * SCALE;
  kn[1] = 0;
  wn[0] = q / SCALE;
  wn[LAYERS - 1] = x / SCALE;
  fn[0] = 1;
  fn[LAYERS - 1] = Math.exp(-0.5 * x * x);
  for (let i = LAYERS - 2; i >= 1; i--) {
    x = Math.sqrt(-2 * Math.log(AREA / x + Math.exp(-0.5 * x * x)));
    kn[i + 1] = (x / previous) * SCALE;
    previous = x;
    fn[i] = Math.exp(-0.5 * x * x);
    wn[i] = x / SCALE;
  }
}

/** One standard normal draw (mean 0, variance 1) from `rng`. */
export function normal(rng: KeyedRng): number {
  for (;;) {
    const u = rng.nextUint32();
    const i = u & (LAYERS - 1);
    const j = (u | 0) >> 7;
    const x = j * wn[i];
    if (Math.abs(j) < kn[i]) return x;
    if (i === 0) {
      // The tail beyond R (Marsaglia's exponential method).
      let t: number;
      let y: number;
      do {
        t = -Math.log(1 - rng.nextFloat()) / R;
        y = -Math.log(1 - rng.nextFloat());
      } while (y + y < t * t);
      return j > 0 ? R + t : -R - t;
    }
    // The wedge between the layer's rectangle and the curve.
    if (
      fn[i] + rng.nextFloat() * (fn[i - 1] - fn[i]) < Math.exp(-0.5 * x * x)
    ) {
      return x;
    }
  }
}
