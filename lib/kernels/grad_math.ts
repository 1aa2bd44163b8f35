/**
 * Single-pass gradient arithmetic over flat Float32Arrays, for the
 * gradients that `gradients.ts` registers in place of tfjs' stock ones.
 *
 * The stock gradients are compositions of generic ops: BatchNormalization's
 * backward alone makes ~25 passes over a [32,26,26,128] tensor (sub, mul,
 * tile, four sums, ...). Each function here makes one pass and reproduces
 * the stock formula's arithmetic (same operations, float64 accumulation
 * for sums), so results agree to float32 rounding.
 *
 * @module
 */
import { repeatInto } from "./reduce.ts";

/**
 * Does the leading rows of {@link batchNormGrad}'s main loop elsewhere (the
 * wasm SIMD loop): given the per-channel mean `m` and factor `k`, writes
 * their dx and adds their sums into `s1`/`s2` exactly as the loop would,
 * and returns the element index where the loop should carry on.
 */
export type BatchNormGradRows = (
  m: Float64Array,
  k: Float64Array,
  s1: Float64Array,
  s2: Float64Array,
) => number;

/**
 * FusedBatchNorm backward over the last axis (`channels` per row), all
 * parameters per-channel. With r = 1/sqrt(variance + eps), s = scale:
 *   dx = dy * r * s
 *   dOffset = Σ dy,  dScale = r Σ dy (x - mean)
 *   dMean = -r s Σ dy,  dVariance = -r³/2 · s Σ dy (x - mean)
 * (sums over all rows). One read of x and dy, one write of dx.
 * `leadingRows`, if given, does a prefix of the rows (see its type).
 */
export function batchNormGrad(
  x: Float32Array,
  dy: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  scale: Float32Array | null,
  eps: number,
  channels: number,
  out: {
    dx: Float32Array;
    dMean: Float32Array;
    dVariance: Float32Array;
    dScale: Float32Array;
    dOffset: Float32Array;
  },
  leadingRows?: BatchNormGradRows,
): void {
  const C = channels;
  // Plain JS-heap copies: cheaper to index in the hot loop than wasm views.
  const m = Float64Array.from(mean);
  const k = new Float64Array(C);
  const r = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    r[c] = Math.fround(1 / Math.sqrt(Math.fround(variance[c] + eps)));
    k[c] = Math.fround(r[c] * (scale ? scale[c] : 1));
  }
  const s1 = new Float64Array(C), s2 = new Float64Array(C);
  const { dx } = out;
  const n = x.length;
  let i = leadingRows ? leadingRows(m, k, s1, s2) : 0;
  // Two rows per iteration halve the accumulator loads/stores (~25 % faster).
  for (; i + 2 * C <= n; i += 2 * C) {
    for (let c = 0; c < C; c++) {
      const d = dy[i + c], e = dy[i + C + c], mc = m[c], kc = k[c];
      s1[c] += d + e;
      s2[c] += d * (x[i + c] - mc) + e * (x[i + C + c] - mc);
      dx[i + c] = d * kc;
      dx[i + C + c] = e * kc;
    }
  }
  for (; i < n; i += C) {
    for (let c = 0; c < C; c++) {
      const d = dy[i + c];
      s1[c] += d;
      s2[c] += d * (x[i + c] - m[c]);
      dx[i + c] = d * k[c];
    }
  }
  for (let c = 0; c < C; c++) {
    const s = scale ? scale[c] : 1;
    out.dOffset[c] = s1[c];
    out.dScale[c] = r[c] * s2[c];
    out.dMean[c] = -r[c] * s * s1[c];
    out.dVariance[c] = -0.5 * r[c] * r[c] * r[c] * s * s2[c];
  }
}

/**
 * Mean's gradient when the mean was over the leading axes: every row of
 * the [times, dy.length] output is dy / count.
 */
export function broadcastDivide(
  dy: Float32Array,
  count: number,
  out: Float32Array,
): void {
  const cols = dy.length;
  const row = new Float32Array(cols);
  for (let c = 0; c < cols; c++) row[c] = dy[c] / count;
  repeatInto(row, out);
}

/** Square's gradient: dx = dy * (2x), as tfjs computes it. */
export function squareGrad(
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
): void {
  const n = x.length;
  for (let i = 0; i < n; i++) dx[i] = dy[i] * (x[i] * 2);
}

/** An Int32Array over the same memory as `f` (float bit patterns). */
export function bitsOf(f: Float32Array): Int32Array {
  return new Int32Array(f.buffer, f.byteOffset, f.length);
}

/**
 * Relu's gradient: dx = dy * step(x), with tfjs' step (1 for x > 0, NaN
 * for NaN, else 0).
 *
 * Why integer bit tricks: on real activations the sign of x is random, and
 * a data-dependent branch (or V8's compiled ternary) mispredicts half the
 * time — 5x slower than this branch-free mask. The mask keeps dy's bits
 * when x's bits are a positive non-zero int (x > 0, or a +NaN). Any NaN in
 * x or non-finite dy (where dy * 0 would be NaN) sends the tensor through
 * the exact float loop instead, so the result is always the stock one.
 */
export function reluGrad(
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
): void {
  const xi = bitsOf(x), di = bitsOf(dy), oi = bitsOf(dx);
  const n = x.length;
  let special = 0;
  for (let i = 0; i < n; i++) {
    const v = xi[i], d = di[i];
    // -1 when v > 0 as an int: not negative and -v negative.
    const keep = (-v >> 31) & ~(v >> 31);
    oi[i] = d & keep;
    // Goes negative when |x| bits exceed +Inf (NaN) or |dy| is Inf/NaN.
    special |= (0x7f800000 - (v & 0x7fffffff)) |
      (0x7f7fffff - (d & 0x7fffffff));
  }
  if (special < 0) {
    for (let i = 0; i < n; i++) {
      const v = x[i];
      dx[i] = dy[i] * (v > 0 ? 1 : v !== v ? NaN : 0);
    }
  }
}
