/**
 * Sum and Mean over leading axes, and Tile of a broadcast vector.
 * BatchNormalization's moments and gradient reduce [N,H,W,C] to [C] and
 * tile [1,1,1,C] to [N,H,W,C]; both backends are slow at exactly that.
 * Other axes, dtypes and tilings go to the original kernels. No GEMM runs
 * here, so heap views stay valid on wasm.
 *
 * @module
 */
import { tf } from "../../core/mod.ts";
import type { KernelContext } from "../context.ts";
import { plainIO, req, runFlat, withFloat64Scratch } from "../io.ts";
import { leadingAxes, repeatInto, sumRows } from "../reduce.ts";
import { type SimdLoops, simdLoops } from "../simd.ts";

/** The reductions family: Sum, Mean, Tile. */
export function reductionConfigs(ctx: KernelContext): tf.KernelConfig[] {
  return [
    leadingSumConfig(ctx, "Sum"),
    leadingSumConfig(ctx, "Mean"),
    tileConfig(ctx),
  ];
}

/** Sum or Mean, when the reduced axes are the leading ones. */
function leadingSumConfig(
  ctx: KernelContext,
  name: "Sum" | "Mean",
): tf.KernelConfig {
  const orig = ctx.fallback(name);
  return ctx.replacing(name, (args) => {
    const x = req(args, "x");
    const attrs = args.attrs ?? {};
    const r = x.shape.length;
    const lead = leadingAxes(attrs.axis as number | number[] | undefined, r);
    if (x.dtype !== "float32" || lead === null || lead === 0 || r === 0) {
      return orig(args);
    }
    const keepDims = Boolean(attrs.keepDims);
    return sumLeading(ctx, args.backend, x, lead, keepDims, name === "Mean");
  });
}

/**
 * `x` summed (or averaged) over its first `lead` axes, as rows of a
 * matrix; on wasm, whole groups of four rows in the SIMD loop.
 */
function sumLeading(
  ctx: KernelContext,
  backend: object,
  x: tf.TensorInfo,
  lead: number,
  keepDims: boolean,
  mean: boolean,
): tf.TensorInfo {
  const rows = tf.util.sizeFromShape(x.shape.slice(0, lead));
  const inner = x.shape.slice(lead);
  const cols = tf.util.sizeFromShape(inner);
  const outShape = keepDims ? [...Array(lead).fill(1), ...inner] : inner;
  const io = plainIO(ctx.isWasm, backend);
  const loops = ctx.isWasm && cols % 2 === 0 && rows >= 4
    ? simdLoops(backend)
    : null;
  // `heap`: where the SIMD loop accumulates (float64).
  const run = (heap?: () => Float64Array) =>
    runFlat(io, [x], outShape, ([xv], out) => {
      const leading = loops && heap
        ? simdLeadingRows(loops, heap, xv, rows, cols)
        : undefined;
      sumRows(xv, rows, cols, out, mean ? 1 / rows : 1, leading);
    });
  return loops ? withFloat64Scratch(io, backend, cols, run) : run();
}

/**
 * The `leadingRows` step of {@link sumRows} in the wasm SIMD loop: whole
 * groups of four rows of `x` (a heap view) summed into the float64 heap
 * scratch, then into `acc`.
 */
function simdLeadingRows(
  loops: SimdLoops,
  heap: () => Float64Array,
  x: Float32Array,
  rows: number,
  cols: number,
): (acc: Float64Array) => number {
  return (acc) => {
    const f64 = heap();
    f64.fill(0);
    const groups = Math.floor(rows / 4);
    loops.sumRows(x.byteOffset, f64.byteOffset, 4 * cols, groups * 16 * cols);
    acc.set(f64);
    return groups * 4;
  };
}

/**
 * Tile, fast when reps only touch leading axes where x has size 1 (a
 * per-channel vector broadcast over N, H, W): the output is x repeated.
 */
function tileConfig(ctx: KernelContext): tf.KernelConfig {
  const orig = ctx.fallback("Tile");
  return ctx.replacing("Tile", (args) => {
    const x = req(args, "x");
    const reps = (args.attrs?.reps ?? []) as number[];
    let k = 0;
    while (k < reps.length && x.shape[k] === 1) k++;
    const simple = x.dtype === "float32" && reps.length === x.shape.length &&
      reps.every((v, i) => i < k || v === 1);
    if (!simple) return orig(args);
    return runFlat(
      plainIO(ctx.isWasm, args.backend),
      [x],
      x.shape.map((d, i) => d * reps[i]),
      ([xv], out) => repeatInto(xv, out),
    );
  });
}
