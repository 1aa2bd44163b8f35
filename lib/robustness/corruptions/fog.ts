/**
 * MNIST-C's `fog`: a diamond-square plasma fractal added to the image,
 * then the sum rescaled so the brightest ink keeps its value.
 *
 * @module
 */

import type { KeyedRng } from "../../core/mod.ts";
import {
  type Corruption,
  IMAGE_PIXELS,
  IMAGE_SIDE,
  type Severity,
} from "../corruption.ts";
import { toByte } from "./ndimage.ts";

/** MNIST-C's table: (fog strength c, wibble decay) per severity 1–5. */
export const FOG_PARAMS: readonly (readonly [number, number])[] = [
  [1.5, 2],
  [2, 2],
  [2.5, 1.7],
  [2.5, 1.5],
  [3, 1.4],
];

/** Side of MNIST-C's plasma map (`plasma_fractal(mapsize=256)`). */
export const PLASMA_MAP_SIDE = 256;
const MASK = PLASMA_MAP_SIDE - 1;

/**
 * Levels with step ≥ this are computed over the whole 256×256 torus
 * (4,096 points, spacing 4); the two finest levels only in a window round
 * the 28×28 crop. See {@link plasmaFractal}.
 */
export const PLASMA_FULL_MIN_STEP = 8;

const map = new Float64Array(PLASMA_MAP_SIDE * PLASMA_MAP_SIDE);
let lowest = 0;
let highest = 0;

/** First coordinate ≥ `from` congruent to `offset` modulo `step`. */
function firstAtOrAfter(from: number, offset: number, step: number): number {
  const m = (((offset - from) % step) + step) % step;
  return from + m;
}

// Two 16-bit uniforms per uint32 halve the generator calls; at the top
// level (±10⁴) a 16-bit step is 0.3, ~10⁻⁵ of the map's range.
// (Held in a typed array: a double in a module-level `let` is boxed on
// every store.)
const spare = new Float64Array(1);
let haveSpare = false;

/** Uniform in (−1, 1) with 16 bits of resolution. */
function signedUniform(rng: KeyedRng): number {
  if (haveSpare) {
    haveSpare = false;
    return spare[0];
  }
  const u = rng.nextUint32();
  spare[0] = ((u >>> 16) - 32767.5) / 32768;
  haveSpare = true;
  return ((u & 0xffff) - 32767.5) / 32768;
}

function note(v: number): void {
  if (v < lowest) lowest = v;
  if (v > highest) highest = v;
}

/** Mean of the four points at (±h, ±h) + noise, for the window's centres. */
function squares(
  step: number,
  from: number,
  to: number,
  amp: number,
  rng: KeyedRng,
): void {
  const h = step >> 1;
  const start = firstAtOrAfter(from, h, step);
  for (let r = start; r <= to; r += step) {
    const up = ((r - h) & MASK) * PLASMA_MAP_SIDE;
    const down = ((r + h) & MASK) * PLASMA_MAP_SIDE;
    const row = (r & MASK) * PLASMA_MAP_SIDE;
    for (let c = start; c <= to; c += step) {
      const left = (c - h) & MASK;
      const right = (c + h) & MASK;
      const v = (map[up + left] + map[up + right] + map[down + left] +
            map[down + right]) / 4 + amp * signedUniform(rng);
      map[row + (c & MASK)] = v;
      note(v);
    }
  }
}

/** Mean of the four points at (±h, 0), (0, ±h) + noise, for edge midpoints. */
function diamonds(
  step: number,
  from: number,
  to: number,
  amp: number,
  rng: KeyedRng,
): void {
  const h = step >> 1;
  // Midpoints of horizontal edges (r on the grid, c halfway), then of
  // vertical edges (r halfway, c on the grid).
  for (let pass = 0; pass < 2; pass++) {
    const r0 = firstAtOrAfter(from, pass === 0 ? 0 : h, step);
    const c0 = firstAtOrAfter(from, pass === 0 ? h : 0, step);
    for (let r = r0; r <= to; r += step) {
      const up = ((r - h) & MASK) * PLASMA_MAP_SIDE;
      const down = ((r + h) & MASK) * PLASMA_MAP_SIDE;
      const row = (r & MASK) * PLASMA_MAP_SIDE;
      for (let c = c0; c <= to; c += step) {
        const cc = c & MASK;
        const v = (map[up + cc] + map[down + cc] + map[row + ((c - h) & MASK)] +
              map[row + ((c + h) & MASK)]) / 4 +
          amp * signedUniform(rng);
        map[row + cc] = v;
        note(v);
      }
    }
  }
}

/**
 * The top-left 28×28 of MNIST-C's `plasma_fractal(256, wibbleDecay)` into
 * `out` (values in [0, 1] up to the caveat below): toroidal diamond-square
 * from a 0 corner, noise `wibble·U(−wibble, wibble)` with wibble starting
 * at 100 and divided by `wibbleDecay` per level, the whole map shifted and
 * scaled by its minimum and maximum.
 *
 * Departure, for speed: the levels of step < {@link PLASMA_FULL_MIN_STEP}
 * (three quarters of the map's 65,536 points) are computed only round the
 * crop, so the minimum and maximum are taken over the points computed
 * (the spacing-4 grid plus the crop's window). The finest levels' noise is
 * at most ±wibble² there (≈ ±180 and ±90 against a map range of ~10⁴ at
 * severity 5), so the rescaling is off by well under 1%.
 * `fullMinStep` exists for the test that measures that.
 */
export function plasmaFractal(
  rng: KeyedRng,
  wibbleDecay: number,
  out: Float64Array,
  fullMinStep = PLASMA_FULL_MIN_STEP,
): void {
  map[0] = 0;
  haveSpare = false;
  lowest = 0;
  highest = 0;
  let wibble = 100;
  for (let step = PLASMA_MAP_SIDE; step >= 2; step >>= 1) {
    const amp = wibble * wibble;
    if (step >= fullMinStep) {
      squares(step, 0, MASK, amp, rng);
      diamonds(step, 0, MASK, amp, rng);
    } else {
      // Diamonds of this level cover [−2s, 27 + 2s]; they read centres up
      // to s/2 further out, which in turn read the coarser grid another
      // s/2 out, inside the previous level's (twice as wide) window.
      const from = -2 * step;
      const to = IMAGE_SIDE - 1 + 2 * step;
      squares(step, from - step, to + step, amp, rng);
      diamonds(step, from, to, amp, rng);
    }
    wibble /= wibbleDecay;
  }
  const scale = 1 / (highest - lowest);
  for (let r = 0; r < IMAGE_SIDE; r++) {
    for (let c = 0; c < IMAGE_SIDE; c++) {
      out[r * IMAGE_SIDE + c] = (map[r * PLASMA_MAP_SIDE + c] - lowest) *
        scale;
    }
  }
}

const fogLayer = new Float64Array(IMAGE_PIXELS);

/** `fog` as in MNIST-C's `corruptions.py`. */
export const fogCorruption: Corruption = {
  name: "fog",
  group: "mnist-c",
  defaultSeverity: 5,
  reference:
    "MNIST-C corruptions.py fog: x + c*plasma_fractal(256, decay)[:28, :28], " +
    "times max/(max + c), clipped; diamond-square on the 256 torus as there, " +
    "finest two levels only round the crop (min/max over computed points)",
  apply(image: Uint8Array, severity: Severity, rng: KeyedRng, out: Uint8Array) {
    const [strength, decay] = FOG_PARAMS[severity - 1];
    plasmaFractal(rng, decay, fogLayer);
    let max = 0;
    for (let p = 0; p < IMAGE_PIXELS; p++) if (image[p] > max) max = image[p];
    const maxVal = max / 255;
    const gain = maxVal / (maxVal + strength);
    for (let p = 0; p < IMAGE_PIXELS; p++) {
      const v = (image[p] / 255 + strength * fogLayer[p]) * gain;
      out[p] = toByte(v * 255);
    }
  },
};
