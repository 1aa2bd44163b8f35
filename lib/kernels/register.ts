/**
 * Registers faster training kernels on the tfjs `cpu` and `wasm` backends,
 * as tfjs-backend-wasm registers its own: a list of kernel configs and a
 * loop. The configs come in families (configs/), each built from one
 * {@link KernelContext} and each deciding for itself whether it applies.
 *
 * What each backend gets and why (measured on tfjs 4.22.0):
 * - wasm lacks `Conv2DBackpropFilter`; its `Conv2DBackpropInput` is a plain
 *   loop; its `BatchMatMul` is ~10x slower when either operand is
 *   transposed (the weight gradients of dense layers).
 * - cpu's conv backprops and `MaxPoolGrad` call `TensorBuffer.get` per
 *   multiply-add; its conv forward and matmul are slow JS loops.
 *
 * All heavy kernels are lowered to one GEMM (see conv.ts). The GEMM is
 * native OpenBLAS through FFI when available, else the wasm backend's own
 * XNNPACK matmul (wasm), else JavaScript (cpu).
 *
 * @module
 */
import { tf } from "../core/mod.ts";
import {
  type FastKernelOptions,
  type GemmName,
  type KernelFamily,
  makeKernelContext,
} from "./context.ts";
import { installFastGradients } from "./gradients.ts";
import { batchNormConfigs } from "./configs/batch_norm.ts";
import { batchNormTrainConfigs } from "./configs/batch_norm_train.ts";
import { convConfigs } from "./configs/conv.ts";
import { gradientConfigs } from "./configs/gradients.ts";
import { identityCastConfigs } from "./configs/identity_cast.ts";
import { blasMatMulConfigs } from "./configs/matmul_blas.ts";
import { wasmMatMulConfigs } from "./configs/matmul_wasm.ts";
import { maxPoolGradConfigs } from "./configs/max_pool_grad.ts";
import { reductionConfigs } from "./configs/reductions.ts";

export type { FastKernelOptions };

/** What {@link registerFastKernels} did. */
export interface FastKernelReport {
  /** The backend the kernels were registered on. */
  backend: string;
  /** Which GEMM the conv kernels use. */
  gemm: GemmName;
  /** The BLAS library path, when one is used. */
  blasPath?: string;
  /** Kernel names that were replaced or added. */
  kernels: string[];
}

/** Every family, in registration order (the report lists kernels so). */
const FAMILIES: readonly KernelFamily[] = [
  convConfigs, // Conv2DBackpropFilter/Input; Conv2D, FusedConv2D
  maxPoolGradConfigs, // MaxPoolGrad
  reductionConfigs, // Sum, Mean, Tile
  batchNormConfigs, // FusedBatchNorm
  batchNormTrainConfigs, // FastBatchNormTrain(Grad): our own, no fallback
  blasMatMulConfigs, // BatchMatMul, _FusedMatMul (with BLAS)
  wasmMatMulConfigs, // BatchMatMul, _FusedMatMul (wasm without BLAS)
  identityCastConfigs, // Identity, Cast (wasm)
  gradientConfigs, // FastFusedBatchNormGrad, FastMeanGrad, Fast…
];

/**
 * Replaces/adds training kernels on `backendName` ("cpu" or "wasm").
 * Call after `await tf.setBackend(backendName)` (the wasm backend must be
 * initialised). Safe to call more than once: originals are kept from the
 * first call. Every replaced kernel falls back to the original for cases it
 * does not handle (non-float32, NCHW, exotic broadcasting or activations).
 */
export function registerFastKernels(
  backendName: string,
  options: FastKernelOptions = {},
): FastKernelReport {
  if (backendName !== "cpu" && backendName !== "wasm") {
    throw new Error(
      `registerFastKernels: unsupported backend "${backendName}" (use "cpu" or "wasm")`,
    );
  }
  const ctx = makeKernelContext(backendName, options);
  const kernels: string[] = [];
  for (const family of FAMILIES) {
    for (const config of family(ctx)) {
      replaceKernel(config);
      kernels.push(config.kernelName);
    }
  }
  if (options.fastGradients !== false) installFastGradients();
  return {
    backend: backendName,
    gemm: ctx.gemm.name,
    blasPath: ctx.blas?.path,
    kernels,
  };
}

/** Registers `config`, first unregistering whatever holds its name. */
function replaceKernel(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName)) {
    tf.unregisterKernel(config.kernelName, config.backendName);
  }
  tf.registerKernel(config);
}
