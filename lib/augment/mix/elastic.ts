/**
 * `elastic`: Simard, Steinkraus & Platt (2003)'s elastic distortion — a
 * smooth random displacement field, then bilinear resampling. It wobbles
 * strokes locally, which none of MNIST-C's global affine maps (shear,
 * scale, rotate, translate) nor its glass blur (pixel shuffles) or zigzag
 * does, and it is the classic MNIST augmentation.
 *
 * Simard smooths a per-pixel uniform field with a Gaussian of σ = 4 px
 * and scales it by α ≈ 34, which leaves a field of about 1.4 px standard
 * deviation varying over ~8 px. A per-pixel blur of two fields costs ~25
 * taps per pixel; instead the field is drawn on a coarse grid of control
 * points every {@link ELASTIC_SPACING} px and interpolated with smoothstep
 * weights — the same smoothness at a tenth of the cost.
 *
 * @module
 */

import type { MixOp } from "./op.ts";

/** Pixels between control points of the displacement field. */
export const ELASTIC_SPACING = 7;

/** Control points per side for an image side of `n` pixels. */
export function elasticGridSide(n: number): number {
  return Math.ceil((n - 1) / ELASTIC_SPACING) + 1;
}

function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}

/**
 * Warp `pixels` into `out` by the field interpolated from `grid`: entry
 * `2·(gy·side + gx)` is the control point's x displacement and the next
 * one its y displacement, in pixels; `side = elasticGridSide(max(rows,
 * cols))`. Output pixel (x, y) samples the input at (x + dx, y + dy),
 * bilinearly, black outside the image.
 *
 * ```ts
 * import { elasticGridSide, elasticWarp } from "./elastic.ts";
 * const side = elasticGridSide(3);
 * const grid = new Float32Array(2 * side * side);
 * for (let k = 0; k < grid.length; k += 2) grid[k] = 1; // dx = 1 everywhere
 * const out = new Float32Array(9);
 * elasticWarp(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), 3, 3, grid, out);
 * // out is [2, 3, 0, 5, 6, 0, 8, 9, 0]
 * ```
 */
export function elasticWarp(
  pixels: Float32Array,
  rows: number,
  cols: number,
  grid: Float32Array,
  out: Float32Array,
): void {
  const side = elasticGridSide(Math.max(rows, cols));
  for (let y = 0; y < rows; y++) {
    const gy = Math.min(Math.floor(y / ELASTIC_SPACING), side - 2);
    const ty = smooth((y - gy * ELASTIC_SPACING) / ELASTIC_SPACING);
    for (let x = 0; x < cols; x++) {
      const gx = Math.min(Math.floor(x / ELASTIC_SPACING), side - 2);
      const tx = smooth((x - gx * ELASTIC_SPACING) / ELASTIC_SPACING);
      const i00 = 2 * (gy * side + gx);
      const i10 = i00 + 2;
      const i01 = i00 + 2 * side;
      const i11 = i01 + 2;
      const w00 = (1 - tx) * (1 - ty);
      const w10 = tx * (1 - ty);
      const w01 = (1 - tx) * ty;
      const w11 = tx * ty;
      const sx = x + w00 * grid[i00] + w10 * grid[i10] + w01 * grid[i01] +
        w11 * grid[i11];
      const sy = y + w00 * grid[i00 + 1] + w10 * grid[i10 + 1] +
        w01 * grid[i01 + 1] + w11 * grid[i11 + 1];
      out[y * cols + x] = bilinearZero(pixels, rows, cols, sx, sy);
    }
  }
}

function bilinearZero(
  pixels: Float32Array,
  rows: number,
  cols: number,
  sx: number,
  sy: number,
): number {
  const x0 = Math.floor(sx);
  const y0 = Math.floor(sy);
  const fx = sx - x0;
  const fy = sy - y0;
  let acc = 0;
  for (let dy = 0; dy <= 1; dy++) {
    const yy = y0 + dy;
    if (yy < 0 || yy >= rows) continue;
    const wy = dy === 0 ? 1 - fy : fy;
    for (let dx = 0; dx <= 1; dx++) {
      const xx = x0 + dx;
      if (xx < 0 || xx >= cols) continue;
      acc += wy * (dx === 0 ? 1 - fx : fx) * pixels[yy * cols + xx];
    }
  }
  return acc;
}

/**
 * Elastic distortion; severity = the control points' displacement
 * standard deviation in pixels (Simard's α = 34, σ = 4 is about 1.4).
 */
export const ELASTIC_OP: MixOp = {
  name: "elastic",
  severity: "displacement standard deviation in pixels",
  limits: [0, 4],
  apply(pixels, rows, cols, severity, rng, scratch) {
    const side = elasticGridSide(Math.max(rows, cols));
    const grid = scratch.a; // sized ≥ 2·side² by the corruptor
    for (let k = 0; k < 2 * side * side; k++) {
      grid[k] = severity * rng.nextGaussian();
    }
    elasticWarp(pixels, rows, cols, grid, scratch.b);
    pixels.set(scratch.b.subarray(0, pixels.length));
  },
};
