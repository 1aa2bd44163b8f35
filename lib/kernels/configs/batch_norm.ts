/**
 * FusedBatchNorm forward over the last axis in one pass (the wasm kernel
 * takes ~3x longer), for per-channel or scalar parameters; on wasm with an
 * even channel count, as the SIMD loop. Anything else goes to the
 * original kernel.
 *
 * @module
 */
import { tf } from "../../core/mod.ts";
import type { KernelContext } from "../context.ts";
import {
  allFloat,
  type FlatIO,
  plainIO,
  req,
  runFlat,
  withFloat64Scratch,
} from "../io.ts";
import { batchNormCoefficients, batchNormLastAxis } from "../reduce.ts";
import { type SimdLoops, simdLoops } from "../simd.ts";

/** The batch-norm family: FusedBatchNorm. */
export function batchNormConfigs(ctx: KernelContext): tf.KernelConfig[] {
  const orig = ctx.fallback("FusedBatchNorm");
  return [ctx.replacing("FusedBatchNorm", (args) => {
    const x = req(args, "x"),
      mean = req(args, "mean"),
      variance = req(args, "variance");
    const { offset, scale } = args.inputs;
    const C = x.shape[x.shape.length - 1] ?? 1;
    if (
      !allFloat([x, mean, variance, offset, scale]) ||
      ![mean, variance, offset, scale].every((t) => perChannel(t, C))
    ) {
      return orig(args);
    }
    const bn: BatchNorm = {
      x,
      C,
      hasOffset: Boolean(offset),
      hasScale: Boolean(scale),
      eps: (args.attrs?.varianceEpsilon as number | undefined) ?? 0.001,
      inputs: [x, mean, variance, offset ?? mean, scale ?? mean],
    };
    const io = plainIO(ctx.isWasm, args.backend);
    const loops = ctx.isWasm && C % 2 === 0 ? simdLoops(args.backend) : null;
    return loops
      ? batchNormSimd(io, args.backend, loops, bn)
      : batchNormJs(io, bn);
  })];
}

/** Per-channel vectors only (any rank, e.g. [1,1,1,C]) or scalars. */
function perChannel(t: tf.TensorInfo | undefined, C: number): boolean {
  if (!t) return true;
  const n = tf.util.sizeFromShape(t.shape);
  return n === 1 || (n === C && t.shape[t.shape.length - 1] === C);
}

/** One FusedBatchNorm call, its parameters checked. */
interface BatchNorm {
  x: tf.TensorInfo;
  /** Channels: x's last axis. */
  C: number;
  hasOffset: boolean;
  hasScale: boolean;
  eps: number;
  /** x, mean, variance, offset, scale (mean standing in for absent ones). */
  inputs: tf.TensorInfo[];
}

/** The JavaScript loop. */
function batchNormJs(io: FlatIO, bn: BatchNorm): tf.TensorInfo {
  return runFlat(
    io,
    bn.inputs,
    bn.x.shape.slice(),
    ([xv, mv, vv, ov, sv], out) => {
      batchNormLastAxis(
        xv,
        bn.C,
        mv,
        vv,
        bn.hasOffset ? ov : null,
        bn.hasScale ? sv : null,
        bn.eps,
        out,
      );
    },
  );
}

/** The wasm SIMD loop, which reads a and b as float64 from the heap. */
function batchNormSimd(
  io: FlatIO,
  backend: object,
  loops: SimdLoops,
  bn: BatchNorm,
): tf.TensorInfo {
  const C = bn.C;
  return withFloat64Scratch(io, backend, 2 * C, (heap) =>
    runFlat(
      io,
      bn.inputs,
      bn.x.shape.slice(),
      ([xv, mv, vv, ov, sv], out) => {
        const { a, b } = batchNormCoefficients(
          C,
          mv,
          vv,
          bn.hasOffset ? ov : null,
          bn.hasScale ? sv : null,
          bn.eps,
        );
        const ab = heap();
        ab.set(a, 0);
        ab.set(b, C);
        loops.batchNorm(
          xv.byteOffset,
          out.byteOffset,
          ab.byteOffset,
          4 * C,
          xv.length * 4,
        );
      },
    ));
}
