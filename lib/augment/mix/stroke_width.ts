/**
 * `stroke_width`: grey dilation (thicker pen) or erosion (thinner pen)
 * with a 3×3 cross, blended with the image. Writers' pens differ; MNIST-C's
 * canny edges leave one-pixel outlines, and thin strokes are the disjoint
 * family nearest to that (an edge detector or morphological gradient
 * would be canny edges itself, so it is not used).
 *
 * @module
 */

import type { MixOp } from "./op.ts";

/**
 * Grey dilation (`dilate`) or erosion with the 3×3 cross (the pixel and
 * its 4-neighbours, those inside the image), from `pixels` into `out`.
 *
 * ```ts
 * import { crossMorphology } from "./stroke_width.ts";
 * const out = new Float32Array(9);
 * crossMorphology(new Float32Array([0, 0, 0, 0, 9, 0, 0, 0, 0]), 3, 3, true, out);
 * // out is [0, 9, 0, 9, 9, 9, 0, 9, 0]
 * ```
 */
export function crossMorphology(
  pixels: Float32Array,
  rows: number,
  cols: number,
  dilate: boolean,
  out: Float32Array,
): void {
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const p = y * cols + x;
      let v = pixels[p];
      if (x > 0) v = pick(v, pixels[p - 1], dilate);
      if (x < cols - 1) v = pick(v, pixels[p + 1], dilate);
      if (y > 0) v = pick(v, pixels[p - cols], dilate);
      if (y < rows - 1) v = pick(v, pixels[p + cols], dilate);
      out[p] = v;
    }
  }
}

function pick(a: number, b: number, max: boolean): number {
  return max ? (b > a ? b : a) : (b < a ? b : a);
}

/**
 * Stroke width change; severity = how much of the dilated or eroded image
 * is blended in (1 = all). Dilation and erosion are equally likely.
 */
export const STROKE_WIDTH_OP: MixOp = {
  name: "stroke_width",
  severity: "blend amount of the dilated/eroded image",
  limits: [0, 1],
  apply(pixels, rows, cols, severity, rng, scratch) {
    const out = scratch.a;
    crossMorphology(pixels, rows, cols, rng.nextFloat() < 0.5, out);
    for (let p = 0; p < pixels.length; p++) {
      pixels[p] += severity * (out[p] - pixels[p]);
    }
  },
};
