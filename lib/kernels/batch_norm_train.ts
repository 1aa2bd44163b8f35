/**
 * BatchNormalization in training as two fused passes each way, over flat
 * Float32Arrays with channels on the last axis (the JavaScript twins of
 * simd.wat's `moments`, `batchNormGradSums` and `batchNormGradApply`).
 *
 * Why: tfjs-layers computes the batch statistics with `tf.moments` (Mean,
 * Sub, Square, Mean) and normalises with `batchNorm`; the tape then
 * differentiates through all of it — about ten full-size passes forward
 * and back over the CNN's largest activation. Here the forward is one
 * statistics pass and one normalising pass, the backward one pass for two
 * per-channel sums and one for dx, by the closed form (with xhat =
 * (x − mean)·r, r = 1/sqrt(variance + eps), N values per channel):
 *   dbeta = Σ dy,  dgamma = Σ dy·xhat,
 *   dx = gamma·r·(dy − dbeta/N − xhat·dgamma/N).
 *
 * Numerics: the statistics are sums of (x − K) and (x − K)² in float64,
 * with K a sample of the channel (its first value). The products are exact
 * in float64 and the float64 sums lose ~1e-16 relative, so the variance is
 * as accurate as tfjs' float32 two-pass moments or better, in one pass.
 *
 * @module
 */

/**
 * Does a prefix of {@link trainMoments}' rows elsewhere (the wasm SIMD
 * loop): given the shift `k`, adds the rows' sums into `s1`/`s2` exactly as
 * the two-row loop would and returns the element index to carry on from.
 */
export type MomentsRows = (
  k: Float64Array,
  s1: Float64Array,
  s2: Float64Array,
) => number;

/**
 * Per-channel mean and biased variance (divisor N, as `tf.moments` and
 * tfjs' BatchNormalization use for both normalising and the moving
 * average) of `x`, a row-major [N, channels] array, in one pass.
 *
 * @example
 * ```ts
 * const mean = new Float32Array(2), variance = new Float32Array(2);
 * trainMoments(new Float32Array([1, 10, 3, 10]), 2, mean, variance);
 * console.log(mean, variance); // [2, 10] [1, 0]
 * ```
 */
export function trainMoments(
  x: Float32Array,
  channels: number,
  mean: Float32Array,
  variance: Float32Array,
  leadingRows?: MomentsRows,
): void {
  const C = channels, n = x.length, rows = n / C;
  const k = Float64Array.from(x.subarray(0, C));
  const s1 = new Float64Array(C), s2 = new Float64Array(C);
  let i = leadingRows ? leadingRows(k, s1, s2) : 0;
  // Two rows per iteration halve the accumulator loads/stores.
  for (; i + 2 * C <= n; i += 2 * C) {
    for (let c = 0; c < C; c++) {
      const d = x[i + c] - k[c], e = x[i + C + c] - k[c];
      s1[c] += d + e;
      s2[c] += d * d + e * e;
    }
  }
  for (; i < n; i += C) {
    for (let c = 0; c < C; c++) {
      const d = x[i + c] - k[c];
      s1[c] += d;
      s2[c] += d * d;
    }
  }
  for (let c = 0; c < C; c++) {
    const shift = s1[c] / rows;
    mean[c] = k[c] + shift;
    variance[c] = Math.max(0, s2[c] / rows - shift * shift);
  }
}

/**
 * Does a prefix of {@link gradSums}' rows elsewhere (the wasm SIMD loop):
 * given the mean `m`, adds the rows' Σdy and Σdy·(x − m) into `s1`/`s2`
 * exactly as the two-row loop would; returns the element index to carry on
 * from.
 */
export type GradSumsRows = (
  m: Float32Array,
  s1: Float64Array,
  s2: Float64Array,
) => number;

/**
 * Per-channel Σ dy (into `s1`) and Σ dy·(x − m) (into `s2`), in float64,
 * one pass over x and dy.
 */
export function gradSums(
  x: Float32Array,
  dy: Float32Array,
  m: Float32Array,
  channels: number,
  s1: Float64Array,
  s2: Float64Array,
  leadingRows?: GradSumsRows,
): void {
  const C = channels, n = x.length;
  let i = leadingRows ? leadingRows(m, s1, s2) : 0;
  for (; i + 2 * C <= n; i += 2 * C) {
    for (let c = 0; c < C; c++) {
      const d = dy[i + c], e = dy[i + C + c], mc = m[c];
      s1[c] += d + e;
      s2[c] += d * (x[i + c] - mc) + e * (x[i + C + c] - mc);
    }
  }
  for (; i < n; i += C) {
    for (let c = 0; c < C; c++) {
      const d = dy[i + c];
      s1[c] += d;
      s2[c] += d * (x[i + c] - m[c]);
    }
  }
}

/**
 * Per-channel float32 coefficients of the dx pass: dx = dy·k + (x − m)·a
 * + b. Stored back to back (m, k, a, b), the layout simd.wat's
 * `batchNormGradApply` reads.
 */
export interface GradCoefficients {
  /** m[C], k[C], a[C], b[C]. */
  readonly all: Float32Array;
  readonly m: Float32Array;
  readonly k: Float32Array;
  readonly a: Float32Array;
  readonly b: Float32Array;
}

/** Zeroed {@link GradCoefficients} for `channels`, m filled from `mean`. */
export function gradCoefficients(
  mean: Float32Array,
  channels: number,
): GradCoefficients {
  const C = channels;
  const all = new Float32Array(4 * C);
  const part = (j: number) => all.subarray(j * C, (j + 1) * C);
  const coefficients = { all, m: part(0), k: part(1), a: part(2), b: part(3) };
  coefficients.m.set(mean);
  return coefficients;
}

/** What the backward pass computes per channel and where dx goes. */
export interface TrainGradOut {
  /** dx, like x. */
  dx: Float32Array;
  /** d gamma, per channel. */
  dScale: Float32Array;
  /** d beta, per channel. */
  dOffset: Float32Array;
}

/**
 * Fills `co.k`, `co.a`, `co.b` (and `out.dScale`, `out.dOffset`) from the
 * sums of {@link gradSums}. `dMean`/`dVariance` are gradients arriving at
 * the mean and variance outputs themselves (zero when, as in the layer,
 * they only feed the moving averages): they add dMean/N and
 * dVariance·2(x − m)/N to dx.
 */
export function finishGradCoefficients(
  co: GradCoefficients,
  variance: Float32Array,
  scale: Float32Array,
  eps: number,
  count: number,
  s1: Float64Array,
  s2: Float64Array,
  upstream: { dMean: Float32Array; dVariance: Float32Array } | null,
  out: TrainGradOut,
): void {
  const C = co.m.length;
  for (let c = 0; c < C; c++) {
    const r = 1 / Math.sqrt(variance[c] + eps);
    const k = scale[c] * r;
    co.k[c] = k;
    co.a[c] = -k * r * r * s2[c] / count;
    co.b[c] = -k * s1[c] / count;
    if (upstream) {
      co.a[c] += 2 * upstream.dVariance[c] / count;
      co.b[c] += upstream.dMean[c] / count;
    }
    out.dOffset[c] = s1[c];
    out.dScale[c] = r * s2[c];
  }
}

/**
 * dx = dy·k + (x − m)·a + b per element in float32 arithmetic, each
 * operation rounded (the twin of simd.wat's `batchNormGradApply`, whose
 * f32x4 lanes do four channels at once); `start` skips elements done
 * elsewhere.
 */
export function gradApply(
  x: Float32Array,
  dy: Float32Array,
  co: GradCoefficients,
  dx: Float32Array,
  start = 0,
): void {
  const { m, k, a, b } = co;
  const C = m.length, n = x.length, f = Math.fround;
  for (let i = start; i < n; i += C) {
    for (let c = 0; c < C; c++) {
      const t = f(dy[i + c] * k[c]), u = f(f(x[i + c] - m[c]) * a[c]);
      dx[i + c] = f(t + u) + b[c];
    }
  }
}

/**
 * y = x·a + b per element in float32 arithmetic (the twin of simd.wat's
 * `affine`): the normalising pass, with a = gamma/sqrt(variance + eps)
 * and b = beta − mean·a.
 */
export function affineLastAxis(
  x: Float32Array,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  start = 0,
): void {
  const C = a.length, n = x.length;
  for (let i = start; i < n; i += C) {
    for (let c = 0; c < C; c++) {
      out[i + c] = Math.fround(x[i + c] * a[c]) + b[c];
    }
  }
}
