/**
 * Kernels this project registers on tfjs backends: ones a backend lacks
 * for training (the wasm backend has no `Conv2DBackpropFilter`) and
 * faster replacements for slow ones. Each is tested against tfjs'
 * reference kernel.
 *
 * @module
 */

import type { BackendName } from "../backend.ts";

/**
 * Register the training kernels for `backend`; returns the kernel names
 * registered (none twice, however often it is called).
 */
export function registerTrainingKernels(backend: BackendName): string[] {
  void backend;
  return [];
}
