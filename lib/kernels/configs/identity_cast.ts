/**
 * Identity and same-dtype Cast on wasm share their input's buffer. tfjs
 * clones every tensor it saves for the backward pass (Identity) and
 * moments() casts float32 to float32; wasm copies both, cpu shares the
 * buffer. Share it here too (tensors are immutable; the backend keeps a
 * reference count per buffer, which Reshape already relies on).
 *
 * @module
 */
import type { tf } from "../../core/mod.ts";
import type { KernelContext } from "../context.ts";
import { type KernelArgs, req, type WasmBackendLike } from "../io.ts";

/** The buffer-sharing family (wasm only). */
export function identityCastConfigs(ctx: KernelContext): tf.KernelConfig[] {
  if (!ctx.isWasm) return [];
  return [
    sharing(ctx, "Identity", () => true),
    sharing(ctx, "Cast", (args) => args.attrs?.dtype === req(args, "x").dtype),
  ];
}

/** Kernel `name` returning its input `x` itself when `same(args)`. */
function sharing(
  ctx: KernelContext,
  name: string,
  same: (args: KernelArgs) => boolean,
): tf.KernelConfig {
  const orig = ctx.fallback(name);
  return ctx.replacing(name, (args) => {
    const x = req(args, "x");
    if (x.dtype === "string" || !same(args)) return orig(args);
    (args.backend as WasmBackendLike).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
  });
}
