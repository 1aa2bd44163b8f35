/**
 * The fused gradient kernels ("Fast…") that the gradients of gradients.ts
 * call: BatchNorm's whole backward, Mean's, Square's and Relu's, each one
 * pass (grad_math.ts), on wasm as SIMD loops where they apply. They are
 * our own kernel names, so nothing is replaced and there is no fallback:
 * the gradient functions check that the kernel exists and the shapes are
 * the common case before calling it.
 *
 * @module
 */
import { tf } from "../../core/mod.ts";
import type { KernelContext } from "../context.ts";
import {
  batchNormGrad,
  type BatchNormGradRows,
  broadcastDivide,
  reluGrad,
  squareGrad,
} from "../grad_math.ts";
import { GRAD_KERNELS } from "../gradients.ts";
import {
  type KernelArgs,
  plainIO,
  req,
  runFlat,
  runFlatMulti,
  withFloat64Scratch,
} from "../io.ts";
import { type SimdLoops, simdLoops } from "../simd.ts";

/** A gradient kernel's body, given the context. */
type GradKernel = (
  ctx: KernelContext,
  args: KernelArgs,
) => tf.TensorInfo | tf.TensorInfo[];

/** The gradient-kernel family (unless `fastGradients` is false). */
export function gradientConfigs(ctx: KernelContext): tf.KernelConfig[] {
  if (ctx.options.fastGradients === false) return [];
  const config = (kernelName: string, kernel: GradKernel): tf.KernelConfig => ({
    kernelName,
    backendName: ctx.backendName,
    kernelFunc: (args) => kernel(ctx, args),
  });
  return [
    config(GRAD_KERNELS.batchNorm, batchNormGradKernel),
    config(GRAD_KERNELS.mean, meanGradKernel),
    config(GRAD_KERNELS.square, squareGradKernel),
    config(GRAD_KERNELS.relu, reluGradKernel),
  ];
}

/**
 * FusedBatchNorm's backward: dx and the four per-channel gradients in one
 * pass; on wasm with an even channel count, its main loop in SIMD.
 */
function batchNormGradKernel(
  ctx: KernelContext,
  args: KernelArgs,
): tf.TensorInfo[] {
  const x = req(args, "x"), dy = req(args, "dy");
  const mean = req(args, "mean"), variance = req(args, "variance");
  const { scale } = args.inputs;
  const C = x.shape[x.shape.length - 1];
  const eps = args.attrs?.varianceEpsilon as number;
  const ins = [x, dy, mean, variance];
  if (scale) ins.push(scale);
  const io = plainIO(ctx.isWasm, args.backend);
  const loops = ctx.isWasm && C % 2 === 0 ? simdLoops(args.backend) : null;
  // `heap`: where the SIMD loop keeps m, k and the sums (float64).
  const run = (heap?: () => Float64Array) =>
    runFlatMulti(
      io,
      ins,
      [x.shape, mean.shape, variance.shape, [C], [C]],
      ([xv, dyv, mv, vv, sv], [dx, dMean, dVariance, dScale, dOffset]) => {
        const rows = loops && heap
          ? simdBatchNormGradRows(loops, heap, xv, dyv, dx, C)
          : undefined;
        batchNormGrad(xv, dyv, mv, vv, sv ?? null, eps, C, {
          dx,
          dMean,
          dVariance,
          dScale,
          dOffset,
        }, rows);
      },
    );
  return loops ? withFloat64Scratch(io, args.backend, 4 * C, run) : run();
}

/**
 * The `leadingRows` step of {@link batchNormGrad} in the wasm SIMD loop:
 * m, k and the running sums go to the float64 heap scratch, whole row
 * pairs of x/dy (heap views) are done there, and the sums come back.
 */
function simdBatchNormGradRows(
  loops: SimdLoops,
  heap: () => Float64Array,
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  C: number,
): BatchNormGradRows {
  return (m, k, s1, s2) => {
    const f64 = heap();
    f64.set(m, 0);
    f64.set(k, C);
    f64.set(s1, 2 * C);
    f64.set(s2, 3 * C);
    const pairs = Math.floor(x.length / (2 * C));
    loops.batchNormGrad(
      x.byteOffset,
      dy.byteOffset,
      dx.byteOffset,
      f64.byteOffset,
      4 * C,
      pairs * 8 * C,
    );
    s1.set(f64.subarray(2 * C, 3 * C));
    s2.set(f64.subarray(3 * C));
    return pairs * 2 * C;
  };
}

/** Mean's backward over leading axes: dy / count, repeated. */
function meanGradKernel(ctx: KernelContext, args: KernelArgs): tf.TensorInfo {
  const dy = req(args, "dy");
  const attrs = args.attrs ?? {};
  return runFlat(
    plainIO(ctx.isWasm, args.backend),
    [dy],
    attrs.shape as number[],
    ([dyv], out) => broadcastDivide(dyv, attrs.count as number, out),
  );
}

/** Square's backward: dy · 2x. */
function squareGradKernel(
  ctx: KernelContext,
  args: KernelArgs,
): tf.TensorInfo {
  const x = req(args, "x"), dy = req(args, "dy");
  return runFlat(
    plainIO(ctx.isWasm, args.backend),
    [x, dy],
    x.shape,
    ([xv, dyv], out) => {
      const done = simdPrefix(args.backend, [xv, dyv, out], (l, p) => {
        l.squareGrad(p[0], p[1], p[2], p[3]);
      });
      if (done < out.length) {
        squareGrad(xv.subarray(done), dyv.subarray(done), out.subarray(done));
      }
    },
  );
}

/** Relu's backward: dy where x > 0 (NaN/Inf through the exact loop). */
function reluGradKernel(ctx: KernelContext, args: KernelArgs): tf.TensorInfo {
  const x = req(args, "x"), dy = req(args, "dy");
  return runFlat(
    plainIO(ctx.isWasm, args.backend),
    [x, dy],
    x.shape,
    ([xv, dyv], out) => {
      let special = false;
      const done = simdPrefix(args.backend, [xv, dyv, out], (l, p) => {
        special = l.reluGrad(p[0], p[1], p[2], p[3]) !== 0;
      });
      if (special) reluGrad(xv, dyv, out); // NaN/Inf: the exact loop
      else if (done < out.length) {
        reluGrad(xv.subarray(done), dyv.subarray(done), out.subarray(done));
      }
    },
  );
}

/**
 * Runs a wasm SIMD loop over the whole 4-element groups of `arrays` (views
 * into the wasm heap, all the same length) when `backend` has the loops;
 * `call` gets the byte offsets and the byte count. Returns how many
 * elements were done (0 without SIMD): the caller does the rest.
 */
function simdPrefix(
  backend: object,
  arrays: Float32Array[],
  call: (loops: SimdLoops, args: number[]) => void,
): number {
  const loops = simdLoops(backend);
  const done = arrays[0].length & ~3;
  if (!loops || done === 0) return 0;
  call(loops, [...arrays.map((a) => a.byteOffset), done * 4]);
  return done;
}
