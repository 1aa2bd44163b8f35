/**
 * MNIST-C's line corruptions, `dotted_line` and `zigzag`: anti-aliased
 * lines added to the image (then clipped), built from MNIST-C's
 * `line_from_points`. Neither has a severity parameter in MNIST-C; every
 * severity yields its one version.
 *
 * `line_from_points(c0, r0, c1, r1)` draws the line through the two
 * points as a function of the column: pixel `(row i, column j)` gets
 * `log(1 − d / 2.3) + 1`, clipped to [0, 1], where `d` is the *vertical*
 * distance `|i − f(j)|` to the line `f`. That is 1 on the line and 0 from
 * `d = 2.3·(1 − 1/e) ≈ 1.454` on, so a line is at most three pixels
 * tall in each column. Columns outside `[floor(c0), ceil(c1))` are
 * cleared, and a vertical line (`c0 = c1`) draws nothing.
 *
 * @module
 */

import type { KeyedRng } from "../../core/mod.ts";
import { type Corruption, IMAGE_PIXELS, IMAGE_SIDE } from "../corruption.ts";
import { checkSeverity, LEVELS, toByte } from "./common.ts";

/** Half-height beyond which `line_from_points` adds nothing. */
export const LINE_REACH = 2.3 * (1 - Math.exp(-1));

/** Clip a Python slice bound `i` to `[0, n]` (negative counts from the end). */
function sliceBound(i: number, n: number): number {
  return i < 0 ? Math.max(0, n + i) : Math.min(i, n);
}

/**
 * Add MNIST-C's `line_from_points(c0, r0, c1, r1)` into `field` (28×28,
 * [0, 1] scale). With `dashed`, only columns `j` with `j mod 4` in {2, 3}
 * are kept (`dotted_line`'s mask).
 */
export function addLine(
  field: Float64Array,
  c0: number,
  r0: number,
  c1: number,
  r1: number,
  dashed = false,
): void {
  if (c1 === c0) return;
  const n = IMAGE_SIDE;
  const slope = (r1 - r0) / (c1 - c0);
  const from = sliceBound(Math.floor(c0), n);
  const to = sliceBound(Math.ceil(c1), n);
  for (let j = from; j < to; j++) {
    if (dashed && (j & 2) === 0) continue;
    const f = slope * (j - c0) + r0;
    const top = Math.max(0, Math.floor(f - LINE_REACH));
    const bottom = Math.min(n - 1, Math.ceil(f + LINE_REACH));
    for (let i = top; i <= bottom; i++) {
      const d = Math.min(Math.abs(i - f), 2.3 - 1e-10);
      const v = Math.log(1 - d / 2.3) + 1;
      if (v > 0) field[i * n + j] += v < 1 ? v : 1;
    }
  }
}

const field = new Float64Array(IMAGE_PIXELS);

function loadField(image: Uint8Array): Float64Array {
  for (let p = 0; p < IMAGE_PIXELS; p++) field[p] = LEVELS[image[p]];
  return field;
}

function storeField(out: Uint8Array): void {
  for (let p = 0; p < IMAGE_PIXELS; p++) {
    const v = field[p];
    out[p] = toByte((v < 1 ? v : 1) * 255);
  }
}

/** `np.random.randint(0, n)`: an integer in `[0, n)`. */
function randomInt(rng: KeyedRng, n: number): number {
  return Math.floor(rng.nextFloat() * n);
}

/**
 * Draw `dotted_line`'s end rows into `ends` (`[r0, r1]`, each 0–26): the
 * line runs from `(column 0, row r0)` to `(column 27, row r1)`.
 */
export function drawDottedLine(rng: KeyedRng, ends: Int32Array): void {
  ends[0] = randomInt(rng, 27);
  ends[1] = randomInt(rng, 27);
}

const dottedEnds = new Int32Array(2);

/**
 * `dotted_line`: a straight line from the left edge to the right edge
 * between random rows, drawn in dashes two columns long (columns
 * 2–3, 6–7, …, 26); column 27 stays clear, as in MNIST-C.
 */
export const DOTTED_LINE: Corruption = {
  name: "dotted_line",
  group: "mnist-c",
  defaultSeverity: 1,
  reference:
    "MNIST-C corruptions.py dotted_line: line_from_points(0, r0, 27, r1), r0, r1 = randint(0, 27), every other pair of columns cleared; no severity parameter (all five severities are MNIST-C's one version)",
  apply(image, severity, rng, out) {
    checkSeverity(severity, "dotted_line");
    drawDottedLine(rng, dottedEnds);
    addLine(loadField(image), 0, dottedEnds[0], 27, dottedEnds[1], true);
    storeField(out);
  },
};

/** Zigzag teeth: run `a` and height `b` in pixels (MNIST-C's constants). */
const ZIG_RUN = 2;
const ZIG_HEIGHT = 2;
/** Zigzag start and end columns. */
const ZIG_C0 = 2;
const ZIG_C1 = 25;

/**
 * Draw a `zigzag`'s vertices into `cols` / `rows` (at least 16 entries
 * each) and return how many there are. The baseline runs from
 * `(column 2, row r0)` to `(column 25, row r0 + δ)` with `r0` in 0–26 and
 * `δ` in −5…4; the zigzag alternates ±2 rows off it every 2 pixels along
 * it, ending with MNIST-C's last vertex `(d, r_i / (2·(d − max_c)))` in
 * the baseline's frame, rotated onto it.
 */
export function drawZigzag(
  rng: KeyedRng,
  cols: Float64Array,
  rows: Float64Array,
): number {
  const r0 = randomInt(rng, 27);
  const r1 = r0 + randomInt(rng, 10) - 5;
  const theta = Math.atan((r1 - r0) / (ZIG_C1 - ZIG_C0));
  const length = (ZIG_C1 - ZIG_C0) / Math.cos(theta);
  // Vertices in the baseline's frame (along, across).
  let count = 0;
  cols[count] = 0;
  rows[count++] = 0;
  const teeth = Math.floor((length - ZIG_RUN) / (2 * ZIG_RUN)) + 1;
  let across = 0;
  for (let i = 0; i < teeth; i++) {
    across = (i % 2 === 0 ? 1 : -1) * ZIG_HEIGHT;
    cols[count] = (2 * i + 1) * ZIG_RUN;
    rows[count++] = across;
  }
  const maxAlong = 2 * ZIG_RUN * Math.floor(length / (2 * ZIG_RUN));
  if (length !== maxAlong) {
    cols[count] = length;
    rows[count++] = across / (2 * (length - maxAlong));
  }
  // Rotate by theta and move the origin to (ZIG_C0, r0).
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  for (let k = 0; k < count; k++) {
    const along = cols[k];
    const off = rows[k];
    cols[k] = cos * along - sin * off + ZIG_C0;
    rows[k] = sin * along + cos * off + r0;
  }
  return count;
}

const zigCols = new Float64Array(16);
const zigRows = new Float64Array(16);

/**
 * `zigzag`: a zigzag line across the digit (teeth 2 px high every 2 px)
 * along a random, slightly tilted baseline, each segment drawn with
 * `line_from_points` and added to the image.
 */
export const ZIGZAG: Corruption = {
  name: "zigzag",
  group: "mnist-c",
  defaultSeverity: 1,
  reference:
    "MNIST-C corruptions.py zigzag: segments via line_from_points, a = b = 2, baseline (2, r0)–(25, r0 + randint(−5, 5)); no severity parameter (all five severities are MNIST-C's one version)",
  apply(image, severity, rng, out) {
    checkSeverity(severity, "zigzag");
    const count = drawZigzag(rng, zigCols, zigRows);
    const f = loadField(image);
    for (let k = 1; k < count; k++) {
      addLine(f, zigCols[k - 1], zigRows[k - 1], zigCols[k], zigRows[k]);
    }
    storeField(out);
  },
};
