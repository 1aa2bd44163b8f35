/**
 * Cheaper backward passes for the ops Keras' BatchNormalization and ReLU
 * lower to, installed with `tf.registerGradient` (process-wide, like every
 * tfjs gradient). The forward ops are untouched, so models, layers and
 * saved files are stock; only how the gradient is computed changes.
 *
 * Each replacement gradient calls a fused kernel ("Fast…", registered here
 * on the backends that have our fast kernels) when the active backend has
 * it and the shapes are the common case, and otherwise defers to tfjs' own
 * gradient function, so other backends (and the tests' reference backend)
 * keep the stock behaviour.
 *
 * @module
 */
import { tf } from "../core/mod.ts";
import {
  batchNormGrad,
  broadcastDivide,
  reluGrad,
  squareGrad,
} from "./grad_math.ts";
import { leadingAxes } from "./reduce.ts";
import { type SimdLoops, simdLoops } from "./simd.ts";
import {
  allFloat,
  plainIO,
  req,
  runFlat,
  runFlatMulti,
  withFloat64Scratch,
} from "./io.ts";

/** Kernel names of the fused gradient kernels. */
export const GRAD_KERNELS = {
  batchNorm: "FastFusedBatchNormGrad",
  mean: "FastMeanGrad",
  square: "FastSquareGrad",
  relu: "FastReluGrad",
} as const;

type NamedGradFunc = tf.GradConfig["gradFunc"];
type GradMap = ReturnType<NamedGradFunc>;

/** Registers the fused gradient kernels on `backendName` ("cpu" or "wasm"). */
export function registerGradientKernels(backendName: "cpu" | "wasm"): string[] {
  const isWasm = backendName === "wasm";
  const reg = (kernelName: string, kernelFunc: tf.KernelFunc) => {
    if (tf.getKernel(kernelName, backendName)) {
      tf.unregisterKernel(kernelName, backendName);
    }
    tf.registerKernel({ kernelName, backendName, kernelFunc });
    return kernelName;
  };
  return [
    reg(GRAD_KERNELS.batchNorm, (args) => {
      const x = req(args, "x"), dy = req(args, "dy");
      const { mean, variance, scale } = args.inputs;
      const C = x.shape[x.shape.length - 1];
      const eps = args.attrs?.varianceEpsilon as number;
      const ins = [x, dy, req(args, "mean"), req(args, "variance")];
      if (scale) ins.push(scale);
      const io = plainIO(isWasm, args.backend);
      const loops = isWasm && C % 2 === 0 ? simdLoops(args.backend) : null;
      // `heap`: where the SIMD loop keeps m, k and the sums (float64).
      const run = (heap?: () => Float64Array) =>
        runFlatMulti(
          io,
          ins,
          [x.shape, mean!.shape, variance!.shape, [C], [C]],
          ([xv, dyv, mv, vv, sv], [dx, dMean, dVariance, dScale, dOffset]) => {
            const rows = loops && heap
              ? (
                m: Float64Array,
                k: Float64Array,
                s1: Float64Array,
                s2: Float64Array,
              ) => {
                const f64 = heap();
                f64.set(m, 0);
                f64.set(k, C);
                f64.set(s1, 2 * C);
                f64.set(s2, 3 * C);
                const pairs = Math.floor(xv.length / (2 * C));
                loops.batchNormGrad(
                  xv.byteOffset,
                  dyv.byteOffset,
                  dx.byteOffset,
                  f64.byteOffset,
                  4 * C,
                  pairs * 8 * C,
                );
                s1.set(f64.subarray(2 * C, 3 * C));
                s2.set(f64.subarray(3 * C));
                return pairs * 2 * C;
              }
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
    }),
    reg(GRAD_KERNELS.mean, (args) => {
      const dy = req(args, "dy");
      const attrs = args.attrs ?? {};
      return runFlat(
        plainIO(isWasm, args.backend),
        [dy],
        attrs.shape as number[],
        ([dyv], out) => broadcastDivide(dyv, attrs.count as number, out),
      );
    }),
    reg(GRAD_KERNELS.square, (args) => {
      const x = req(args, "x"), dy = req(args, "dy");
      return runFlat(
        plainIO(isWasm, args.backend),
        [x, dy],
        x.shape,
        ([xv, dyv], out) => {
          const done = simdPrefix(args.backend, [xv, dyv, out], (l, p) => {
            l.squareGrad(p[0], p[1], p[2], p[3]);
          });
          if (done < out.length) {
            squareGrad(
              xv.subarray(done),
              dyv.subarray(done),
              out.subarray(done),
            );
          }
        },
      );
    }),
    reg(GRAD_KERNELS.relu, (args) => {
      const x = req(args, "x"), dy = req(args, "dy");
      return runFlat(
        plainIO(isWasm, args.backend),
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
    }),
  ];
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

/** True when the active backend has our fused kernel `name`. */
function available(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

function run(
  name: string,
  inputs: Record<string, tf.Tensor>,
  attrs: tf.NamedAttrMap = {},
): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs) as tf.Tensor;
}

const sameShape = (a: tf.Tensor, b: tf.Tensor) =>
  tf.util.arraysEqual(a.shape, b.shape);

/** Per-channel vector for an [.., C] tensor: rank 1, length C. */
const perChannel = (t: tf.Tensor | undefined, C: number) =>
  t === undefined || t === null || (t.rank === 1 && t.shape[0] === C);

/**
 * FusedBatchNorm: one kernel computes dx and all four per-channel
 * gradients (the stock gradient makes ~10 full-size passes and 4 sums).
 * The kernel runs eagerly when the gradient function is called (outside
 * the per-input tidy scopes), so all five results live until the backward
 * pass's own scope ends; the thunks just hand them out.
 */
function batchNormGradFunc(stock: NamedGradFunc): NamedGradFunc {
  return (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved;
    const g = dy as tf.Tensor;
    const C = x.shape[x.shape.length - 1];
    const usable = available(GRAD_KERNELS.batchNorm) &&
      allFloat([x, g, mean, variance, scale]) && sameShape(x, g) &&
      x.rank >= 1 && perChannel(mean, C) && perChannel(variance, C) &&
      perChannel(scale, C);
    if (!usable) return stock(dy, saved, attrs);
    const inputs: Record<string, tf.Tensor> = { x, dy: g, mean, variance };
    if (scale) inputs.scale = scale;
    const [dx, dMean, dVariance, dScale, dOffset] = tf.engine().runKernel(
      GRAD_KERNELS.batchNorm,
      inputs,
      { varianceEpsilon: attrs.varianceEpsilon as number },
    ) as tf.Tensor[];
    return {
      x: () => dx,
      mean: () => dMean,
      variance: () => dVariance,
      scale: () => dScale,
      offset: () => dOffset,
    };
  };
}

/**
 * Mean over the leading axes: the gradient is dy / count repeated, written
 * once (stock: ones(x.shape), a broadcast multiply and a divide).
 */
function meanGradFunc(stock: NamedGradFunc): NamedGradFunc {
  return (dy, saved, attrs) => {
    const [x] = saved;
    const g = dy as tf.Tensor;
    const lead = leadingAxes(attrs.axis as number | number[], x.rank);
    if (
      !available(GRAD_KERNELS.mean) || lead === null || lead === 0 ||
      !allFloat([x, g]) ||
      g.size !== tf.util.sizeFromShape(x.shape.slice(lead))
    ) return stock(dy, saved, attrs);
    const count = tf.util.sizeFromShape(x.shape.slice(0, lead));
    return {
      x: () =>
        run(GRAD_KERNELS.mean, { dy: g }, { shape: x.shape.slice(), count }),
    };
  };
}

/** Elementwise unary gradient (Square, Relu) through `kernel` when shapes match. */
function unaryGradFunc(kernel: string, stock: NamedGradFunc): NamedGradFunc {
  return (dy, saved, attrs) => {
    const [x] = saved;
    const g = dy as tf.Tensor;
    if (!available(kernel) || !allFloat([x, g]) || !sameShape(x, g)) {
      return stock(dy, saved, attrs);
    }
    return { x: () => run(kernel, { x, dy: g }) };
  };
}

const stockGradients = new Map<string, tf.GradConfig>();

/**
 * Installs the fused gradients for FusedBatchNorm, Mean, Square and Relu
 * (process-wide; idempotent). Returns the kernel names whose gradient was
 * replaced.
 */
export function installFastGradients(): string[] {
  const replacements: [string, (stock: NamedGradFunc) => NamedGradFunc][] = [
    ["FusedBatchNorm", batchNormGradFunc],
    ["Mean", meanGradFunc],
    ["Square", (s) => unaryGradFunc(GRAD_KERNELS.square, s)],
    ["Relu", (s) => unaryGradFunc(GRAD_KERNELS.relu, s)],
  ];
  const done: string[] = [];
  for (const [kernelName, make] of replacements) {
    let stock = stockGradients.get(kernelName);
    if (!stock) {
      stock = tf.getGradient(kernelName);
      if (!stock) continue;
      stockGradients.set(kernelName, stock);
    }
    tf.registerGradient({
      ...stock,
      gradFunc: make(stock.gradFunc) as (
        dy: tf.Tensor | tf.Tensor[],
        saved: tf.Tensor[],
        attrs: tf.NamedAttrMap,
      ) => GradMap,
    });
    done.push(kernelName);
  }
  return done;
}
