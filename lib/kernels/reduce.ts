/**
 * Flat-array reductions and broadcasts that BatchNormalization training
 * leans on: per-channel sums over all leading axes (`Sum`/`Mean` with axes
 * [0..r-2]) and tiling a per-channel vector over the leading axes. The
 * wasm backend spends ~27 ms per such Sum on a [32,26,26,128] tensor
 * (it transposes first) and ~115 ms per Tile; these take a few ms.
 *
 * @module
 */

/**
 * Sums a row-major [rows, cols] matrix over its rows into `out` (length
 * cols), scaled by `scale`. Accumulates in float64 so the result does not
 * depend on reduction order as much as a float32 running sum would.
 * `leadingRows`, if given, adds the first rows (a multiple of four, summed
 * exactly as the four-row loop does) into `acc` and returns their count.
 */
export function sumRows(
  x: Float32Array,
  rows: number,
  cols: number,
  out: Float32Array,
  scale = 1,
  leadingRows?: (acc: Float64Array) => number,
): void {
  const acc = new Float64Array(cols);
  if (cols === 1) {
    let s = 0;
    for (let i = 0; i < rows; i++) s += x[i];
    acc[0] = s;
  } else {
    // Four rows per iteration: a quarter of the accumulator traffic (the
    // four-term partial sum is exact-ish in float64 anyway).
    // A prefix of whole four-row groups may be done elsewhere (wasm SIMD).
    let r = leadingRows ? leadingRows(acc) : 0, o = r * cols;
    const c2 = 2 * cols, c3 = 3 * cols;
    for (; r + 4 <= rows; r += 4, o += 4 * cols) {
      for (let c = 0; c < cols; c++) {
        const p = o + c;
        acc[c] += (x[p] + x[p + cols]) + (x[p + c2] + x[p + c3]);
      }
    }
    for (; r < rows; r++, o += cols) {
      for (let c = 0; c < cols; c++) acc[c] += x[o + c];
    }
  }
  for (let c = 0; c < cols; c++) out[c] = acc[c] * scale;
}

/**
 * Whether `axes` (any order, negatives allowed) are exactly the leading
 * axes [0, k) of a rank-`rank` tensor, so the reduction is over rows of a
 * [prod(shape[0..k)), prod(shape[k..])] matrix.
 */
export function leadingAxes(
  axes: number | number[] | undefined,
  rank: number,
): number | null {
  if (axes === undefined) return rank;
  const list = (Array.isArray(axes) ? axes : [axes]).map((
    a,
  ) => (a < 0 ? a + rank : a)).sort((p, q) => p - q);
  for (let i = 0; i < list.length; i++) if (list[i] !== i) return null;
  return list.length;
}

/**
 * Fills `out` with back-to-back copies of `x` (the last one cut short if
 * `out.length` is not a multiple of `x.length`). Doubling copies — each
 * `copyWithin` duplicates everything written so far — run at memcpy speed
 * instead of a per-element loop. Tile's fast path (a per-channel vector
 * repeated over N, H, W) and Mean's gradient both reduce to this.
 */
export function repeatInto(x: Float32Array, out: Float32Array): void {
  const n = x.length;
  if (n === 0 || out.length === 0) return;
  out.set(x, 0);
  let filled = n;
  while (filled < out.length) {
    const len = Math.min(filled, out.length - filled);
    out.copyWithin(filled, 0, len);
    filled += len;
  }
}

/**
 * Batch normalisation forward over the last axis: out = x * a[c] + b[c]
 * with a = scale / sqrt(variance + eps), b = offset - mean * a. Each of
 * mean/variance/offset/scale has length `channels` or 1 (offset and scale
 * may be null for 0 and 1). One pass; the wasm kernel takes ~3x longer.
 */
export function batchNormLastAxis(
  x: Float32Array,
  channels: number,
  mean: Float32Array,
  variance: Float32Array,
  offset: Float32Array | null,
  scale: Float32Array | null,
  eps: number,
  out: Float32Array,
): void {
  const { a, b } = batchNormCoefficients(
    channels,
    mean,
    variance,
    offset,
    scale,
    eps,
  );
  const n = x.length;
  for (let i = 0; i < n; i += channels) {
    for (let c = 0; c < channels; c++) out[i + c] = x[i + c] * a[c] + b[c];
  }
}

/**
 * The per-channel a = scale / sqrt(variance + eps) and b = offset − mean·a
 * (float32) of {@link batchNormLastAxis}, for its wasm SIMD twin.
 */
export function batchNormCoefficients(
  channels: number,
  mean: Float32Array,
  variance: Float32Array,
  offset: Float32Array | null,
  scale: Float32Array | null,
  eps: number,
): { a: Float32Array; b: Float32Array } {
  const at = (v: Float32Array, c: number) => (v.length === 1 ? v[0] : v[c]);
  const a = new Float32Array(channels);
  const b = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = scale ? at(scale, c) : 1;
    a[c] = s / Math.sqrt(at(variance, c) + eps);
    b[c] = (offset ? at(offset, c) : 0) - at(mean, c) * a[c];
  }
  return { a, b };
}
