/**
 * Robustness results for the report tests, consistent with the report
 * fixture: clean MNIST test files (seven-segment digits) in `mnist/`, and
 * `robustness/results.json` with its manifest, which records each model's
 * `models/<m>/manifest.json` hash as the stage does. Accuracies are
 * synthetic; CE, mCE and relative mCE are computed from them with
 * lib/robustness's own functions. Deterministic.
 *
 * @module
 */

import { join } from "node:path";
import { writeJsonAtomic } from "../lib/core/fsutil.ts";
import { sha256File } from "../lib/core/hash.ts";
import {
  denoVersions,
  hashFiles,
  type StageManifest,
  writeManifest,
} from "../lib/core/manifest.ts";
import { writeIdx } from "../lib/data/idx.ts";
import { MNIST_FILES } from "../lib/data/mnist.ts";
import {
  corruptionError,
  CORRUPTIONS,
  meanOf,
  type ModelRobustness,
  relativeCorruptionError,
  type RobustnessCell,
  type RobustnessResults,
} from "../lib/robustness/mod.ts";
import type { ModelName } from "../lib/train/models.ts";
import { drawDigit } from "./fixtures_report.ts";

/** Options of {@link writeRobustnessFixture}. */
export interface RobustnessFixtureOptions {
  /** Models evaluated (default both); each must be trained. */
  models?: readonly ModelName[];
  /** Write clean test digits into `mnist/` (default true). */
  mnist?: boolean;
}

/** Clean test images the fixture's `mnist/` holds. */
export const FIXTURE_CLEAN_COUNT = 10;

/** The seed the fixture's results record. */
export const FIXTURE_SEED = 1234;

function cell(accuracy: number): RobustnessCell {
  return {
    accuracy: Math.round(accuracy * 1e4) / 1e4,
    loss: 0.1 + (1 - accuracy),
    count: 1000,
  };
}

/** Ten clean seven-segment digits as MNIST's test files. */
export async function writeCleanMnist(dataDir: string): Promise<void> {
  const dir = join(dataDir, "mnist");
  const labels = Uint8Array.from(
    { length: FIXTURE_CLEAN_COUNT },
    (_, i) => (i * 3 + 7) % 10,
  );
  const images = new Uint8Array(labels.length * 784);
  labels.forEach((d, i) => images.set(drawDigit(d, 0, 0, 0, () => 1), i * 784));
  await writeIdx(join(dir, MNIST_FILES.test.images), {
    dtype: "uint8",
    shape: [labels.length, 28, 28],
    data: images,
  });
  await writeIdx(join(dir, MNIST_FILES.test.labels), {
    dtype: "uint8",
    shape: [labels.length],
    data: labels,
  });
}

/**
 * Write `robustness/results.json` and `robustness/manifest.json` for the
 * models trained in `dataDir` (run {@link writeReportFixture} first).
 * Returns the results.
 */
export async function writeRobustnessFixture(
  dataDir: string,
  options: RobustnessFixtureOptions = {},
): Promise<RobustnessResults> {
  const models = options.models ?? ["dense", "cnn"];
  if (options.mnist !== false) await writeCleanMnist(dataDir);
  const hashes: Record<string, string> = {};
  for (const m of models) {
    hashes[`models/${m}/manifest.json`] = await sha256File(
      join(dataDir, "models", m, "manifest.json"),
    );
  }
  // Per corruption, how much accuracy it costs the dense net at severity
  // 5; the CNN loses 60 % of that.
  const cost = (i: number) => 0.05 + ((i * 37) % 17) / 30;
  const rows = models.map((model) => {
    const clean = model === "cnn" ? 0.991 : 0.978;
    const factor = model === "cnn" ? 0.6 : 1;
    const corruptions: Record<string, RobustnessCell[]> = {};
    CORRUPTIONS.forEach((c, i) => {
      corruptions[c.name] = [1, 2, 3, 4, 5].map((s) =>
        cell(Math.max(0.05, clean - factor * cost(i) * s / 5))
      );
    });
    return {
      model,
      manifestSha256: hashes[`models/${model}/manifest.json`],
      clean: cell(clean),
      noisy: cell(model === "cnn" ? 0.93 : 0.78),
      corruptions,
    };
  });
  const reference = rows.find((r) => r.model === "dense") ?? rows[0];
  const mnistC = CORRUPTIONS.filter((c) => c.group === "mnist-c");
  const errors = (r: typeof rows[number], name: string) =>
    r.corruptions[name].map((x) => 1 - x.accuracy);
  const results: RobustnessResults = {
    seed: FIXTURE_SEED,
    images: 1000,
    reference: reference.model,
    corruptions: CORRUPTIONS.map((c) => ({
      name: c.name,
      group: c.group,
      defaultSeverity: c.defaultSeverity,
    })),
    models: rows.map((r): ModelRobustness => {
      const ce = Object.fromEntries(
        mnistC.map((
          c,
        ) => [
          c.name,
          corruptionError(errors(r, c.name), errors(reference, c.name)),
        ]),
      );
      return {
        ...r,
        mnistCAccuracy: meanOf(
          mnistC.map((c) =>
            r.corruptions[c.name][c.defaultSeverity - 1].accuracy
          ),
        ),
        corruptionErrors: ce,
        mCE: meanOf(Object.values(ce)),
        relativeMCE: meanOf(mnistC.map((c) =>
          relativeCorruptionError(
            errors(r, c.name),
            1 - r.clean.accuracy,
            errors(reference, c.name),
            1 - reference.clean.accuracy,
          )
        )),
      };
    }),
  };
  const dir = join(dataDir, "robustness");
  await writeJsonAtomic(join(dir, "results.json"), results);
  const manifest: StageManifest = {
    stage: "robustness",
    params: { seed: FIXTURE_SEED, images: 1000 },
    inputs: hashes,
    outputs: await hashFiles(dir, ["results.json"]),
    versions: denoVersions(),
    startedAt: "2025-01-01T03:00:00.000Z",
    seconds: 321,
    results: { models: models.length },
  };
  await writeManifest(dir, manifest);
  return results;
}

/**
 * Rewrite `robustness/results.json` with `edit` applied and, when
 * `vouch`, its manifest's hash updated to match (as if the stage itself
 * had written it).
 */
export async function editRobustnessResults(
  dataDir: string,
  edit: (results: RobustnessResults) => void,
  vouch: boolean,
): Promise<void> {
  const dir = join(dataDir, "robustness");
  const path = join(dir, "results.json");
  const results = JSON.parse(await Deno.readTextFile(path));
  edit(results);
  await writeJsonAtomic(path, results);
  if (vouch) {
    const manifestPath = join(dir, "manifest.json");
    const manifest = JSON.parse(await Deno.readTextFile(manifestPath));
    manifest.outputs["results.json"] = await sha256File(path);
    await writeJsonAtomic(manifestPath, manifest);
  }
}
