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
  type SumsRows,
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

/** The SIMD loops when they apply (wasm, C a multiple of 4), else null. */
function loopsFor(
  ctx: KernelContext,
  backend: object,
  C: number,
): SimdLoops | null {
  return ctx.isWasm && C % 4 === 0 ? simdLoops(backend) : null;
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
  // `heap`: float64 scratch for the SIMD loops (room for 3C: the moments'
  // shift and sums, then the float32 coefficients a, b).
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
        if (!loops || !heap) return affineLastAxis(xv, a, b, y);
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
 * The rows of {@link trainMoments} that the SIMD loop does: whole groups
 * of four rows, with k (float32), s1, s2 in the heap scratch.
 */
function simdMomentsRows(
  loops: SimdLoops,
  heap: () => Float64Array,
  x: Float32Array,
  C: number,
): SumsRows {
  return (k, s1, s2) =>
    sumsInScratch(
      heap(),
      k,
      s1,
      s2,
      x.length / C,
      (p, rows) => loops.moments(x.byteOffset, p, 4 * C, rows * 4 * C),
    );
}

/**
 * Runs a four-row SIMD sums loop `run(scratch address, rows)` over whole
 * groups of four of `rows`: k (float32) and the float64 sums go to
 * `scratch`, the sums come back; returns the element index reached.
 */
function sumsInScratch(
  scratch: Float64Array,
  k: Float32Array,
  s1: Float64Array,
  s2: Float64Array,
  rows: number,
  run: (address: number, rows: number) => void,
): number {
  const C = k.length;
  float32(scratch, C).set(k);
  scratch.set(s1, C);
  scratch.set(s2, 2 * C);
  const done = rows - rows % 4;
  run(scratch.byteOffset, done);
  s1.set(scratch.subarray(C, 2 * C));
  s2.set(scratch.subarray(2 * C, 3 * C));
  return done * C;
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
        if (!loops || !heap) return gradApply(xv, dyv, co, dx);
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

/** The rows of {@link gradSums} that the SIMD loop does (as above). */
function simdGradSumsRows(
  loops: SimdLoops,
  heap: () => Float64Array,
  x: Float32Array,
  dy: Float32Array,
  C: number,
): SumsRows {
  return (m, s1, s2) =>
    sumsInScratch(
      heap(),
      m,
      s1,
      s2,
      x.length / C,
      (p, rows) =>
        loops.batchNormGradSums(
          x.byteOffset,
          dy.byteOffset,
          p,
          4 * C,
          rows * 4 * C,
        ),
    );
}
