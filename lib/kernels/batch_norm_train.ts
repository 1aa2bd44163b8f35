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
 * Numerics: the statistics are sums of d = x − K and d², with K a sample
 * of the channel (its first value): each term in float32 as tfjs computes
 * (x − mean)², partial sums of four rows in float32, the running sums in
 * float64 (tfjs' Mean, as our kernel runs it, also sums in float64). The
 * shift keeps Σd²/N − (Σd/N)² from cancelling; when K lies more than four
 * standard deviations from a channel's mean (an outlier first value), the
 * pass is repeated shifted by the mean just found.
 *
 * @module
 */

/**
 * Does a prefix of {@link trainMoments}' or {@link gradSums}' rows
 * elsewhere (the wasm SIMD loop): given the per-channel shift or mean
 * `k`, adds the rows' sums into `s1`/`s2` exactly as the four-row loop
 * would and returns the element index to carry on from.
 */
export type SumsRows = (
  k: Float32Array,
  s1: Float64Array,
  s2: Float64Array,
) => number;

const f = Math.fround;

/**
 * Per-channel mean and biased variance (divisor N, as `tf.moments` and
 * tfjs' BatchNormalization use for both normalising and the moving
 * average) of `x`, a row-major [N, channels] array, in one pass (two
 * when a channel's first value is an outlier).
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
  leadingRows?: SumsRows,
): void {
  const C = channels, rows = x.length / C;
  let k = x.slice(0, C);
  for (let pass = 0; pass < 2; pass++) {
    const s1 = new Float64Array(C), s2 = new Float64Array(C);
    shiftedSums(x, k, s1, s2, leadingRows);
    let far = false;
    for (let c = 0; c < C; c++) {
      const shift = s1[c] / rows;
      mean[c] = k[c] + shift;
      variance[c] = Math.max(0, s2[c] / rows - shift * shift);
      // A shift many deviations from the mean cancels digits away.
      far ||= shift * shift > 16 * variance[c];
    }
    if (!far) return;
    // Rare (a channel's first value an outlier): again, shifted by the mean.
    k = mean.slice();
  }
}

/** Σ (x − k) into `s1` and Σ (x − k)² into `s2`, per channel. */
function shiftedSums(
  x: Float32Array,
  k: Float32Array,
  s1: Float64Array,
  s2: Float64Array,
  leadingRows?: SumsRows,
): void {
  const C = k.length, n = x.length;
  let i = leadingRows ? leadingRows(k, s1, s2) : 0;
  // Four rows summed in float32, then added in float64: a quarter of the
  // float64 work, and each partial carries only float32 rounding.
  const C2 = 2 * C, C3 = 3 * C;
  for (; i + 4 * C <= n; i += 4 * C) {
    for (let c = 0; c < C; c++) {
      const kc = k[c], p = i + c;
      const d0 = f(x[p] - kc), d1 = f(x[p + C] - kc);
      const d2 = f(x[p + C2] - kc), d3 = f(x[p + C3] - kc);
      s1[c] += f(f(d0 + d1) + f(d2 + d3));
      s2[c] += f(f(f(d0 * d0) + f(d1 * d1)) + f(f(d2 * d2) + f(d3 * d3)));
    }
  }
  for (; i < n; i += C) {
    for (let c = 0; c < C; c++) {
      const d = f(x[i + c] - k[c]);
      s1[c] += d;
      s2[c] += f(d * d);
    }
  }
}

/**
 * Per-channel Σ dy (into `s1`) and Σ dy·(x − m) (into `s2`), one pass
 * over x and dy, four rows at a time in float32 then added in float64.
 */
export function gradSums(
  x: Float32Array,
  dy: Float32Array,
  m: Float32Array,
  channels: number,
  s1: Float64Array,
  s2: Float64Array,
  leadingRows?: SumsRows,
): void {
  const C = channels, n = x.length;
  let i = leadingRows ? leadingRows(m, s1, s2) : 0;
  const C2 = 2 * C, C3 = 3 * C;
  for (; i + 4 * C <= n; i += 4 * C) {
    for (let c = 0; c < C; c++) {
      const mc = m[c], p = i + c;
      const d0 = dy[p], d1 = dy[p + C], d2 = dy[p + C2], d3 = dy[p + C3];
      s1[c] += f(f(d0 + d1) + f(d2 + d3));
      s2[c] += f(
        f(f(d0 * f(x[p] - mc)) + f(d1 * f(x[p + C] - mc))) +
          f(f(d2 * f(x[p + C2] - mc)) + f(d3 * f(x[p + C3] - mc))),
      );
    }
  }
  for (; i < n; i += C) {
    for (let c = 0; c < C; c++) {
      const d = dy[i + c];
      s1[c] += d;
      s2[c] += f(d * f(x[i + c] - m[c]));
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
  const C = m.length, n = x.length;
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
