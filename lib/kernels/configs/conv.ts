/**
 * Conv2D, FusedConv2D and both conv backprops, lowered to one GEMM each
 * (conv.ts). wasm lacks `Conv2DBackpropFilter` and its
 * `Conv2DBackpropInput` is a plain loop; cpu's backprops call
 * `TensorBuffer.get` per multiply-add and its forward is a slow JS loop.
 * The forward pair is replaced on wasm only with BLAS: XNNPACK's conv is
 * already good. Everything but NHWC float32 goes to the original kernel.
 *
 * @module
 */
import { tf } from "../../core/mod.ts";
import type { Sgemm } from "../blas.ts";
import type { KernelContext } from "../context.ts";
import {
  conv2dBackpropFilter,
  conv2dBackpropInput,
  conv2dForward,
  type ConvGeometry,
} from "../conv.ts";
import { epilogue, epilogueSupported } from "../epilogue.ts";
import { allFloat, type KernelArgs, req, runFlat } from "../io.ts";
import { convGeometry, convInfo } from "./geometry.ts";

/** The conv family: both backprops, plus the forward pair where it pays. */
export function convConfigs(ctx: KernelContext): tf.KernelConfig[] {
  const configs = [backpropFilterConfig(ctx), backpropInputConfig(ctx)];
  if (!ctx.isWasm || (ctx.blas && ctx.options.wasmConvForward !== false)) {
    configs.push(conv2dConfig(ctx), fusedConv2dConfig(ctx));
  }
  return configs;
}

/** What a conv kernel computes over flat views, given the GEMM to use. */
type ConvCompute = (
  ins: Float32Array[],
  out: Float32Array,
  g: ConvGeometry,
  gemm: Sgemm,
) => void;

/**
 * The shared tail of the conv kernels: pick the GEMM for this backend,
 * derive the geometry, and run `compute` over flat views.
 */
function runConv(
  ctx: KernelContext,
  args: KernelArgs,
  info: tf.backend_util.Conv2DInfo,
  inputs: tf.TensorInfo[],
  outShape: number[],
  compute: ConvCompute,
): tf.TensorInfo {
  const gemm = ctx.gemm.sgemmFor(args.backend);
  const g = convGeometry(info);
  return runFlat(
    ctx.gemm.ioFor(args.backend),
    inputs,
    outShape,
    (ins, out) => compute(ins, out, g, gemm),
  );
}

/** Conv2DBackpropFilter (wasm has none: its original may be missing). */
function backpropFilterConfig(ctx: KernelContext): tf.KernelConfig {
  const orig = ctx.original("Conv2DBackpropFilter");
  return ctx.replacing("Conv2DBackpropFilter", (args) => {
    const x = req(args, "x"), dy = req(args, "dy");
    const info = convInfo(
      x.shape,
      args.attrs?.filterShape as number[],
      args.attrs ?? {},
    );
    if (info.dataFormat !== "channelsLast" || !allFloat([x, dy])) {
      if (orig) return orig.kernelFunc(args);
      throw new Error(
        "fast Conv2DBackpropFilter: only NHWC float32 is supported on this backend",
      );
    }
    return runConv(
      ctx,
      args,
      info,
      [x, dy],
      info.filterShape.slice(),
      ([xv, dyv], out, g, gemm) => {
        conv2dBackpropFilter(xv, dyv, out, g, gemm, ctx.gemm.useTaps);
      },
    );
  });
}

/** Conv2DBackpropInput. */
function backpropInputConfig(ctx: KernelContext): tf.KernelConfig {
  const orig = ctx.fallback("Conv2DBackpropInput");
  return ctx.replacing("Conv2DBackpropInput", (args) => {
    const dy = req(args, "dy"), filter = req(args, "filter");
    const attrs = args.attrs ?? {};
    const info = convInfo(attrs.inputShape as number[], filter.shape, attrs);
    if (info.dataFormat !== "channelsLast" || !allFloat([dy, filter])) {
      return orig(args);
    }
    return runConv(
      ctx,
      args,
      info,
      [dy, filter],
      info.inShape.slice(),
      ([dyv, wv], out, g, gemm) => {
        conv2dBackpropInput(dyv, wv, out, g, gemm, ctx.gemm.useTaps);
      },
    );
  });
}

/** tfjs' Conv2DInfo of a forward conv (x, filter and dilations given). */
function forwardInfo(
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  attrs: tf.NamedAttrMap,
): tf.backend_util.Conv2DInfo {
  return convInfo(
    x.shape,
    filter.shape,
    attrs,
    attrs.dilations as number | [number, number],
  );
}

/** Conv2D forward. */
function conv2dConfig(ctx: KernelContext): tf.KernelConfig {
  const orig = ctx.fallback("Conv2D");
  return ctx.replacing("Conv2D", (args) => {
    const x = req(args, "x"), filter = req(args, "filter");
    const info = forwardInfo(x, filter, args.attrs ?? {});
    if (info.dataFormat !== "channelsLast" || !allFloat([x, filter])) {
      return orig(args);
    }
    return runConv(
      ctx,
      args,
      info,
      [x, filter],
      info.outShape.slice(),
      ([xv, wv], out, g, gemm) => {
        conv2dForward(xv, wv, out, g, gemm, ctx.gemm.useTaps);
      },
    );
  });
}

/** FusedConv2D forward: the conv, then bias and relu in one pass. */
function fusedConv2dConfig(ctx: KernelContext): tf.KernelConfig {
  const orig = ctx.fallback("FusedConv2D");
  return ctx.replacing("FusedConv2D", (args) => {
    const x = req(args, "x"), filter = req(args, "filter");
    const { bias, preluActivationWeights } = args.inputs;
    const attrs = args.attrs ?? {};
    const act = attrs.activation as string | undefined;
    const info = forwardInfo(x, filter, attrs);
    if (
      info.dataFormat !== "channelsLast" || !allFloat([x, filter, bias]) ||
      !epilogueSupported(bias, preluActivationWeights, act, info.outChannels)
    ) return orig(args);
    return runConv(
      ctx,
      args,
      info,
      bias ? [x, filter, bias] : [x, filter],
      info.outShape.slice(),
      ([xv, wv, bv], out, g, gemm) => {
        conv2dForward(xv, wv, out, g, gemm, ctx.gemm.useTaps);
        epilogue(out, info.outChannels, bv ?? null, act === "relu");
      },
    );
  });
}
