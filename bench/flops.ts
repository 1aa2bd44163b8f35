/**
 * Analytic floating-point operations of a model, from its layer shapes.
 *
 * Only the multiply-adds of the weight layers are counted (2 FLOPs each):
 * they are what a GEMM does, so "achieved GFLOP/s" compares directly with
 * the machine's SGEMM peak. Bias adds, activations, BatchNorm, pooling and
 * dropout are elementwise (a few FLOPs per activation, < 1 % of the CNN)
 * and left out, as is usual for such figures.
 *
 * Per layer, for one image:
 * - Conv2D (kh × kw kernel, Cin → Cout channels, Hout × Wout output):
 *   forward 2 · Hout · Wout · Cout · kh · kw · Cin.
 * - Dense (In → Out): forward 2 · In · Out.
 * - Training: forward, then the weight gradient (same cost again) and the
 *   input gradient (same cost again) — 3 × forward — except for the first
 *   weight layer, whose input gradient nobody needs (2 × forward).
 *
 * @module
 */

import type { tf } from "../lib/core/mod.ts";

/** One weight layer, described by the shapes that fix its cost. */
export type WeightLayer =
  | {
    kind: "conv2d";
    name: string;
    kernel: readonly [number, number];
    inChannels: number;
    /** Output height, width, channels. */
    output: readonly [number, number, number];
  }
  | { kind: "dense"; name: string; inputs: number; units: number };

/** FLOPs of one layer for one image. */
export interface LayerFlops {
  /** The layer's name. */
  name: string;
  /** Forward pass. */
  forward: number;
  /** Forward plus backward (weight gradient, and input gradient if needed). */
  training: number;
}

/** FLOPs of a whole model for one image. */
export interface ModelFlops {
  /** Per weight layer, in order. */
  layers: LayerFlops[];
  /** Forward pass (inference). */
  forward: number;
  /** One training image: forward and backward. */
  training: number;
}

/**
 * Forward FLOPs of one weight layer for one image.
 *
 * @example
 * ```ts
 * const f = forwardFlops({ kind: "dense", name: "d", inputs: 784, units: 256 });
 * console.log(f); // 401408
 * ```
 */
export function forwardFlops(layer: WeightLayer): number {
  if (layer.kind === "dense") return 2 * layer.inputs * layer.units;
  const [kh, kw] = layer.kernel;
  const [h, w, c] = layer.output;
  return 2 * h * w * c * kh * kw * layer.inChannels;
}

/**
 * FLOPs per image of a stack of weight layers (the first one gets no
 * input gradient).
 *
 * @example
 * ```ts
 * const f = stackFlops([
 *   { kind: "dense", name: "a", inputs: 4, units: 3 },
 *   { kind: "dense", name: "b", inputs: 3, units: 2 },
 * ]);
 * console.log(f.forward, f.training); // 36 96
 * ```
 */
export function stackFlops(layers: readonly WeightLayer[]): ModelFlops {
  const out = layers.map((layer, i): LayerFlops => {
    const forward = forwardFlops(layer);
    return { name: layer.name, forward, training: (i === 0 ? 2 : 3) * forward };
  });
  return {
    layers: out,
    forward: out.reduce((s, l) => s + l.forward, 0),
    training: out.reduce((s, l) => s + l.training, 0),
  };
}

/**
 * The weight layers of a built tfjs model, from its layers' shapes
 * (Conv2D and Dense; every other layer costs no GEMM).
 *
 * @example
 * ```ts
 * import { buildModel } from "../lib/train/mod.ts";
 * const model = buildModel("dense", 1);
 * console.log(weightLayers(model).length); // 3
 * model.dispose();
 * ```
 */
export function weightLayers(model: tf.LayersModel): WeightLayer[] {
  const out: WeightLayer[] = [];
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    const input = layer.input;
    const inShape = (Array.isArray(input) ? input[0] : input).shape;
    const outShape = layer.outputShape as number[];
    if (kind === "Conv2D") {
      const config = layer.getConfig();
      const k = config.kernelSize as number[] | number;
      const kernel: [number, number] = Array.isArray(k) ? [k[0], k[1]] : [k, k];
      out.push({
        kind: "conv2d",
        name: layer.name,
        kernel,
        inChannels: Number(inShape.at(-1)),
        output: [outShape[1], outShape[2], outShape[3]],
      });
    } else if (kind === "Dense") {
      out.push({
        kind: "dense",
        name: layer.name,
        inputs: Number(inShape.at(-1)),
        units: Number(outShape.at(-1)),
      });
    }
  }
  return out;
}

/**
 * FLOPs per image of a built tfjs model.
 *
 * @example
 * ```ts
 * import { buildModel } from "../lib/train/mod.ts";
 * const model = buildModel("cnn", 1);
 * console.log(modelFlops(model).training); // 57878016 (≈ 58 MFLOP)
 * model.dispose();
 * ```
 */
export function modelFlops(model: tf.LayersModel): ModelFlops {
  return stackFlops(weightLayers(model));
}
