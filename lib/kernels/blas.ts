/**
 * Optional native BLAS (OpenBLAS) through Deno FFI.
 *
 * Only `cblas_sgemm` is needed: every heavy kernel (matmul, conv forward via
 * im2col, both conv backprops) reduces to it. Float32Arrays are handed to the
 * library as `buffer` parameters, so no copy is made. When the library or the
 * `--allow-ffi` permission is missing, {@link loadBlas} returns `null` and
 * callers fall back to JavaScript / the tfjs backend's own kernels.
 *
 * @module
 */

/** Row-major single-precision GEMM: C = alpha * op(A) * op(B) + beta * C. */
export type Sgemm = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
) => void;

/** A loaded BLAS library. */
export interface Blas {
  /** Row-major sgemm over Float32Array views (offsets are honoured). */
  sgemm: Sgemm;
  /** Sets OpenBLAS' thread count (no-op if the library lacks the symbol). */
  setThreads(n: number): void;
  /** The path that was opened. */
  path: string;
  /** OpenBLAS' build description (core, threading), or "" if unknown. */
  config: string;
  /** Unloads the library. */
  close(): void;
}

/** Options for {@link loadBlas}. */
export interface LoadBlasOptions {
  /** Explicit library path; otherwise `$OPENBLAS_LIB` then common names. */
  path?: string;
  /** Thread count to set after loading (default: leave OpenBLAS' choice). */
  threads?: number;
}

const CBLAS_ROW_MAJOR = 101;
const CBLAS_NO_TRANS = 111;
const CBLAS_TRANS = 112;

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "f32",
      "buffer",
      "i32",
    ],
    result: "void",
  },
  openblas_set_num_threads: {
    parameters: ["i32"],
    result: "void",
    optional: true,
  },
  openblas_get_config: { parameters: [], result: "pointer", optional: true },
} as const;

/**
 * `sgemm` with the degenerate shapes done here instead: with m or n ≤ 0
 * there is no C to write, with k ≤ 0 the product is empty and C = β·C
 * (zeros when β = 0, as BLAS defines it). OpenBLAS rejects a negative
 * size, or a leading dimension below 1, with "On entry to SGEMM parameter
 * number N had an illegal value" and returns with C unwritten; an empty
 * batch reaches it that way through the conv kernels' shifted-GEMM forms,
 * whose row counts go negative.
 */
export function guardEmpty(sgemm: Sgemm): Sgemm {
  return (tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) => {
    if (m > 0 && n > 0 && k > 0) {
      sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    if (m <= 0 || n <= 0 || beta === 1) return;
    for (let i = 0; i < m; i++) {
      const row = c.subarray(i * ldc, i * ldc + n);
      if (beta === 0) row.fill(0);
      else for (let j = 0; j < n; j++) row[j] *= beta;
    }
  };
}

function candidatePaths(explicit?: string): string[] {
  if (explicit) return [explicit];
  const out: string[] = [];
  try {
    const env = Deno.env.get("OPENBLAS_LIB");
    if (env) out.push(env);
  } catch {
    // --allow-env not granted: just try the usual names.
  }
  if (Deno.build.os === "darwin") {
    out.push(
      "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
      "/usr/local/opt/openblas/lib/libopenblas.dylib",
      "libopenblas.dylib",
    );
  } else if (Deno.build.os === "windows") {
    out.push("libopenblas.dll", "openblas.dll");
  } else {
    // Debian: libopenblas0-pthread / libopenblas0-openmp / -serial all
    // provide this soname through update-alternatives.
    out.push(
      "libopenblas.so.0",
      "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
      "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
      "libopenblas.so",
    );
  }
  return out;
}

/**
 * Opens OpenBLAS if possible.
 *
 * @returns the library, or `null` when FFI is not permitted or no library
 *   could be opened (never throws for those cases).
 */
export function loadBlas(options: LoadBlasOptions = {}): Blas | null {
  if (typeof Deno === "undefined" || typeof Deno.dlopen !== "function") {
    return null;
  }
  // Ask without prompting: an interactive permission prompt in the middle
  // of a training run would be worse than the slower fallback.
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    return null;
  }
  for (const path of candidatePaths(options.path)) {
    let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
    try {
      lib = Deno.dlopen(path, SYMBOLS);
    } catch {
      // Missing file, wrong arch or no --allow-ffi: try the next name.
      continue;
    }
    const sym = lib.symbols;
    const raw = sym.cblas_sgemm;
    const sgemm: Sgemm = guardEmpty((
      tA,
      tB,
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
    ) =>
      raw(
        CBLAS_ROW_MAJOR,
        tA ? CBLAS_TRANS : CBLAS_NO_TRANS,
        tB ? CBLAS_TRANS : CBLAS_NO_TRANS,
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
      )
    );
    let config = "";
    if (sym.openblas_get_config) {
      const p = sym.openblas_get_config();
      if (p) config = new Deno.UnsafePointerView(p).getCString();
    }
    const blas: Blas = {
      sgemm,
      path,
      config,
      setThreads(n: number) {
        sym.openblas_set_num_threads?.(n);
      },
      close() {
        lib.close();
      },
    };
    if (options.threads !== undefined) blas.setThreads(options.threads);
    return blas;
  }
  return null;
}
