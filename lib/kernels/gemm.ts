/**
 * Portable single-precision GEMM in plain JavaScript, used when neither a
 * native BLAS nor a backend matmul is available to the flat-array kernels.
 *
 * @module
 */
import { guardEmpty, type Sgemm } from "./blas.ts";

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
