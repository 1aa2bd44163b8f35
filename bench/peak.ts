/**
 * The machine's single-precision matrix-multiply peak, the yardstick for
 * the training throughput: OpenBLAS' `cblas_sgemm` on all cores (through
 * the project's FFI binding), or — without OpenBLAS — the active tfjs
 * backend's own matmul. Best GFLOP/s over a few square sizes and repeats:
 * a peak is a best case, and on a shared machine the best run is the one
 * least disturbed by others.
 *
 * @module
 */

import { tf } from "../lib/core/mod.ts";
import { loadBlas } from "../lib/kernels/mod.ts";

/** The measured peak. */
export interface SgemmPeak {
  /** Which GEMM: "openblas" or "tfjs-<backend>". */
  gemm: string;
  /** Threads it ran on (OpenBLAS; 1 for tfjs' wasm/cpu backends). */
  threads: number;
  /** Best GFLOP/s (2·n³ per n×n product). */
  gflops: number;
  /** The size n at which the best was reached. */
  size: number;
  /** Best GFLOP/s per size tried. */
  bySize: Record<string, number>;
}

/** Options of {@link measureSgemmPeak}. */
export interface PeakOptions {
  /** Square sizes to try (default 512, 1024, 2048). */
  sizes?: readonly number[];
  /** Timed products per size (default 3). */
  repeats?: number;
  /** OpenBLAS threads (default: the cores this process may use). */
  threads?: number;
  /** Skip OpenBLAS and time the tfjs backend's matmul (default false). */
  noBlas?: boolean;
}

/** Deterministic filler: the values don't matter, only that they're finite. */
function filled(n: number): Float32Array {
  const a = new Float32Array(n * n);
  for (let i = 0; i < a.length; i++) a[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  return a;
}

/**
 * Measure the SGEMM peak. OpenBLAS' thread count is global to the process,
 * so it is set back to 1 (what the training kernels use) afterwards.
 *
 * @example
 * ```ts
 * const peak = measureSgemmPeak({ sizes: [256], repeats: 1 });
 * console.log(`${peak.gemm}: ${peak.gflops.toFixed(0)} GFLOP/s`);
 * ```
 */
export function measureSgemmPeak(options: PeakOptions = {}): SgemmPeak {
  const sizes = options.sizes ?? [512, 1024, 2048];
  const repeats = options.repeats ?? 3;
  const threads = options.threads ?? navigator.hardwareConcurrency;
  const blas = options.noBlas ? null : loadBlas({ threads });
  const bySize: Record<string, number> = {};
  try {
    for (const n of sizes) {
      const a = filled(n), b = filled(n);
      let best = Infinity;
      if (blas) {
        const c = new Float32Array(n * n);
        blas.sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n); // warm-up
        for (let r = 0; r < repeats; r++) {
          const t0 = performance.now();
          blas.sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n);
          best = Math.min(best, performance.now() - t0);
        }
      } else {
        const ta = tf.tensor2d(a, [n, n]), tb = tf.tensor2d(b, [n, n]);
        for (let r = 0; r <= repeats; r++) {
          const t0 = performance.now();
          const c = tf.matMul(ta, tb);
          c.dataSync();
          const ms = performance.now() - t0;
          if (r > 0) best = Math.min(best, ms); // r = 0 warms up
          c.dispose();
        }
        tf.dispose([ta, tb]);
      }
      bySize[n] = (2 * n ** 3) / (best / 1000) / 1e9;
    }
  } finally {
    blas?.setThreads(1);
  }
  const size = sizes.reduce((s, n) => bySize[n] > bySize[s] ? n : s);
  return {
    gemm: blas ? "openblas" : `tfjs-${tf.getBackend()}`,
    threads: blas ? threads : 1,
    gflops: bySize[size],
    size,
    bySize,
  };
}
