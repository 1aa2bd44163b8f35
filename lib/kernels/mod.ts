/**
 * Kernels this project registers on tfjs backends: the ones a backend
 * lacks for training (wasm has no `Conv2DBackpropFilter`), replacements
 * for wrong ones (wasm's `MaxPoolGrad` drops gradients; its `_FusedMatMul`
 * mishandles transposed inputs) and faster ones for slow ones (conv
 * backprops, transposed matmuls, the reductions BatchNorm uses). Heavy
 * kernels lower to one GEMM: OpenBLAS through Deno's FFI when the library
 * and `--allow-ffi` are there, else the backend's own matmul. It also
 * installs (process-wide, via `tf.registerGradient`) single-pass gradients
 * for FusedBatchNorm, Mean, Square and Relu (gradients.ts), which fall back
 * to tfjs' own on backends without the fused kernels. On wasm the
 * elementwise and reduction loops that dominate a training step (Relu and
 * Square gradients, BatchNorm forward and backward, Sum/Mean, 2x2
 * MaxPoolGrad, Adam) run as WebAssembly SIMD (simd.wat, built into simd_wasm.ts by `deno task build:wasm`) on the backend's heap
 * (simd.ts), bit-identical to their JavaScript twins. BatchNormalization
 * in training is one op each way: {@link FusedBatchNormalization} (the
 * stock layer, saved as it) calls our `FastBatchNormTrain` kernel, whose
 * gradient is one kernel too (batch_norm_train.ts). Each kernel and
 * gradient is tested against tfjs' reference cpu kernels
 * (tests/kernels_test.ts).
 *
 * Layout: configs/ holds one file per kernel family (conv, pooling,
 * reductions, BatchNorm, matmul with BLAS, matmul on wasm without it,
 * Identity/Cast, gradient kernels), each turning one shared context
 * (context.ts: backend, GEMM, options, original kernels) into tfjs kernel
 * configs; register.ts lists the families and registers their configs.
 * The loops they run live beside them: conv.ts, reduce.ts, grad_math.ts,
 * gemm.ts, blas.ts, simd.ts.
 *
 * @module
 */

import {
  type FastKernelOptions,
  type FastKernelReport,
  registerFastKernels,
} from "./register.ts";

export { type FastKernelOptions, type FastKernelReport, registerFastKernels };
export * from "./backend.ts";
export {
  type Blas,
  loadBlas,
  type LoadBlasOptions,
  type Sgemm,
} from "./blas.ts";
export { fusedAdamUpdate } from "./adam.ts";
export {
  type BatchNormArgs,
  FusedBatchNormalization,
} from "./batch_norm_layer.ts";

/**
 * Register the training kernels for `backend` ("wasm" or "cpu").
 * `NOISY_MNIST_BLAS=0` in the environment keeps OpenBLAS out (for
 * comparisons, or to match a run made without it).
 *
 * @example
 * ```ts
 * import { tf } from "../core/mod.ts";
 *
 * await tf.setBackend("wasm");
 * const report = registerTrainingKernels("wasm");
 * console.log(report.gemm); // "openblas" or "wasm-xnnpack"
 * ```
 */
export function registerTrainingKernels(
  backend: "wasm" | "cpu",
  options: FastKernelOptions = {},
): FastKernelReport {
  const blasAllowed = readEnv("NOISY_MNIST_BLAS") !== "0";
  return registerFastKernels(backend, {
    ...options,
    blas: blasAllowed ? options.blas ?? true : false,
  });
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: use the defaults
  }
}
