/**
 * The one object every kernel family is built from: which backend, which
 * GEMM (and with it the BLAS handle and how kernels reach tensor memory),
 * the caller's options, and the backend's original kernels, which our
 * replacements fall back to for the cases they do not handle.
 *
 * @module
 */
import { tf } from "../core/mod.ts";
import { type Blas, loadBlas, type Sgemm } from "./blas.ts";
import { jsSgemm, wasmSgemm } from "./gemm.ts";
import { cpuIO, type FlatIO, wasmIO } from "./io.ts";

/** Backends that get our kernels. */
export type FastBackendName = "cpu" | "wasm";

/** Options for {@link registerFastKernels}. */
export interface FastKernelOptions {
  /**
   * Native BLAS: `true` (default) loads OpenBLAS if present, `false` never
   * does, or pass an already loaded {@link Blas}.
   */
  blas?: boolean | Blas;
  /** OpenBLAS thread count when it is loaded here (default 1: measured best). */
  blasThreads?: number;
  /**
   * Also replace the conv forward on wasm with im2col + BLAS (only when BLAS
   * is loaded). Default true.
   */
  wasmConvForward?: boolean;
  /**
   * Install the fused gradients of gradients.ts (BatchNorm, Mean, Square,
   * Relu) and their kernels. Default true.
   */
  fastGradients?: boolean;
}

/** Which GEMM the heavy kernels lower to. */
export type GemmName = "openblas" | "wasm-xnnpack" | "js";

/** The GEMM the heavy kernels lower to, and what goes with it. */
export interface Gemm {
  readonly name: GemmName;
  /** The GEMM to call while a kernel runs on `backend`. */
  sgemmFor(backend: object): Sgemm;
  /**
   * Flat views for kernels that run the GEMM: on wasm without BLAS the
   * GEMM allocates on the heap, so views there are copies.
   */
  ioFor(backend: object): FlatIO;
  /**
   * Whether stride-1 valid convs use the shifted-GEMM form (KH·KW small
   * GEMM calls): it pays only when a call is cheap, i.e. with BLAS.
   */
  readonly useTaps: boolean;
}

/** What each kernel family is built from (one per registration call). */
export interface KernelContext {
  readonly backendName: FastBackendName;
  readonly isWasm: boolean;
  /** OpenBLAS, when loaded (the BLAS matmul family runs on it directly). */
  readonly blas: Blas | null;
  readonly gemm: Gemm;
  readonly options: FastKernelOptions;
  /**
   * The backend's kernel `name` as first seen by any registration call
   * (so calling again never wraps our own kernels), if it has one.
   */
  original(name: string): tf.KernelConfig | undefined;
  /** The original kernel's function, or one that throws if there is none. */
  fallback(name: string): tf.KernelFunc;
  /**
   * A config replacing kernel `name`. It keeps the original's setupFunc:
   * wasm kernels bind their C functions there, and our kernels call the
   * original kernelFunc as fallback.
   */
  replacing(name: string, kernelFunc: tf.KernelFunc): tf.KernelConfig;
}

/** A kernel family: the configs it registers under `ctx` (maybe none). */
export type KernelFamily = (ctx: KernelContext) => tf.KernelConfig[];

/** Originals by `${backend}_${kernel}`, kept across registration calls. */
const originals = new Map<string, tf.KernelConfig>();

/**
 * The context for registering on `backendName` with `options`: loads
 * OpenBLAS unless told not to, and picks the GEMM.
 */
export function makeKernelContext(
  backendName: FastBackendName,
  options: FastKernelOptions,
): KernelContext {
  const isWasm = backendName === "wasm";
  const blas = options.blas === false
    ? null
    : typeof options.blas === "object"
    ? options.blas
    : loadBlas({ threads: options.blasThreads ?? 1 });
  const original = (name: string): tf.KernelConfig | undefined => {
    const key = `${backendName}_${name}`;
    const saved = originals.get(key);
    if (saved) return saved;
    const k = tf.getKernel(name, backendName);
    if (k) originals.set(key, k);
    return k;
  };
  const fallback = (name: string): tf.KernelFunc => {
    const orig = original(name);
    return orig ? orig.kernelFunc : () => {
      throw new Error(`fast kernels: no ${name} fallback on ${backendName}`);
    };
  };
  const replacing = (name: string, kernelFunc: tf.KernelFunc) => ({
    kernelName: name,
    backendName,
    kernelFunc,
    setupFunc: original(name)?.setupFunc,
  });
  const gemm = chooseGemm(isWasm, blas, fallback("BatchMatMul"));
  return {
    backendName,
    isWasm,
    blas,
    gemm,
    options,
    original,
    fallback,
    replacing,
  };
}

/**
 * Native OpenBLAS when loaded; else, on wasm, the backend's own XNNPACK
 * matmul (`batchMatMul`, its original BatchMatMul); else JavaScript.
 */
function chooseGemm(
  isWasm: boolean,
  blas: Blas | null,
  batchMatMul: tf.KernelFunc,
): Gemm {
  if (blas) {
    return {
      name: "openblas",
      sgemmFor: () => blas.sgemm,
      ioFor: isWasm ? (b) => wasmIO(b, true) : cpuIO,
      useTaps: true,
    };
  }
  if (isWasm) {
    return {
      name: "wasm-xnnpack",
      sgemmFor: wasmSgemmCache(batchMatMul),
      ioFor: (b) => wasmIO(b, false),
      useTaps: false,
    };
  }
  return { name: "js", sgemmFor: () => jsSgemm, ioFor: cpuIO, useTaps: false };
}

/**
 * The wasm GEMM for a backend object, rebuilt only when the object changes:
 * it is known only when a kernel runs.
 */
function wasmSgemmCache(
  batchMatMul: tf.KernelFunc,
): (backend: object) => Sgemm {
  let cached: { backend: object; gemm: Sgemm } | null = null;
  return (backend) => {
    if (!cached || cached.backend !== backend) {
      cached = { backend, gemm: wasmSgemm(backend, batchMatMul) };
    }
    return cached.gemm;
  };
}
