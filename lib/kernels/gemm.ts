/**
 * The GEMMs the flat-array kernels use when there is no native BLAS: the
 * wasm backend's own XNNPACK matmul, or portable JavaScript (cpu).
 *
 * @module
 */
import { tf } from "../core/mod.ts";
import { guardEmpty, type Sgemm } from "./blas.ts";
import type { WasmBackendLike } from "./io.ts";

export type { Sgemm } from "./blas.ts";

let scratchA = new Float32Array(0);
let scratchB = new Float32Array(0);

/** Copies op(X) (rows x cols after the op) into a dense row-major scratch. */
function dense(
  trans: boolean,
  rows: number,
  cols: number,
  x: Float32Array,
  ld: number,
  which: "a" | "b",
): Float32Array {
  if (!trans && ld === cols) return x;
  let s = which === "a" ? scratchA : scratchB;
  if (s.length < rows * cols) {
    s = new Float32Array(rows * cols);
    if (which === "a") scratchA = s;
    else scratchB = s;
  }
  if (trans) {
    // x is stored cols x rows with leading dimension ld.
    for (let c = 0; c < cols; c++) {
      const src = c * ld;
      for (let r = 0; r < rows; r++) s[r * cols + c] = x[src + r];
    }
  } else {
    for (let r = 0; r < rows; r++) {
      s.set(x.subarray(r * ld, r * ld + cols), r * cols);
    }
  }
  return s;
}

/**
 * Row-major sgemm in JavaScript (i-p-j loop order so the inner loop streams
 * through contiguous rows of B and C, which V8 turns into tight code).
 * Transposed operands are first copied into dense scratch buffers. Empty
 * shapes (m, n or k ≤ 0) are handled by {@link guardEmpty}.
 */
export const jsSgemm: Sgemm = guardEmpty((
  transA,
  transB,
  m,
  n,
  k,
  alpha,
  a,
  lda,
  b,
  ldb,
  beta,
  c,
  ldc,
) => {
  const A = dense(transA, m, k, a, lda, "a");
  const B = dense(transB, k, n, b, ldb, "b");
  for (let i = 0; i < m; i++) {
    const ci = i * ldc;
    if (beta === 0) c.fill(0, ci, ci + n);
    else if (beta !== 1) { for (let j = 0; j < n; j++) c[ci + j] *= beta; }
    const ai = i * k;
    for (let p = 0; p < k; p++) {
      const av = alpha * A[ai + p];
      if (av === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += av * B[bp + j];
    }
  }
});

/**
 * An Sgemm that runs on the wasm backend's own BatchMatMul (XNNPACK). The
 * operands are copied (transposed if needed) into heap tensors so the wasm
 * kernel always sees the untransposed case, its fast path.
 */
export function wasmSgemm(backend: object, batchMatMul: tf.KernelFunc): Sgemm {
  const b = backend as WasmBackendLike;
  // Empty products never reach the backend's matmul (see guardEmpty).
  return guardEmpty((tA, tB, m, n, k, alpha, a, lda, bm, ldb, beta, c, ldc) => {
    const ta = packOperand(b, tA, m, k, a, lda);
    const tb = packOperand(b, tB, k, n, bm, ldb);
    const out = batchMatMul({
      inputs: { a: ta, b: tb },
      backend,
      attrs: { transposeA: false, transposeB: false },
    }) as tf.TensorInfo;
    const o = b.typedArrayFromHeap(out) as Float32Array;
    storeScaled(o, m, n, alpha, beta, c, ldc);
    b.disposeData(ta.dataId);
    b.disposeData(tb.dataId);
    b.disposeData(out.dataId);
  });
}

/**
 * op(X) (rows x cols after the op; X has leading dimension `ld`) copied
 * into a fresh [1, rows, cols] heap tensor.
 */
function packOperand(
  b: WasmBackendLike,
  trans: boolean,
  rows: number,
  cols: number,
  x: Float32Array,
  ld: number,
): tf.TensorInfo {
  const t = b.makeOutput([1, rows, cols], "float32");
  const v = b.typedArrayFromHeap(t) as Float32Array;
  if (!trans && ld === cols) v.set(x.subarray(0, rows * cols));
  else if (!trans) {
    for (let r = 0; r < rows; r++) {
      v.set(x.subarray(r * ld, r * ld + cols), r * cols);
    }
  } else {
    for (let c = 0; c < cols; c++) {
      const src = c * ld;
      for (let r = 0; r < rows; r++) v[r * cols + c] = x[src + r];
    }
  }
  return t;
}

/** C = alpha * O + beta * C for a dense [m, n] product O (C's leading dimension ldc). */
function storeScaled(
  o: Float32Array,
  m: number,
  n: number,
  alpha: number,
  beta: number,
  c: Float32Array,
  ldc: number,
): void {
  for (let i = 0; i < m; i++) {
    const ci = i * ldc, oi = i * n;
    if (beta === 0 && alpha === 1) c.set(o.subarray(oi, oi + n), ci);
    else {
      for (let j = 0; j < n; j++) {
        c[ci + j] = alpha * o[oi + j] + beta * c[ci + j];
      }
    }
  }
}
