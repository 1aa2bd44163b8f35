/**
 * `illumination`: an additive, smooth, low-frequency light field — a
 * plane (uneven lighting across the page) plus one broad Gaussian spot
 * (a highlight or shadow). It trains "the background need not be black",
 * which MNIST-C's fog and brightness test.
 *
 * It is deliberately not fog: MNIST-C's fog is a plasma fractal
 * (diamond-square, many octaves, detail at every scale), added and then
 * renormalised by the image maximum. This field has two components of
 * fixed, low order (a plane and one blob wider than a fifth of the
 * image), no octaves, and no renormalisation.
 *
 * @module
 */

import type { MixOp } from "./op.ts";

/** The field's parameters, pixel values on the 0–255 scale. */
export interface IlluminationField {
  /** Constant added everywhere. */
  offset: number;
  /** Change from the left edge to the right edge. */
  gradientX: number;
  /** Change from the top edge to the bottom edge. */
  gradientY: number;
  /** The spot's peak value (negative: a shadow). */
  spot: number;
  /** The spot's centre column, in pixels. */
  spotX: number;
  /** The spot's centre row, in pixels. */
  spotY: number;
  /** The spot's standard deviation, in pixels (> 0). */
  spotWidth: number;
}

/**
 * Add `offset + gradientX·(x/(cols−1) − ½) + gradientY·(y/(rows−1) − ½)
 * + spot·exp(−r²/(2·spotWidth²))` to every pixel.
 *
 * ```ts
 * import { addIllumination } from "./illumination.ts";
 * const px = new Float32Array(3);
 * addIllumination(px, 1, 3, {
 *   offset: 10, gradientX: 20, gradientY: 0,
 *   spot: 0, spotX: 0, spotY: 0, spotWidth: 1,
 * }); // px is [0, 10, 20]
 * ```
 */
export function addIllumination(
  pixels: Float32Array,
  rows: number,
  cols: number,
  field: IlluminationField,
): void {
  const inv2w2 = 1 / (2 * field.spotWidth * field.spotWidth);
  const sx = cols > 1 ? 1 / (cols - 1) : 0;
  const sy = rows > 1 ? 1 / (rows - 1) : 0;
  for (let y = 0; y < rows; y++) {
    const ry = y - field.spotY;
    const rowLight = field.offset + field.gradientY * (y * sy - 0.5);
    for (let x = 0; x < cols; x++) {
      const rx = x - field.spotX;
      pixels[y * cols + x] += rowLight + field.gradientX * (x * sx - 0.5) +
        field.spot * Math.exp(-(rx * rx + ry * ry) * inv2w2);
    }
  }
}

const field: IlluminationField = {
  offset: 0,
  gradientX: 0,
  gradientY: 0,
  spot: 0,
  spotX: 0,
  spotY: 0,
  spotWidth: 1,
};

/**
 * Random illumination; severity `s` scales everything by `255·s`: offset
 * in [0, ½], a gradient of magnitude in [0, 1] in a random direction, a
 * spot of peak in [−½, 1] with width ⅕–½ of the image side.
 */
export const ILLUMINATION_OP: MixOp = {
  name: "illumination",
  severity: "field amplitude as a fraction of 255",
  limits: [0, 1.5],
  apply(pixels, rows, cols, severity, rng) {
    const amp = 255 * severity;
    const angle = 2 * Math.PI * rng.nextDouble();
    const grad = amp * rng.nextDouble();
    const side = Math.max(rows, cols);
    field.offset = amp * rng.uniform(0, 0.5);
    field.gradientX = grad * Math.cos(angle);
    field.gradientY = grad * Math.sin(angle);
    field.spot = amp * rng.uniform(-0.5, 1);
    field.spotX = rng.uniform(0, cols);
    field.spotY = rng.uniform(0, rows);
    field.spotWidth = side * rng.uniform(0.2, 0.5);
    addIllumination(pixels, rows, cols, field);
  },
};
