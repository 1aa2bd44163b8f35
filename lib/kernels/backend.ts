/**
 * Choosing and starting the TensorFlow.js backend.
 *
 * Two backends work under Deno on a CPU: `wasm` (SIMD, fastest) and `cpu`
 * (plain JavaScript); webgl and webgpu need a GPU, and the native node
 * backend is not used (see core/tf.ts). tfjs silently stays on `cpu` when
 * another backend fails to start, so {@link initBackend} checks what is
 * active afterwards and fails loudly instead. No network is needed: the
 * wasm binary ships inside the npm package.
 *
 * @module
 */

import { NoisyMnistError, tf, UsageError } from "../core/mod.ts";
import { registerTrainingKernels } from "./mod.ts";

/** Backends this project can run on. */
export type BackendName = "wasm" | "cpu";

/** Backends in order of preference (fastest first). */
export const BACKENDS: readonly BackendName[] = ["wasm", "cpu"];

/** A backend that was requested but did not start. */
export class BackendError extends NoisyMnistError {}

/** What {@link initBackend} started. */
export interface BackendInfo {
  /** The active backend. */
  name: BackendName;
  /** tfjs version. */
  tfjs: string;
  /** Kernels this project registered on it (fast, fixed or missing ones). */
  customKernels: string[];
  /** The matrix product the custom kernels use. */
  gemm: "openblas" | "wasm-xnnpack" | "js";
}

/** Parse a `--backend` value: a backend name or `auto`. */
export function parseBackendName(
  value: string | undefined,
): BackendName | "auto" {
  if (value === undefined || value === "auto") return "auto";
  if ((BACKENDS as readonly string[]).includes(value)) {
    return value as BackendName;
  }
  throw new UsageError(
    `--backend: unknown backend "${value}"; choose ${
      BACKENDS.join(", ")
    } or auto`,
  );
}

async function tryBackend(name: BackendName): Promise<boolean> {
  if (name === "wasm") {
    // Registers the "wasm" backend factory as a side effect.
    await import("@tensorflow/tfjs-backend-wasm");
  }
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch {
    ok = false;
  }
  return ok && tf.getBackend() === name;
}

/**
 * Start `requested` (or the fastest that works, for `auto`), register the
 * kernels it lacks for training, and verify it is the active backend.
 *
 * @example
 * ```ts
 * const backend = await initBackend("auto");
 * console.log(backend.name); // "wasm"
 * ```
 */
export async function initBackend(
  requested: BackendName | "auto" = "auto",
): Promise<BackendInfo> {
  const candidates = requested === "auto" ? BACKENDS : [requested];
  for (const name of candidates) {
    if (await tryBackend(name)) {
      const kernels = registerTrainingKernels(name);
      return {
        name,
        tfjs: tf.version.tfjs,
        customKernels: kernels.kernels,
        gemm: kernels.gemm,
      };
    }
  }
  throw new BackendError(
    requested === "auto"
      ? `no TensorFlow.js backend started (tried ${BACKENDS.join(", ")})`
      : `backend "${requested}" did not start (tfjs is on "${tf.getBackend()}"); try --backend ${
        BACKENDS.filter((b) => b !== requested).join(" or ")
      }`,
  );
}
