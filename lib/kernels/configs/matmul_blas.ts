/**
 * BatchMatMul and _FusedMatMul as OpenBLAS sgemm calls, one per matrix of
 * the batch, when BLAS is loaded. wasm's BatchMatMul is ~10x slower when
 * either operand is transposed (the weight gradients of dense layers);
 * cpu's is a slow JS loop. Exotic broadcasting, non-float32 and other
 * activations go to the original kernels.
 *
 * @module
 */
import { tf } from "../../core/mod.ts";
import type { Blas } from "../blas.ts";
import type { KernelContext } from "../context.ts";
import { epilogue, epilogueSupported } from "../epilogue.ts";
import { allFloat, type FlatIO, req, runFlat } from "../io.ts";

/** The BLAS matmul family (none without BLAS). */
export function blasMatMulConfigs(ctx: KernelContext): tf.KernelConfig[] {
  const blas = ctx.blas;
  if (!blas) return [];
  return [batchMatMulConfig(ctx, blas), fusedMatMulConfig(ctx, blas)];
}

/** BatchMatMul. */
function batchMatMulConfig(ctx: KernelContext, blas: Blas): tf.KernelConfig {
  const orig = ctx.fallback("BatchMatMul");
  return ctx.replacing("BatchMatMul", (args) => {
    const a = req(args, "a"), b = req(args, "b");
    const attrs = args.attrs ?? {};
    if (!allFloat([a, b])) return orig(args);
    const shape = matMulShape(a, b, !!attrs.transposeA, !!attrs.transposeB);
    if (!shape) return orig(args);
    return blasMatMul(blas, ctx.gemm.ioFor(args.backend), a, b, shape);
  });
}

/** _FusedMatMul: the product, then bias and relu in one pass. */
function fusedMatMulConfig(ctx: KernelContext, blas: Blas): tf.KernelConfig {
  const orig = ctx.fallback("_FusedMatMul");
  return ctx.replacing("_FusedMatMul", (args) => {
    const a = req(args, "a"), b = req(args, "b");
    const { bias, preluActivationWeights } = args.inputs;
    const attrs = args.attrs ?? {};
    const act = attrs.activation as string | undefined;
    const n = attrs.transposeB
      ? b.shape[b.shape.length - 2]
      : b.shape[b.shape.length - 1];
    if (
      !allFloat([a, b, bias]) ||
      !epilogueSupported(bias, preluActivationWeights, act, n)
    ) {
      return orig(args);
    }
    const shape = matMulShape(a, b, !!attrs.transposeA, !!attrs.transposeB);
    if (!shape) return orig(args);
    return blasMatMul(blas, ctx.gemm.ioFor(args.backend), a, b, shape, {
      bias,
      relu: act === "relu",
    });
  });
}

/** The GEMM sizes of a batched product op(A)·op(B). */
interface MatMulShape {
  tA: boolean;
  tB: boolean;
  m: number;
  n: number;
  k: number;
  /** Matrices in A and in B: equal, or one of them 1 (broadcast). */
  batchA: number;
  batchB: number;
  outShape: number[];
}

/**
 * The sizes of op(a)·op(b), or null for broadcasting other than the same
 * batch on both sides or a single matrix on one side.
 */
function matMulShape(
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  tA: boolean,
  tB: boolean,
): MatMulShape | null {
  const ra = a.shape.length, rb = b.shape.length;
  const m = tA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = tA ? a.shape[ra - 2] : a.shape[ra - 1];
  const n = tB ? b.shape[rb - 2] : b.shape[rb - 1];
  const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(outerA),
    batchB = tf.util.sizeFromShape(outerB);
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  const outer = batchA >= batchB ? outerA : outerB;
  return { tA, tB, m, n, k, batchA, batchB, outShape: [...outer, m, n] };
}

/** One sgemm per matrix of the batch, then the fused epilogue if any. */
function blasMatMul(
  blas: Blas,
  io: FlatIO,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  s: MatMulShape,
  epi?: { bias: tf.TensorInfo | undefined; relu: boolean },
): tf.TensorInfo {
  const { tA, tB, m, n, k, batchA, batchB } = s;
  const batch = Math.max(batchA, batchB);
  const ins = epi?.bias ? [a, b, epi.bias] : [a, b];
  return runFlat(io, ins, s.outShape, ([av, bv, biasv], out) => {
    for (let i = 0; i < batch; i++) {
      const ao = batchA === 1 ? 0 : i * m * k;
      const bo = batchB === 1 ? 0 : i * k * n;
      blas.sgemm(
        tA,
        tB,
        m,
        n,
        k,
        1,
        av.subarray(ao),
        tA ? m : k,
        bv.subarray(bo),
        tB ? k : n,
        0,
        out.subarray(i * m * n),
        n,
      );
    }
    if (epi) epilogue(out, n, biasv ?? null, epi.relu);
  });
}
