/**
 * From tfjs kernel attributes to the flat geometry the loops of conv.ts
 * take: tfjs' own Conv2DInfo/Pool2DInfo computation (so padding and
 * rounding agree with the stock kernels), reduced to plain numbers.
 *
 * @module
 */
import { tf } from "../../core/mod.ts";
import type { ConvGeometry, PoolGeometry } from "../conv.ts";

type Shape4 = [number, number, number, number];
type Pair = number | [number, number];
type DataFormat = "NHWC" | "NCHW";
type Pad = "same" | "valid" | number | tf.backend_util.ExplicitPadding;
type Rounding = "floor" | "round" | "ceil" | undefined;

/** tfjs' Conv2DInfo for a conv kernel's attributes (strides, pad, …). */
export function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: tf.NamedAttrMap,
  dilations: Pair = 1,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    attrs.strides as Pair,
    dilations,
    attrs.pad as Pad,
    attrs.dimRoundingMode as Rounding,
    false,
    tf.backend_util.convertConv2DDataFormat(
      (attrs.dataFormat ?? "NHWC") as DataFormat,
    ),
  );
}

/** tfjs' pooling info for a MaxPoolGrad's attributes (no dilation). */
export function poolInfo(
  inputShape: number[],
  attrs: tf.NamedAttrMap,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    inputShape as Shape4,
    attrs.filterSize as Pair,
    attrs.strides as Pair,
    1,
    attrs.pad as Pad,
    attrs.dimRoundingMode as Rounding,
  );
}

/** The {@link ConvGeometry} of a Conv2DInfo. */
export function convGeometry(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  return {
    batchSize: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** The {@link PoolGeometry} of a pooling Conv2DInfo. */
export function poolGeometry(info: tf.backend_util.Conv2DInfo): PoolGeometry {
  return {
    batchSize: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    channels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}
