/**
 * Quickly trained models for the predict and serve tests: the pipeline's
 * own scripts, run as a user runs them, on a slice of real MNIST with the
 * identity preset (clean digits), for a few epochs.
 *
 * @module
 */

import assert from "assert";
import { runScript, TASK_PERMISSIONS } from "./helpers.ts";

/** How much to train. */
export interface QuickModelOptions {
  /** Which models (default: dense only). */
  models?: readonly ("dense" | "cnn")[];
  /** Training images (default 10,000). */
  limit?: number;
  /** Epochs of the dense net (default 3). */
  denseEpochs?: number;
  /** Training images of the CNN (default 2,000; it is the slow one). */
  cnnLimit?: number;
}

function run(script: string, args: string[]) {
  return runScript(script, args, [
    ...TASK_PERMISSIONS,
    "--allow-net",
    "--allow-ffi",
  ]);
}

/**
 * fetch → augment (`--preset none`) → train into `dataDir`, from the
 * MNIST files in `mnistDir`. The CNN gets one epoch on `cnnLimit` images
 * (a separate augment run would be needed for a smaller slice, so it
 * trains on the same noisy/ with its own `--limit`).
 */
export async function trainQuickModels(
  dataDir: string,
  mnistDir: string,
  options: QuickModelOptions = {},
): Promise<void> {
  const dd = ["--data-dir", dataDir];
  const limit = String(options.limit ?? 10_000);
  const steps: [string, string[]][] = [
    ["fetch", [...dd, "--source", mnistDir]],
    ["augment", [
      ...dd,
      "--limit",
      limit,
      "--preset",
      "none",
      "--workers",
      "1",
    ]],
  ];
  for (const model of options.models ?? ["dense"]) {
    steps.push(
      model === "dense"
        ? ["train_dense", [
          ...dd,
          "--limit",
          limit,
          "--epochs",
          String(options.denseEpochs ?? 3),
        ]]
        : ["train_cnn", [
          ...dd,
          "--limit",
          String(options.cnnLimit ?? 2_000),
          "--epochs",
          "1",
          "--workers",
          "1",
        ]],
    );
  }
  for (const [script, args] of steps) {
    const result = await run(script, args);
    assert.equal(result.code, 0, `${script}: ${result.stderr}`);
  }
}
