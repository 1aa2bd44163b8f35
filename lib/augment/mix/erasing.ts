/**
 * `erasing`: Zhong et al. (2020)'s random erasing — a rectangle replaced
 * by a flat grey or by uniform noise. Occlusion is the disjoint family
 * closest to MNIST-C's stripe, dotted line and zigzag (foreign marks over
 * or next to the digit) without drawing lines. The area stays small so
 * the digit remains readable (its label stays true).
 *
 * @module
 */

import type { MixOp } from "./op.ts";

/**
 * Set the `w × h` rectangle at (`x0`, `y0`) to `value` (clipped to the
 * image).
 *
 * ```ts
 * import { fillRect } from "./erasing.ts";
 * const px = new Float32Array(9);
 * fillRect(px, 3, 3, 1, 1, 2, 2, 7); // px is [0,0,0, 0,7,7, 0,7,7]
 * ```
 */
export function fillRect(
  pixels: Float32Array,
  rows: number,
  cols: number,
  x0: number,
  y0: number,
  w: number,
  h: number,
  value: number,
): void {
  const x1 = Math.min(cols, x0 + w);
  const y1 = Math.min(rows, y0 + h);
  for (let y = Math.max(0, y0); y < y1; y++) {
    for (let x = Math.max(0, x0); x < x1; x++) pixels[y * cols + x] = value;
  }
}

/**
 * Random erasing; severity = the rectangle's area as a fraction of the
 * image. Aspect ratio log-uniform in [1/3, 3]; half the time the fill is
 * one random grey, otherwise uniform noise per pixel.
 */
export const ERASING_OP: MixOp = {
  name: "erasing",
  severity: "rectangle area as a fraction of the image",
  limits: [0, 0.5],
  apply(pixels, rows, cols, severity, rng) {
    const area = severity * rows * cols;
    const aspect = Math.exp(rng.uniform(-Math.log(3), Math.log(3)));
    const w = Math.max(1, Math.min(cols, Math.round(Math.sqrt(area * aspect))));
    const h = Math.max(1, Math.min(rows, Math.round(Math.sqrt(area / aspect))));
    const x0 = Math.floor(rng.nextDouble() * (cols - w + 1));
    const y0 = Math.floor(rng.nextDouble() * (rows - h + 1));
    if (rng.nextFloat() < 0.5) {
      fillRect(pixels, rows, cols, x0, y0, w, h, 255 * rng.nextFloat());
      return;
    }
    for (let y = y0; y < y0 + h; y++) {
      for (let x = x0; x < x0 + w; x++) {
        pixels[y * cols + x] = 255 * rng.nextFloat();
      }
    }
  },
};
