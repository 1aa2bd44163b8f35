/**
 * MaxPoolGrad. cpu's reads `TensorBuffer.get` per element; wasm's
 * (4.22.0) is wrong: it drops gradients of output columns past the second,
 * which silently corrupts CNN training. Both are replaced, on every GEMM
 * choice: there is no GEMM here. tests/kernels_test.ts checks ours against
 * tfjs' reference cpu kernel, ties and odd sizes included.
 *
 * @module
 */
import { tf } from "../../core/mod.ts";
import type { KernelContext } from "../context.ts";
import {
  maxPoolGrad,
  maxPoolGrad2x2,
  maxPoolGrad2x2Simd,
  type PoolGeometry,
} from "../conv.ts";
import { allFloat, type KernelArgs, plainIO, req, runFlat } from "../io.ts";
import { simdLoops } from "../simd.ts";
import { poolGeometry, poolInfo } from "./geometry.ts";

/** The pooling family: MaxPoolGrad on both backends. */
export function maxPoolGradConfigs(ctx: KernelContext): tf.KernelConfig[] {
  return [ctx.replacing("MaxPoolGrad", (args) => maxPoolGradKernel(ctx, args))];
}

/**
 * The general loop, or — for the CNN's 2x2/2 unpadded pools when the
 * forward output is at hand — the branch-free loop that compares with it
 * (wasm SIMD when the channels fill whole lanes). No GEMM runs, so heap
 * views stay valid on wasm too.
 */
function maxPoolGradKernel(
  ctx: KernelContext,
  args: KernelArgs,
): tf.TensorInfo {
  const dy = req(args, "dy"), input = req(args, "input");
  const g = poolGeometry(poolInfo(input.shape, args.attrs ?? {}));
  const io = plainIO(ctx.isWasm, args.backend);
  const output = args.inputs.output;
  if (
    output !== undefined && allFloat([input, dy, output]) && is2x2(g) &&
    tf.util.arraysEqual(output.shape, dy.shape)
  ) {
    return runFlat(
      io,
      [input, output, dy],
      input.shape.slice(),
      ([xv, yv, dyv], out) => {
        const loops = ctx.isWasm && g.channels % 4 === 0
          ? simdLoops(args.backend)
          : null;
        const done = loops
          ? maxPoolGrad2x2Simd(loops, xv, yv, dyv, out, g)
          : maxPoolGrad2x2(xv, yv, dyv, out, g);
        if (!done) maxPoolGrad(xv, dyv, out, g);
      },
    );
  }
  return runFlat(io, [input, dy], input.shape.slice(), ([xv, dyv], out) => {
    maxPoolGrad(xv, dyv, out, g);
  });
}

/** A 2x2 window, stride 2, no padding, no dilation. */
function is2x2(g: PoolGeometry): boolean {
  return g.filterHeight === 2 && g.filterWidth === 2 &&
    g.strideHeight === 2 && g.strideWidth === 2 && g.padTop === 0 &&
    g.padLeft === 0 && g.dilationHeight === 1 && g.dilationWidth === 1;
}
