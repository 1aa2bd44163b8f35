/**
 * MNIST-C's `canny_edges`: the image replaced by its Canny edge map, as
 * scikit-image 0.15's `feature.canny(x)` computes it with its defaults.
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
import { gaussian2d, gaussianHalfKernel } from "./ndimage.ts";

/** `feature.canny` defaults for a float image: σ and the two thresholds. */
export const CANNY_SIGMA = 1;
export const CANNY_LOW = 0.1;
export const CANNY_HIGH = 0.2;

const N = IMAGE_SIDE;
const kernel = gaussianHalfKernel(CANNY_SIGMA);
const input = new Float64Array(IMAGE_PIXELS);
const smoothed = new Float64Array(IMAGE_PIXELS);
const gi = new Float64Array(IMAGE_PIXELS); // d/d row (scipy sobel axis 0)
const gj = new Float64Array(IMAGE_PIXELS); // d/d column (axis 1)
const mag = new Float64Array(IMAGE_PIXELS);
const d0 = new Float64Array(IMAGE_PIXELS); // central differences, axis 0
const d1 = new Float64Array(IMAGE_PIXELS); // central differences, axis 1

/** `gaussian(ones, σ, mode="constant") + eps`: the smoothing's bleed-over. */
const bleedOver = new Float64Array(IMAGE_PIXELS);
{
  const ones = new Float64Array(IMAGE_PIXELS).fill(1);
  gaussian2d(ones, bleedOver, kernel, "constant");
  for (let p = 0; p < IMAGE_PIXELS; p++) bleedOver[p] += Number.EPSILON;
}
// 0: not an edge candidate, 1: local maximum ≥ low, 2: ≥ high.
const level = new Uint8Array(IMAGE_PIXELS);
const stack = new Int32Array(IMAGE_PIXELS);

/**
 * Canny edges of a 28×28 uint8 image into `out` (255 on edges, else 0),
 * following scikit-image 0.15 `feature.canny(image / 255)`:
 *
 * 1. Gaussian smoothing, σ = 1, truncate 4, zero borders, divided by the
 *    same smoothing of an all-ones image plus machine epsilon (its masked
 *    smoothing when there is no mask);
 * 2. `scipy.ndimage.sobel` along both axes (`reflect` borders: the
 *    difference along the axis, then [1, 2, 1] across it) and the
 *    gradient norm;
 * 3. non-maximum suppression on the interior pixels with non-zero
 *    gradient, in scikit-image's four direction bins (later bins win ties,
 *    as there), comparing with the two neighbours interpolated along the
 *    gradient;
 * 4. hysteresis: local maxima ≥ 0.1 kept when their 8-connected component
 *    holds one ≥ 0.2.
 */
export function cannyEdges(image: Uint8Array, out: Uint8Array): void {
  for (let p = 0; p < IMAGE_PIXELS; p++) input[p] = image[p] / 255;
  gaussian2d(input, smoothed, kernel, "constant");
  for (let p = 0; p < IMAGE_PIXELS; p++) smoothed[p] /= bleedOver[p];
  sobel();
  level.fill(0);
  let top = 0;
  for (let r = 1; r < N - 1; r++) {
    for (let c = 1; c < N - 1; c++) {
      const p = r * N + c;
      const m = mag[p];
      if (!(m > 0) || m < CANNY_LOW || !isLocalMax(p, m)) continue;
      if (m >= CANNY_HIGH) {
        level[p] = 2;
        stack[top++] = p;
      } else {
        level[p] = 1;
      }
    }
  }
  // Grow from the strong pixels through weak ones (8-connected); a reached
  // weak pixel becomes 2 so it is pushed once.
  while (top > 0) {
    const p = stack[--top];
    const r = (p / N) | 0;
    const c = p - r * N;
    for (let dr = -1; dr <= 1; dr++) {
      const rr = r + dr;
      if (rr < 0 || rr >= N) continue;
      for (let dc = -1; dc <= 1; dc++) {
        const cc = c + dc;
        if (cc < 0 || cc >= N) continue;
        const q = rr * N + cc;
        if (level[q] === 1) {
          level[q] = 2;
          stack[top++] = q;
        }
      }
    }
  }
  for (let p = 0; p < IMAGE_PIXELS; p++) out[p] = level[p] === 2 ? 255 : 0;
}

/**
 * `scipy.ndimage.sobel` along axis 0 (into `gi`) and axis 1 (into `gj`)
 * with `reflect` borders (index −1 reads 0, 28 reads 27), in scipy's
 * order: the difference along the axis, then `2·d + (d₋ + d₊)` across it.
 */
function sobel(): void {
  const s = smoothed;
  for (let r = 0; r < N; r++) {
    const up = (r === 0 ? 0 : r - 1) * N;
    const mid = r * N;
    const down = (r === N - 1 ? r : r + 1) * N;
    for (let c = 0; c < N; c++) {
      const left = c === 0 ? 0 : c - 1;
      const right = c === N - 1 ? c : c + 1;
      d0[mid + c] = s[down + c] - s[up + c];
      d1[mid + c] = s[mid + right] - s[mid + left];
    }
  }
  for (let r = 0; r < N; r++) {
    const up = (r === 0 ? 0 : r - 1) * N;
    const mid = r * N;
    const down = (r === N - 1 ? r : r + 1) * N;
    for (let c = 0; c < N; c++) {
      const left = c === 0 ? 0 : c - 1;
      const right = c === N - 1 ? c : c + 1;
      const di = d0[mid + c] * 2 + (d0[mid + left] + d0[mid + right]);
      const dj = d1[mid + c] * 2 + (d1[up + c] + d1[down + c]);
      gi[mid + c] = di;
      gj[mid + c] = dj;
      mag[mid + c] = Math.hypot(di, dj);
    }
  }
}

/**
 * scikit-image's non-maximum test for interior pixel `p` with gradient
 * norm `m`. Its four bins overlap on their boundaries and each later bin
 * overwrites the earlier ones, so they are tried here from the last.
 */
function isLocalMax(p: number, m: number): boolean {
  const i = gi[p];
  const j = gj[p];
  const ai = Math.abs(i);
  const aj = Math.abs(j);
  const opposite = (i <= 0 && j >= 0) || (i >= 0 && j <= 0);
  const same = (i >= 0 && j >= 0) || (i <= 0 && j <= 0);
  if (opposite && ai >= aj) {
    // 135–180°: mix the row above/below with the anti-diagonal.
    const w = aj / ai;
    return mag[p - N + 1] * w + mag[p - N] * (1 - w) <= m &&
      mag[p + N - 1] * w + mag[p + N] * (1 - w) <= m;
  }
  if (opposite) {
    // 90–135°: mix left/right with the anti-diagonal.
    const w = ai / aj;
    return mag[p - N + 1] * w + mag[p + 1] * (1 - w) <= m &&
      mag[p + N - 1] * w + mag[p - 1] * (1 - w) <= m;
  }
  if (same && ai <= aj) {
    // 45–90°: mix left/right with the diagonal.
    const w = ai / aj;
    return mag[p + N + 1] * w + mag[p + 1] * (1 - w) <= m &&
      mag[p - N - 1] * w + mag[p - 1] * (1 - w) <= m;
  }
  // 0–45°: mix the row below/above with the diagonal.
  const w = aj / ai;
  return mag[p + N + 1] * w + mag[p + N] * (1 - w) <= m &&
    mag[p - N - 1] * w + mag[p - N] * (1 - w) <= m;
}

/**
 * `canny_edges` as in MNIST-C's `corruptions.py` (`feature.canny(x)·255`).
 * MNIST-C has one setting, so every severity gives the same image.
 */
export const cannyEdgesCorruption: Corruption = {
  name: "canny_edges",
  group: "mnist-c",
  defaultSeverity: 1,
  reference:
    "MNIST-C corruptions.py canny_edges: scikit-image 0.15 feature.canny " +
    "defaults (sigma 1, thresholds 0.1/0.2 on x/255): renormalised Gaussian, " +
    "Sobel, 4-bin interpolated non-maximum suppression, 8-connected " +
    "hysteresis; one setting, severity ignored",
  apply(
    image: Uint8Array,
    _severity: Severity,
    _rng: KeyedRng,
    out: Uint8Array,
  ) {
    cannyEdges(image, out);
  },
};
