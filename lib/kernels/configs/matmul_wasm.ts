/**
 * wasm without BLAS: transposed matmuls go through an explicit Transpose
 * so XNNPACK sees its fast untransposed layout. This also fixes wasm's
 * _FusedMatMul (4.22.0), which returns wrong values when an operand is
 * transposed. tests/kernels_test.ts checks it, transposed operands
 * included, against tfjs' reference cpu kernel.
 *
 * @module
 */
import { tf } from "../../core/mod.ts";
import type { KernelContext } from "../context.ts";
import { req, type WasmBackendLike } from "../io.ts";

/** The untransposing matmul family (wasm without BLAS only). */
export function wasmMatMulConfigs(ctx: KernelContext): tf.KernelConfig[] {
  if (ctx.blas || !ctx.isWasm) return [];
  const transpose = ctx.fallback("Transpose");
  return [
    untransposed(ctx, "BatchMatMul", transpose),
    untransposed(ctx, "_FusedMatMul", transpose),
  ];
}

/**
 * Kernel `name` with transposed operands transposed first (by the
 * backend's `transpose` kernel) and freed after.
 */
function untransposed(
  ctx: KernelContext,
  name: string,
  transpose: tf.KernelFunc,
): tf.KernelConfig {
  const orig = ctx.fallback(name);
  return ctx.replacing(name, (args) => {
    const attrs = args.attrs ?? {};
    if (!attrs.transposeA && !attrs.transposeB) return orig(args);
    const a = req(args, "a"), b = req(args, "b");
    const tr = (t: tf.TensorInfo, on: boolean): tf.TensorInfo => {
      if (!on) return t;
      const r = t.shape.length;
      const perm = [...Array(r - 2).keys(), r - 1, r - 2];
      // Call the backend's kernel directly (not through the engine) so
      // the temporary is never seen by the tape or memory tracking.
      return transpose({
        inputs: { x: t },
        backend: args.backend,
        attrs: { perm },
      }) as tf.TensorInfo;
    };
    const at = tr(a, !!attrs.transposeA), bt = tr(b, !!attrs.transposeB);
    const out = orig({
      inputs: { ...args.inputs, a: at, b: bt },
      backend: args.backend,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    });
    const be = args.backend as WasmBackendLike;
    if (at !== a) be.disposeData(at.dataId);
    if (bt !== b) be.disposeData(bt.dataId);
    return out;
  });
}
