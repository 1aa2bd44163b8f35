/**
 * `bar_erasing`: random erasing (Zhong et al. 2020) with elongated
 * rectangles (at least 3:1, up to the full side, where erasing keeps to
 * 1:3–3:1) and a bright flat fill. A bright bar is the occluder a per-image
 * normalisation is most fragile to: it moves the image's mean and
 * standard deviation far from a plain digit's, so the strokes shrink to
 * a small share of the normalised range (issue #14: MNIST-C's stripe
 * fell to 43 % at reduced scale).
 *
 * Why it is not MNIST-C's stripe: stripe *inverts* (255 − x) two fixed
 * seven-column bands at both sides of every image; bars *replace* the
 * pixels under them with one grey each (the digit there is lost, as in
 * any erasing), and there are one or two, each at a random place,
 * horizontal or vertical, of random length, width and grey. Nor is it
 * zigzag or dotted line, which draw thin one-pixel polylines and dots.
 *
 * @module
 */

import type { KeyedRng } from "../../core/mod.ts";
import { fillRect } from "./erasing.ts";
import type { MixOp } from "./op.ts";

/** Shortest bar, as a multiple of its thickness (aspect ratio ≥ 3:1). */
export const BAR_MIN_ASPECT = 3;
/** Darkest fill, as a fraction of 255: the bar is always brighter than mid-grey. */
export const BAR_MIN_FILL = 0.5;

/** Where a bar goes: top-left corner, width and height, in pixels. */
export interface BarRect {
  /** Left column. */
  readonly x0: number;
  /** Top row. */
  readonly y0: number;
  /** Width in columns. */
  readonly w: number;
  /** Height in rows. */
  readonly h: number;
}

/**
 * The rectangle of a bar `thickness` pixels thick (clamped to [1, side])
 * and `lengthFraction` of the image's side long (at least
 * {@link BAR_MIN_ASPECT}·thickness, at most the side), vertical or
 * horizontal, placed by `u`, `v` in [0, 1) along x and y.
 *
 * ```ts
 * import { barRect } from "./bar_erasing.ts";
 * barRect(28, 28, 4, 1, true, 0, 0.5); // { x0: 0, y0: 0, w: 4, h: 28 }
 * ```
 */
export function barRect(
  rows: number,
  cols: number,
  thickness: number,
  lengthFraction: number,
  vertical: boolean,
  u: number,
  v: number,
): BarRect {
  const side = vertical ? rows : cols;
  const across = vertical ? cols : rows;
  const t = Math.max(1, Math.min(across, Math.round(thickness)));
  const len = Math.min(
    side,
    Math.max(BAR_MIN_ASPECT * t, Math.round(lengthFraction * side)),
  );
  const w = vertical ? t : len;
  const h = vertical ? len : t;
  return {
    x0: Math.floor(u * (cols - w + 1)),
    y0: Math.floor(v * (rows - h + 1)),
    w,
    h,
  };
}

/**
 * Draw one or two bars (a coin flip), each `severity` of the image's side
 * thick, with its own orientation, length uniform in [½, 1] of the side,
 * place, and grey uniform in [{@link BAR_MIN_FILL}, 1]·255, and hand each
 * to `paint`. Both bar operations draw through this, so they place the
 * same bars for the same draws and differ only in how a bar is painted.
 *
 * ```ts
 * import { drawBars } from "./bar_erasing.ts";
 * import { KeyedRng } from "../../core/mod.ts";
 * const rng = new KeyedRng().reseed(42, 0, 0, 0);
 * drawBars(28, 28, 0.1, rng, (bar, grey) => console.log(bar, grey));
 * ```
 */
export function drawBars(
  rows: number,
  cols: number,
  severity: number,
  rng: KeyedRng,
  paint: (bar: BarRect, grey: number) => void,
): void {
  const bars = rng.nextFloat() < 0.5 ? 1 : 2;
  for (let b = 0; b < bars; b++) {
    const vertical = rng.nextFloat() < 0.5;
    const across = vertical ? cols : rows;
    const length = rng.uniform(0.5, 1);
    const bar = barRect(
      rows,
      cols,
      severity * across,
      length,
      vertical,
      rng.nextDouble(),
      rng.nextDouble(),
    );
    paint(bar, 255 * rng.uniform(BAR_MIN_FILL, 1));
  }
}

/**
 * One or two bright bars (a coin flip); severity = each bar's thickness
 * as a fraction of the image's side. Each bar draws its own orientation,
 * length uniform in [½, 1] of the side (never under 3× the thickness),
 * place and fill uniform in [½, 1]·255. Two bars move a per-image
 * normalisation as far as a large bright area does, while neither is
 * much wider than a stroke-free margin.
 */
export const BAR_ERASING_OP: MixOp = {
  name: "bar_erasing",
  severity: "thickness of each bar as a fraction of the image's side",
  limits: [0, 0.5],
  apply(pixels, rows, cols, severity, rng) {
    drawBars(
      rows,
      cols,
      severity,
      rng,
      (r, grey) => fillRect(pixels, rows, cols, r.x0, r.y0, r.w, r.h, grey),
    );
  },
};
