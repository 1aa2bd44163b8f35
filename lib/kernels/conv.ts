/**
 * Convolution and pooling kernels over flat NHWC Float32Arrays.
 *
 * Convolutions are lowered to im2col + one GEMM per chunk of images, so all
 * multiply-adds run inside whatever {@link Sgemm} is supplied (native BLAS,
 * the wasm backend's XNNPACK matmul, or JavaScript). The im2col matrix has
 * one row per output pixel and one column per (kh, kw, cin), which matches
 * the tfjs filter layout [kh, kw, cin, cout] read as a [K, cout] matrix, so
 * the filter never needs reshuffling.
 *
 * @module
 */
import type { SimdLoops } from "./simd.ts";
import type { Sgemm } from "./blas.ts";

/** Geometry of a 2-D NHWC convolution (a subset of tfjs' Conv2DInfo). */
export interface ConvGeometry {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
}

/** Upper bound on im2col scratch, in floats (32 MiB): large batches are chunked. */
const MAX_COL_FLOATS = 8 * 1024 * 1024;

let colScratch = new Float32Array(0);
/** Scratch for the shifted-GEMM (taps) conv forms, separate from im2col's. */
let padScratch = new Float32Array(0);

function scratch(size: number): Float32Array {
  if (colScratch.length < size) colScratch = new Float32Array(size);
  return colScratch;
}

function imagesPerChunk(g: ConvGeometry): number {
  const perImage = g.outHeight * g.outWidth * g.filterHeight * g.filterWidth *
    g.inChannels;
  return Math.max(
    1,
    Math.min(g.batchSize, Math.floor(MAX_COL_FLOATS / perImage)),
  );
}

/**
 * Call `fn` for each chunk of images [n0, n1) small enough that its
 * im2col rows (`rows` × K floats) fit the column scratch, which it gets.
 */
function forEachColumnChunk(
  g: ConvGeometry,
  fn: (n0: number, n1: number, rows: number, col: Float32Array) => void,
): void {
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const pix = g.outHeight * g.outWidth;
  const step = imagesPerChunk(g);
  for (let n0 = 0; n0 < g.batchSize; n0 += step) {
    const n1 = Math.min(g.batchSize, n0 + step);
    const rows = (n1 - n0) * pix;
    fn(n0, n1, rows, scratch(rows * K));
  }
}

/**
 * Writes the im2col rows of images [n0, n1) into `col` ([P, K] row-major).
 * A filter row (kw = 0..KW-1 at fixed kh) is contiguous in NHWC input when
 * the width dilation is 1 and it lies fully inside the image, so it is
 * copied in one `set`; edges fall back to per-pixel copies with zero fill.
 */
export function im2col(
  x: Float32Array,
  g: ConvGeometry,
  n0: number,
  n1: number,
  col: Float32Array,
): void {
  const {
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight: OH,
    outWidth: OW,
  } = g;
  const KH = g.filterHeight, KW = g.filterWidth;
  const K = KH * KW * C;
  const rowRun = KW * C;
  const contiguous = g.dilationWidth === 1;
  let r = 0;
  for (let n = n0; n < n1; n++) {
    const xn = n * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * g.strideHeight - g.padTop;
      for (let ow = 0; ow < OW; ow++, r++) {
        const iw0 = ow * g.strideWidth - g.padLeft;
        const row = r * K;
        for (let kh = 0; kh < KH; kh++) {
          const ih = ih0 + kh * g.dilationHeight;
          const dst = row + kh * rowRun;
          if (ih < 0 || ih >= H) {
            col.fill(0, dst, dst + rowRun);
            continue;
          }
          const xrow = xn + ih * W * C;
          if (contiguous && iw0 >= 0 && iw0 + KW <= W) {
            const src = xrow + iw0 * C;
            if (rowRun < 32) {
              for (let i = 0; i < rowRun; i++) col[dst + i] = x[src + i];
            } else {
              col.set(x.subarray(src, src + rowRun), dst);
            }
            continue;
          }
          for (let kw = 0; kw < KW; kw++) {
            const iw = iw0 + kw * g.dilationWidth;
            const d = dst + kw * C;
            if (iw < 0 || iw >= W) {
              col.fill(0, d, d + C);
            } else {
              const src = xrow + iw * C;
              for (let c = 0; c < C; c++) col[d + c] = x[src + c];
            }
          }
        }
      }
    }
  }
}

/** Scatter-adds im2col rows of images [n0, n1) back into `dx` (the adjoint of im2col). */
export function col2im(
  col: Float32Array,
  g: ConvGeometry,
  n0: number,
  n1: number,
  dx: Float32Array,
): void {
  const {
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight: OH,
    outWidth: OW,
  } = g;
  const KH = g.filterHeight, KW = g.filterWidth;
  const K = KH * KW * C;
  let r = 0;
  for (let n = n0; n < n1; n++) {
    const xn = n * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * g.strideHeight - g.padTop;
      for (let ow = 0; ow < OW; ow++, r++) {
        const iw0 = ow * g.strideWidth - g.padLeft;
        const row = r * K;
        for (let kh = 0; kh < KH; kh++) {
          const ih = ih0 + kh * g.dilationHeight;
          if (ih < 0 || ih >= H) continue;
          const xrow = xn + ih * W * C;
          for (let kw = 0; kw < KW; kw++) {
            const iw = iw0 + kw * g.dilationWidth;
            if (iw < 0 || iw >= W) continue;
            const d = xrow + iw * C;
            const s = row + (kh * KW + kw) * C;
            for (let c = 0; c < C; c++) dx[d + c] += col[s + c];
          }
        }
      }
    }
  }
}

/**
 * Forward stride-1 "valid" conv as KH*KW GEMMs, no im2col: on the input
 * grid (row q = (n*H + h)*W + w), yFull[q] = sum over taps of
 * x[q + kh*W + kw] x W[kh,kw], each tap one [M, C] x [C, Co] GEMM on a
 * row-shifted view of x; the valid (oh < OH, ow < OW) rows are then copied
 * out. See conv2dBackpropInputTaps for the trade-off.
 */
function conv2dForwardTaps(
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  g: ConvGeometry,
  gemm: Sgemm,
): void {
  const { inHeight: H, inWidth: W, inChannels: C, outChannels: Co } = g;
  const KH = g.filterHeight, KW = g.filterWidth;
  const M = g.batchSize * H * W - (KH - 1) * W - (KW - 1);
  if (padScratch.length < M * Co) padScratch = new Float32Array(M * Co);
  const full = padScratch;
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const shift = kh * W + kw;
      gemm(
        false,
        false,
        M,
        Co,
        C,
        1,
        x.subarray(shift * C),
        C,
        w.subarray((kh * KW + kw) * C * Co),
        Co,
        shift === 0 ? 0 : 1,
        full,
        Co,
      );
    }
  }
  const run = g.outWidth * Co;
  for (let n = 0; n < g.batchSize; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      const src = (n * H + oh) * W * Co;
      y.set(full.subarray(src, src + run), (n * g.outHeight + oh) * run);
    }
  }
}

/**
 * Forward convolution: y[N*OH*OW, Cout] = im2col(x) x W[K, Cout].
 * `y` must have N*OH*OW*Cout elements; it is overwritten. With `taps`
 * (cheap GEMM calls, i.e. BLAS) and a stride-1 valid conv, the shifted-GEMM
 * form is used instead.
 */
export function conv2dForward(
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  g: ConvGeometry,
  gemm: Sgemm,
  taps = false,
): void {
  if (taps && tapsApply(g)) {
    conv2dForwardTaps(x, w, y, g, gemm);
    return;
  }
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const pix = g.outHeight * g.outWidth;
  const Co = g.outChannels;
  forEachColumnChunk(g, (n0, n1, rows, col) => {
    im2col(x, g, n0, n1, col);
    gemm(
      false,
      false,
      rows,
      Co,
      K,
      1,
      col,
      K,
      w,
      Co,
      0,
      y.subarray(n0 * pix * Co),
      Co,
    );
  });
}

/** dy copied onto the input grid (zeros where oh >= OH or ow >= OW), M rows. */
function dyOnInputGrid(dy: Float32Array, g: ConvGeometry, M: number) {
  const { inHeight: H, inWidth: W, outChannels: Co } = g;
  if (padScratch.length < M * Co) padScratch = new Float32Array(M * Co);
  const pad = padScratch;
  pad.fill(0, 0, M * Co);
  const run = g.outWidth * Co;
  for (let n = 0; n < g.batchSize; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      const src = (n * g.outHeight + oh) * run;
      pad.set(dy.subarray(src, src + run), (n * H + oh) * W * Co);
    }
  }
  return pad;
}

/**
 * Filter gradient of a stride-1 "valid" conv as KH*KW GEMMs, no im2col:
 * dW[kh,kw] = x[q + kh*W + kw]^T x dyGrid[q] summed over grid rows q.
 */
function conv2dBackpropFilterTaps(
  x: Float32Array,
  dy: Float32Array,
  dw: Float32Array,
  g: ConvGeometry,
  gemm: Sgemm,
): void {
  const { inWidth: W, inChannels: C, outChannels: Co } = g;
  const KH = g.filterHeight, KW = g.filterWidth;
  const M = g.batchSize * g.inHeight * W - (KH - 1) * W - (KW - 1);
  const pad = dyOnInputGrid(dy, g, M);
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const shift = kh * W + kw;
      gemm(
        true,
        false,
        C,
        Co,
        M,
        1,
        x.subarray(shift * C),
        C,
        pad,
        Co,
        0,
        dw.subarray((kh * KW + kw) * C * Co),
        Co,
      );
    }
  }
}

/**
 * Filter gradient: dW[K, Cout] = im2col(x)^T x dy[N*OH*OW, Cout], accumulated
 * over image chunks with beta = 1. `dw` is overwritten. With `taps` and a
 * stride-1 valid conv, the shifted-GEMM form is used instead.
 */
export function conv2dBackpropFilter(
  x: Float32Array,
  dy: Float32Array,
  dw: Float32Array,
  g: ConvGeometry,
  gemm: Sgemm,
  taps = false,
): void {
  if (taps && tapsApply(g)) {
    conv2dBackpropFilterTaps(x, dy, dw, g, gemm);
    return;
  }
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const pix = g.outHeight * g.outWidth;
  const Co = g.outChannels;
  // No images, no chunk, no GEMM to write dW: the sum over none is zero.
  if (g.batchSize === 0) dw.fill(0);
  forEachColumnChunk(g, (n0, n1, rows, col) => {
    im2col(x, g, n0, n1, col);
    gemm(
      true,
      false,
      K,
      Co,
      rows,
      1,
      col,
      K,
      dy.subarray(n0 * pix * Co),
      Co,
      n0 === 0 ? 0 : 1,
      dw,
      Co,
    );
  });
}

/**
 * Whether {@link conv2dBackpropInput} can use the shifted-GEMM form:
 * stride 1, no dilation, no padding ("valid"), and enough channels that
 * the 9 (KH*KW) GEMMs are not degenerate.
 */
export function tapsApply(g: ConvGeometry): boolean {
  return g.strideHeight === 1 && g.strideWidth === 1 &&
    g.dilationHeight === 1 && g.dilationWidth === 1 && g.padTop === 0 &&
    g.padLeft === 0 && g.inChannels >= 16 && g.outChannels >= 16 &&
    g.outHeight === g.inHeight - g.filterHeight + 1 &&
    g.outWidth === g.inWidth - g.filterWidth + 1;
}

/**
 * Input gradient of a stride-1 "valid" conv as KH*KW GEMMs, no col2im.
 * Laid out on the input grid (row q = (n*H + h)*W + w), tap (kh, kw) adds
 * dy[q] x W[kh,kw]^T to dx[q + kh*W + kw]: a plain row shift. dy is first
 * copied onto that grid (zeros where ow >= OW or oh >= OH), so each tap is
 * one [M, Co] x [Co, C] GEMM accumulating (beta = 1) into a shifted view of
 * dx. ~40 % more multiply-adds than im2col (the zero rows) but none of
 * col2im's 9x scatter-add traffic: 9.6 -> ~5 ms on the CNN's second conv.
 */
function conv2dBackpropInputTaps(
  dy: Float32Array,
  w: Float32Array,
  dx: Float32Array,
  g: ConvGeometry,
  gemm: Sgemm,
): void {
  const { inHeight: H, inWidth: W, inChannels: C, outChannels: Co } = g;
  const KH = g.filterHeight, KW = g.filterWidth;
  const rows = g.batchSize * H * W;
  const M = rows - (KH - 1) * W - (KW - 1);
  const pad = dyOnInputGrid(dy, g, M);
  dx.fill(0, M * C); // rows only reached by beta = 1 taps
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const shift = kh * W + kw;
      const tap = (kh * KW + kw) * C * Co;
      gemm(
        false,
        true,
        M,
        C,
        Co,
        1,
        pad,
        Co,
        w.subarray(tap),
        Co,
        shift === 0 ? 0 : 1,
        dx.subarray(shift * C),
        C,
      );
    }
  }
}

/**
 * Input gradient: dcol = dy x W^T, then col2im into dx. `dx` is overwritten.
 * With `taps` (cheap GEMM calls, i.e. BLAS) and a stride-1 valid conv, the
 * shifted-GEMM form is used instead.
 */
export function conv2dBackpropInput(
  dy: Float32Array,
  w: Float32Array,
  dx: Float32Array,
  g: ConvGeometry,
  gemm: Sgemm,
  taps = false,
): void {
  if (taps && tapsApply(g)) {
    conv2dBackpropInputTaps(dy, w, dx, g, gemm);
    return;
  }
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const pix = g.outHeight * g.outWidth;
  const Co = g.outChannels;
  dx.fill(0);
  forEachColumnChunk(g, (n0, n1, rows, col) => {
    gemm(
      false,
      true,
      rows,
      K,
      Co,
      1,
      dy.subarray(n0 * pix * Co),
      Co,
      w,
      Co,
      0,
      col,
      K,
    );
    col2im(col, g, n0, n1, dx);
  });
}

/** Geometry of a 2-D NHWC pooling window. */
export interface PoolGeometry {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
}

/**
 * Max-pool gradient: routes each dy to the first maximum of its window
 * (same tie rule as tfjs' reference: a later element wins only if `>`).
 * Channels are the innermost loop so every read is sequential; the running
 * maxima live in two small per-channel arrays. `dx` is overwritten.
 */
export function maxPoolGrad(
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  g: PoolGeometry,
): void {
  const { inHeight: H, inWidth: W, channels: C, outHeight: OH, outWidth: OW } =
    g;
  dx.fill(0);
  const best = new Float32Array(C);
  const at = new Int32Array(C);
  let o = 0;
  for (let n = 0; n < g.batchSize; n++) {
    const xn = n * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * g.strideHeight - g.padTop;
      for (let ow = 0; ow < OW; ow++, o += C) {
        const iw0 = ow * g.strideWidth - g.padLeft;
        let first = true;
        for (let kh = 0; kh < g.filterHeight; kh++) {
          const ih = ih0 + kh * g.dilationHeight;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < g.filterWidth; kw++) {
            const iw = iw0 + kw * g.dilationWidth;
            if (iw < 0 || iw >= W) continue;
            const base = xn + (ih * W + iw) * C;
            if (first) {
              for (let c = 0; c < C; c++) {
                best[c] = x[base + c];
                at[c] = base + c;
              }
              first = false;
            } else {
              for (let c = 0; c < C; c++) {
                const v = x[base + c];
                if (v > best[c]) {
                  best[c] = v;
                  at[c] = base + c;
                }
              }
            }
          }
        }
        if (!first) { for (let c = 0; c < C; c++) dx[at[c]] += dy[o + c]; }
      }
    }
  }
}

/** Float bits with -0 mapped to +0, so bit equality is float equality. */
function zeroNormalized(bits: number): number {
  const mag = bits & 0x7fffffff;
  return bits & ((mag | -mag) >> 31);
}

/**
 * MaxPoolGrad for 2x2 windows, stride 2, no padding (the CNN's pools),
 * using the forward output `y`: the gradient goes to the first element of
 * each window equal to its maximum — the reference's rule (a later element
 * wins only if strictly greater). Works on float bit patterns without data
 * dependent branches: which element is the max is random in real data, and
 * mispredicted branches dominate a compare-and-branch loop. Returns false
 * (leaving `dx` unspecified) if some window has no element equal to its
 * output or a NaN maximum — e.g. `y` not from this `x` — so the caller can
 * use the general {@link maxPoolGrad}.
 */
export function maxPoolGrad2x2(
  x: Float32Array,
  y: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  g: PoolGeometry,
): boolean {
  const { inHeight: H, inWidth: W, channels: C, outHeight: OH, outWidth: OW } =
    g;
  // Rows/columns past the last full window (odd sizes) get no gradient.
  if (H !== 2 * OH || W !== 2 * OW) dx.fill(0);
  const xi = new Int32Array(x.buffer, x.byteOffset, x.length);
  const yi = new Int32Array(y.buffer, y.byteOffset, y.length);
  const di = new Int32Array(dy.buffer, dy.byteOffset, dy.length);
  const oi = new Int32Array(dx.buffer, dx.byteOffset, dx.length);
  const rowC = W * C;
  let bad = 0;
  let o = 0;
  for (let n = 0; n < g.batchSize; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, o += C) {
        const a = (n * H + 2 * oh) * rowC + 2 * ow * C;
        const b = a + C, c = a + rowC, d = c + C;
        for (let k = 0; k < C; k++) {
          const m = zeroNormalized(yi[o + k]);
          // eq* = -1 when that element equals the max, else 0.
          let t = zeroNormalized(xi[a + k]) ^ m;
          const ea = ~((t | -t) >> 31);
          t = zeroNormalized(xi[b + k]) ^ m;
          const eb = ~((t | -t) >> 31) & ~ea;
          t = zeroNormalized(xi[c + k]) ^ m;
          const ec = ~((t | -t) >> 31) & ~(ea | eb);
          t = zeroNormalized(xi[d + k]) ^ m;
          const ed = ~((t | -t) >> 31) & ~(ea | eb | ec);
          const grad = di[o + k];
          oi[a + k] = grad & ea;
          oi[b + k] = grad & eb;
          oi[c + k] = grad & ec;
          oi[d + k] = grad & ed;
          // Negative if no element matched or the max is NaN.
          bad |= ~(ea | eb | ec | ed) | (0x7f800000 - (m & 0x7fffffff));
        }
      }
    }
  }
  return bad >= 0;
}

/**
 * {@link maxPoolGrad2x2} through the wasm SIMD loop, one output row per
 * call (C must be a multiple of 4; all arrays views into the wasm heap).
 * Same rule, same bits; returns false in the same cases.
 */
export function maxPoolGrad2x2Simd(
  loops: SimdLoops,
  x: Float32Array,
  y: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  g: PoolGeometry,
): boolean {
  const { inHeight: H, inWidth: W, channels: C, outHeight: OH, outWidth: OW } =
    g;
  if (H !== 2 * OH || W !== 2 * OW) dx.fill(0);
  let bad = 0;
  for (let n = 0; n < g.batchSize; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const inRow = (n * H + 2 * oh) * W * C * 4;
      const outRow = (n * OH + oh) * OW * C * 4;
      bad |= loops.maxPoolGrad2x2(
        x.byteOffset + inRow,
        y.byteOffset + outRow,
        dy.byteOffset + outRow,
        dx.byteOffset + inRow,
        W * C * 4,
        C * 4,
        OW * C * 4,
      );
    }
  }
  return bad === 0;
}
