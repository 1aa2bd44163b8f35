/**
 * Affine geometry of the augment transform: building one matrix per image
 * from rotation, shear, translation and zoom, and resampling an image
 * through it once with bilinear interpolation and a fill mode.
 *
 * Matrices map **output** pixel coordinates to **input** coordinates (the
 * convention of Keras' `affine_transform` and TensorFlow's
 * `ImageProjectiveTransformV3`): `[a, b, c, d, e, f]` means
 * `x_in = a·x + b·y + c`, `y_in = d·x + e·y + f`, with `x` the column and
 * `y` the row, both measured at pixel centres (so the image centre is
 * `((cols − 1) / 2, (rows − 1) / 2)`, as in Keras).
 *
 * @module
 */

import type { FillMode } from "./config.ts";

/** An output→input affine map `[a, b, c, d, e, f]` (see the module doc). */
export type Affine = Float64Array;

/** The concrete geometric parameters of one image. */
export interface GeometryParams {
  /** Degrees, positive = counter-clockwise on screen. */
  rotation: number;
  /** Degrees, positive leans the top of the digit to the right. */
  shear: number;
  /** Shift right, in pixels. */
  shiftX: number;
  /** Shift down, in pixels. */
  shiftY: number;
  /** Horizontal zoom factor (> 1 zooms out). */
  zoomX: number;
  /** Vertical zoom factor (> 1 zooms out). */
  zoomY: number;
}

/** Geometry that leaves an image where it is (no turn, shift or zoom). */
export const IDENTITY_GEOMETRY: Readonly<GeometryParams> = Object.freeze({
  rotation: 0,
  shear: 0,
  shiftX: 0,
  shiftY: 0,
  zoomX: 1,
  zoomY: 1,
});

/** `out = p ∘ q` (apply `q` first, then `p`), both output→input maps. */
function compose(p: Affine, q: Affine, out: Affine): void {
  // Indexed reads: destructuring a typed array runs its iterator, which
  // cost 10 % of the whole transform in a profile.
  const a = p[0], b = p[1], c = p[2], d = p[3], e = p[4], f = p[5];
  const g = q[0], h = q[1], i = q[2], j = q[3], k = q[4], l = q[5];
  out[0] = a * g + b * j;
  out[1] = a * h + b * k;
  out[2] = a * i + b * l + c;
  out[3] = d * g + e * j;
  out[4] = d * h + e * k;
  out[5] = d * i + e * l + f;
}

// Coefficients this close to an integer are made exact, so that a 90°
// turn or an integer shift samples pixel centres exactly (cos 90° is
// 6e-17 in floating point, which would otherwise blend in a neighbour).
const SNAP_TOLERANCE = 1e-9;

const DEG = Math.PI / 180;

// Per-call scratch, reused: this module runs single-threaded per isolate.
const rotate = new Float64Array(6);
const shear = new Float64Array(6);
const translate = new Float64Array(6);
const zoom = new Float64Array(6);
const partial = new Float64Array(6);

function setAffine(
  m: Affine,
  a: number,
  b: number,
  c: number,
  d: number,
  e: number,
  f: number,
): void {
  m[0] = a;
  m[1] = b;
  m[2] = c;
  m[3] = d;
  m[4] = e;
  m[5] = f;
}

/**
 * The single output→input map of an image: the composition of the Keras
 * layers rotation → shear → translation → zoom. With sequential layers the
 * output of the last layer at `p` reads the first layer's input at
 * `R(S(T(Z(p))))`, so the maps compose in that order.
 *
 * ```ts
 * const m = affineFor({ rotation: 90, shear: 0, shiftX: 0, shiftY: 0,
 *   zoomX: 1, zoomY: 1 }, 28, 28);
 * // m ≈ [0, -1, 27, 1, 0, 0]: out[y][x] = in[x][27 - y]
 * ```
 */
export function affineFor(
  params: GeometryParams,
  rows: number,
  cols: number,
  out: Affine = new Float64Array(6),
): Affine {
  const cx = (cols - 1) / 2;
  const cy = (rows - 1) / 2;
  const cos = Math.cos(params.rotation * DEG);
  const sin = Math.sin(params.rotation * DEG);
  // Rotation about the centre; Keras' matrix [cos, −sin, x_off, sin, cos, y_off].
  setAffine(
    rotate,
    cos,
    -sin,
    cx - cos * cx + sin * cy,
    sin,
    cos,
    cy - sin * cx - cos * cy,
  );
  const tan = Math.tan(params.shear * DEG);
  setAffine(shear, 1, tan, -tan * cy, 0, 1, 0);
  setAffine(translate, 1, 0, -params.shiftX, 0, 1, -params.shiftY);
  setAffine(
    zoom,
    params.zoomX,
    0,
    cx * (1 - params.zoomX),
    0,
    params.zoomY,
    cy * (1 - params.zoomY),
  );
  compose(translate, zoom, partial);
  compose(shear, partial, out);
  compose(rotate, out, partial);
  out.set(partial);
  for (let k = 0; k < 6; k++) {
    const nearest = Math.round(out[k]);
    if (Math.abs(out[k] - nearest) < SNAP_TOLERANCE) out[k] = nearest + 0;
  }
  return out;
}

/**
 * One map per geometric step, in Keras' layer order (rotation, shear,
 * translation, zoom), identity steps left out: resampling through them in
 * turn is what sequential Keras layers do (`resample: per-layer`).
 */
export function layerAffines(
  params: GeometryParams,
  rows: number,
  cols: number,
): Affine[] {
  const steps: GeometryParams[] = [
    { ...IDENTITY_GEOMETRY, rotation: params.rotation },
    { ...IDENTITY_GEOMETRY, shear: params.shear },
    { ...IDENTITY_GEOMETRY, shiftX: params.shiftX, shiftY: params.shiftY },
    { ...IDENTITY_GEOMETRY, zoomX: params.zoomX, zoomY: params.zoomY },
  ];
  return steps.map((step) => affineFor(step, rows, cols)).filter((m) =>
    !isIdentity(m)
  );
}

/** True when `m` is exactly the identity map. */
export function isIdentity(m: Affine): boolean {
  return m[0] === 1 && m[1] === 0 && m[2] === 0 && m[3] === 0 &&
    m[4] === 1 && m[5] === 0;
}

// Coordinates stay far inside ±FLOOR_BIAS: the config rules cap zoom at 10
// and shifts at one image size, i.e. |coordinate| < 20 image sizes.
const FLOOR_BIAS = 1 << 20;

/** Map an index outside `[0, n)` into it by `mode`; −1 means "fill". */
type IndexMapper = (i: number, n: number) => number;

/** Reflect an index into `[0, n)` with the edge repeated (d c b a | a b c d). */
export function reflectIndex(i: number, n: number): number {
  if (i >= 0 && i < n) return i;
  // Period 2n with the edge repeated: d c b a | a b c d | d c b a.
  const period = 2 * n;
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - 1 - m;
}

function nearestIndex(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

function wrapIndex(i: number, n: number): number {
  const m = i % n;
  return m < 0 ? m + n : m;
}

function constantIndex(i: number, n: number): number {
  return i >= 0 && i < n ? i : -1;
}

/**
 * Index mappers by fill mode. Mapping the four bilinear neighbours (rather
 * than the continuous coordinate) gives exactly TensorFlow's results for
 * `reflect`, `nearest` and `constant`. For `wrap` it interpolates between
 * the last and the first pixel in the half-pixel band past the edge, where
 * TensorFlow clamps to the first pixel; integer shifts agree.
 */
export const INDEX_MAPPERS: Readonly<Record<FillMode, IndexMapper>> = {
  reflect: reflectIndex,
  nearest: nearestIndex,
  wrap: wrapIndex,
  constant: constantIndex,
};

/** Bilinear sample whose neighbours leave the image (the slow path). */
function sampleOutside(
  src: Uint8Array | Float32Array,
  offset: number,
  rows: number,
  cols: number,
  x0: number,
  y0: number,
  fx: number,
  fy: number,
  mapIndex: IndexMapper,
  fillValue: number,
): number {
  const xa = mapIndex(x0, cols);
  const xb = mapIndex(x0 + 1, cols);
  const ya = mapIndex(y0, rows);
  const yb = mapIndex(y0 + 1, rows);
  const rowA = offset + ya * cols;
  const rowB = offset + yb * cols;
  const a = ya < 0 || xa < 0 ? fillValue : src[rowA + xa];
  const b = ya < 0 || xb < 0 ? fillValue : src[rowA + xb];
  const c = yb < 0 || xa < 0 ? fillValue : src[rowB + xa];
  const d = yb < 0 || xb < 0 ? fillValue : src[rowB + xb];
  const top = a + (b - a) * fx;
  const bottom = c + (d - c) * fx;
  return top + (bottom - top) * fy;
}

/**
 * Resample one `rows × cols` image (uint8, or floats on the 0–255 scale
 * for a second pass; at `src[offset…]`) through the
 * output→input map `m` into `out` (floats on the 0–255 scale), bilinear,
 * with `fill` for samples outside. `fillValue` is on the 0–255 scale.
 * Allocates nothing.
 */
export function warpBilinear(
  src: Uint8Array | Float32Array,
  offset: number,
  rows: number,
  cols: number,
  m: Affine,
  fill: FillMode,
  fillValue: number,
  out: Float32Array,
): void {
  if (isIdentity(m)) {
    for (let p = 0; p < rows * cols; p++) out[p] = src[offset + p];
    return;
  }
  const mapIndex = INDEX_MAPPERS[fill];
  const a = m[0], b = m[1], c = m[2], d = m[3], e = m[4], f = m[5];
  const lastX = cols - 1;
  const lastY = rows - 1;
  let p = 0;
  for (let y = 0; y < rows; y++) {
    const rowX = b * y + c;
    const rowY = e * y + f;
    for (let x = 0; x < cols; x++, p++) {
      // Direct multiply-add per pixel (not a running sum), so integer
      // coordinates stay exact for 90° turns and integer shifts.
      const xi = a * x + rowX;
      const yi = d * x + rowY;
      // floor() via integer truncation of a positive number: V8 then
      // keeps x0/y0 as small integers for the typed-array indexing below
      // (Math.floor returns doubles; this loop got 2× faster).
      const x0 = ((xi + FLOOR_BIAS) | 0) - FLOOR_BIAS;
      const y0 = ((yi + FLOOR_BIAS) | 0) - FLOOR_BIAS;
      const fx = xi - x0;
      const fy = yi - y0;
      if (x0 >= 0 && x0 < lastX && y0 >= 0 && y0 < lastY) {
        const q = offset + y0 * cols + x0;
        const tl = src[q];
        const tr = src[q + 1];
        const bl = src[q + cols];
        const br = src[q + cols + 1];
        const top = tl + (tr - tl) * fx;
        const bottom = bl + (br - bl) * fx;
        out[p] = top + (bottom - top) * fy;
      } else {
        out[p] = sampleOutside(
          src,
          offset,
          rows,
          cols,
          x0,
          y0,
          fx,
          fy,
          mapIndex,
          fillValue,
        );
      }
    }
  }
}
