/**
 * Models for the predict and serve tests: quickly trained ones (the
 * pipeline's own scripts, run as a user runs them, on a slice of real
 * MNIST with the identity preset, for a few epochs), or untrained ones
 * beside a synthetic noisy test split, for tests that need no MNIST.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  hashFiles,
  readManifest,
  writeManifest,
} from "../lib/core/manifest.ts";
import { saveModel } from "../lib/train/model_io.ts";
import { buildModel, type ModelName } from "../lib/train/models.ts";
import { writeReportFixture } from "./fixtures_report.ts";
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

/**
 * A data folder the web app can serve without any training: the report
 * fixture's noisy test split (seven-segment digits) and, per model, the
 * untrained network (seeded) saved as `model.json` + `weights.bin`, with
 * a manifest recording their hashes as the training stage would.
 */
export async function writeUntrainedModels(
  dataDir: string,
  models: readonly ModelName[] = ["dense"],
): Promise<void> {
  await writeReportFixture(dataDir, { models });
  for (const name of models) {
    const dir = join(dataDir, "models", name);
    const model = buildModel(name, 42, { mean: 0.13, std: 0.3 });
    await saveModel(model, dir);
    model.dispose();
    const manifest = (await readManifest(dir))!;
    manifest.outputs = {
      ...manifest.outputs,
      ...await hashFiles(dir, ["model.json", "weights.bin"]),
    };
    await writeManifest(dir, manifest);
  }
}
