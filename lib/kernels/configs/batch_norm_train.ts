/**
 * BatchNormalization in training as two kernels of our own (nothing is
 * replaced): `FastBatchNormTrain` (x, scale, offset → y, mean, variance)
 * and its backward `FastBatchNormTrainGrad` (→ dx, dScale, dOffset), each
 * two passes (batch_norm_train.ts), on wasm with even channel counts as
 * SIMD loops. The gradient that links them is registered by gradients.ts;
 * the layer that calls them is batch_norm_layer.ts.
 *
 * @module
 */
import { tf } from "../../core/mod.ts";
import type { KernelContext } from "../context.ts";
import {
  affineLastAxis,
  finishGradCoefficients,
  gradApply,
  gradCoefficients,
  gradSums,
  type GradSumsRows,
  type MomentsRows,
  trainMoments,
} from "../batch_norm_train.ts";
import { GRAD_KERNELS } from "../gradients.ts";
import {
  type KernelArgs,
  plainIO,
  req,
  runFlatMulti,
  withFloat64Scratch,
} from "../io.ts";
import { batchNormCoefficients } from "../reduce.ts";
import { type SimdLoops, simdLoops } from "../simd.ts";

/** The training batch-norm family (unless `fastGradients` is false). */
export function batchNormTrainConfigs(ctx: KernelContext): tf.KernelConfig[] {
  if (ctx.options.fastGradients === false) return [];
  return [
    {
      kernelName: GRAD_KERNELS.batchNormTrain,
      backendName: ctx.backendName,
      kernelFunc: (args) => forwardKernel(ctx, args),
    },
    {
      kernelName: GRAD_KERNELS.batchNormTrainGrad,
      backendName: ctx.backendName,
      kernelFunc: (args) => backwardKernel(ctx, args),
    },
  ];
}

/** The SIMD loops when they apply (wasm, C even), else null. */
function loopsFor(
  ctx: KernelContext,
  backend: object,
  C: number,
): SimdLoops | null {
  return ctx.isWasm && C % 2 === 0 ? simdLoops(backend) : null;
}

/**
 * Forward: the batch's mean and biased variance in one pass, then y =
 * x·a + b in float32 with a = scale/sqrt(variance + eps), b = offset −
 * mean·a (our FusedBatchNorm kernel's coefficients; it does x·a + b in
 * float64, which SIMD does at half the rate).
 */
function forwardKernel(
  ctx: KernelContext,
  args: KernelArgs,
): tf.TensorInfo[] {
  const x = req(args, "x"), scale = req(args, "scale");
  const offset = req(args, "offset");
  const C = x.shape[x.shape.length - 1];
  const eps = args.attrs?.varianceEpsilon as number;
  const io = plainIO(ctx.isWasm, args.backend);
  const loops = loopsFor(ctx, args.backend, C);
  // `heap`: float64 scratch for the SIMD loops (3C for the moments' shift
  // and sums, reused for the 2C coefficients a, b).
  const run = (heap?: () => Float64Array) =>
    runFlatMulti(
      io,
      [x, scale, offset],
      [x.shape, [C], [C]],
      ([xv, sv, ov], [y, mean, variance]) => {
        const rows = loops && heap
          ? simdMomentsRows(loops, heap, xv, C)
          : undefined;
        trainMoments(xv, C, mean, variance, rows);
        const { a, b } = batchNormCoefficients(C, mean, variance, ov, sv, eps);
        if (!loops || !heap || C % 4 !== 0) return affineLastAxis(xv, a, b, y);
        const ab = float32(heap(), 2 * C);
        ab.set(a, 0);
        ab.set(b, C);
        loops.affine(
          xv.byteOffset,
          y.byteOffset,
          ab.byteOffset,
          4 * C,
          xv.length * 4,
        );
      },
    );
  return loops ? withFloat64Scratch(io, args.backend, 3 * C, run) : run();
}

/**
 * The rows of {@link trainMoments} that the SIMD loop does: whole row
 * pairs, with k, s1, s2 in the heap scratch.
 */
function simdMomentsRows(
  loops: SimdLoops,
  heap: () => Float64Array,
  x: Float32Array,
  C: number,
): MomentsRows {
  return (k, s1, s2) => {
    const f64 = heap();
    f64.set(k, 0);
    f64.set(s1, C);
    f64.set(s2, 2 * C);
    const pairs = Math.floor(x.length / (2 * C));
    loops.moments(x.byteOffset, f64.byteOffset, 4 * C, pairs * 8 * C);
    s1.set(f64.subarray(C, 2 * C));
    s2.set(f64.subarray(2 * C, 3 * C));
    return pairs * 2 * C;
  };
}

/**
 * Backward: Σdy and Σdy·(x − mean) in one pass, then dx in another. The
 * inputs dMean and dVariance are the gradients reaching the forward's mean
 * and variance outputs (tfjs passes zeros when nothing used them).
 */
function backwardKernel(
  ctx: KernelContext,
  args: KernelArgs,
): tf.TensorInfo[] {
  const x = req(args, "x"), dy = req(args, "dy");
  const mean = req(args, "mean"), variance = req(args, "variance");
  const scale = req(args, "scale");
  const dMean = req(args, "dMean"), dVariance = req(args, "dVariance");
  const C = x.shape[x.shape.length - 1];
  const eps = args.attrs?.varianceEpsilon as number;
  const io = plainIO(ctx.isWasm, args.backend);
  const loops = loopsFor(ctx, args.backend, C);
  const run = (heap?: () => Float64Array) =>
    runFlatMulti(
      io,
      [x, dy, mean, variance, scale, dMean, dVariance],
      [x.shape, [C], [C]],
      ([xv, dyv, mv, vv, sv, gm, gv], [dx, dScale, dOffset]) => {
        const co = gradCoefficients(mv, C);
        const s1 = new Float64Array(C), s2 = new Float64Array(C);
        const rows = loops && heap
          ? simdGradSumsRows(loops, heap, xv, dyv, C)
          : undefined;
        gradSums(xv, dyv, co.m, C, s1, s2, rows);
        finishGradCoefficients(
          co,
          vv,
          sv,
          eps,
          xv.length / C,
          s1,
          s2,
          { dMean: gm, dVariance: gv },
          { dx, dScale, dOffset },
        );
        if (!loops || !heap || C % 4 !== 0) {
          return gradApply(xv, dyv, co, dx);
        }
        const f32 = float32(heap(), 4 * C);
        f32.set(co.all);
        loops.batchNormGradApply(
          xv.byteOffset,
          dyv.byteOffset,
          dx.byteOffset,
          f32.byteOffset,
          4 * C,
          xv.length * 4,
        );
      },
    );
  return loops ? withFloat64Scratch(io, args.backend, 4 * C, run) : run();
}

/** The first `count` float32 of a float64 scratch view. */
function float32(scratch: Float64Array, count: number): Float32Array {
  return new Float32Array(scratch.buffer, scratch.byteOffset, count);
}

/** The rows of {@link gradSums} that the SIMD loop does (whole row pairs). */
function simdGradSumsRows(
  loops: SimdLoops,
  heap: () => Float64Array,
  x: Float32Array,
  dy: Float32Array,
  C: number,
): GradSumsRows {
  return (m, s1, s2) => {
    const f64 = heap();
    f64.set(m, 0);
    f64.set(s1, C);
    f64.set(s2, 2 * C);
    const pairs = Math.floor(x.length / (2 * C));
    loops.batchNormGradSums(
      x.byteOffset,
      dy.byteOffset,
      f64.byteOffset,
      4 * C,
      pairs * 8 * C,
    );
    s1.set(f64.subarray(C, 2 * C));
    s2.set(f64.subarray(2 * C, 3 * C));
    return pairs * 2 * C;
  };
}
