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
 * Forward convolution: y[N*OH*OW, Cout] = im2col(x) x W[K, Cout].
 * `y` must have N*OH*OW*Cout elements; it is overwritten.
 */
export function conv2dForward(
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  g: ConvGeometry,
  gemm: Sgemm,
): void {
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const pix = g.outHeight * g.outWidth;
  const Co = g.outChannels;
  const step = imagesPerChunk(g);
  for (let n0 = 0; n0 < g.batchSize; n0 += step) {
    const n1 = Math.min(g.batchSize, n0 + step);
    const rows = (n1 - n0) * pix;
    const col = scratch(rows * K);
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
  }
}

/**
 * Filter gradient: dW[K, Cout] = im2col(x)^T x dy[N*OH*OW, Cout], accumulated
 * over image chunks with beta = 1. `dw` is overwritten.
 */
export function conv2dBackpropFilter(
  x: Float32Array,
  dy: Float32Array,
  dw: Float32Array,
  g: ConvGeometry,
  gemm: Sgemm,
): void {
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const pix = g.outHeight * g.outWidth;
  const Co = g.outChannels;
  const step = imagesPerChunk(g);
  for (let n0 = 0; n0 < g.batchSize; n0 += step) {
    const n1 = Math.min(g.batchSize, n0 + step);
    const rows = (n1 - n0) * pix;
    const col = scratch(rows * K);
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
  }
}

/**
 * Input gradient: dcol = dy x W^T, then col2im into dx. `dx` is overwritten.
 */
export function conv2dBackpropInput(
  dy: Float32Array,
  w: Float32Array,
  dx: Float32Array,
  g: ConvGeometry,
  gemm: Sgemm,
): void {
  const K = g.filterHeight * g.filterWidth * g.inChannels;
  const pix = g.outHeight * g.outWidth;
  const Co = g.outChannels;
  const step = imagesPerChunk(g);
  dx.fill(0);
  for (let n0 = 0; n0 < g.batchSize; n0 += step) {
    const n1 = Math.min(g.batchSize, n0 + step);
    const rows = (n1 - n0) * pix;
    const col = scratch(rows * K);
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
  }
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
