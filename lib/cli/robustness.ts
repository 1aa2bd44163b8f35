/**
 * The command line of `scripts/robustness.ts`: the corruption sweep over
 * every trained model, the samples picture, and the MNIST-C-layout export.
 *
 * @module
 */

import { join } from "node:path";
import {
  DATA_DIR_FLAG,
  defineScript,
  type FlagValues,
  resolveDataDir,
  seedFlag,
} from "./flags.ts";
import {
  formatDuration,
  KeyedProgress,
  logLine,
  writeFileAtomic,
} from "../core/mod.ts";
import { takeFirst } from "../data/mod.ts";
import {
  asSeverity,
  EXPORT_IDX_DIR,
  exportTestSets,
  loadPinnedCleanTest,
  ROBUSTNESS_FILES,
  robustnessDir,
  runRobustnessStage,
  samplesPng,
  summaryLine,
} from "../robustness/mod.ts";

/** The flags and `--help` of `deno task robustness`. */
export const ROBUSTNESS_SCRIPT = defineScript({
  usage: "deno task robustness [flags]",
  summary: `
Corrupt the clean MNIST test split with each corruption of the catalogue
(MNIST-C's fifteen, then gaussian_noise, speckle_noise, gaussian_blur) at
severities 1-5, evaluate every trained model (<data-dir>/models/*/ with a
manifest) on each, and on the clean and noisy test splits; write
<data-dir>/robustness/results.json and manifest.json (mCE relative to
dense). Skipped when up to date (same models, parameters and inputs).
--samples also writes robustness/samples.png (rows: identity, then the
catalogue; columns: severities 1-5). --export DIR instead writes the
corrupted test sets in MNIST-C's layout (DIR/<corruption>/test_images.npy
and test_labels.npy, the IDX pair in DIR/<corruption>/${EXPORT_IDX_DIR}/) for
identity and MNIST-C's fifteen at MNIST-C's severities, and sweeps nothing.`,
  flags: {
    seed: seedFlag(42, "seed of the corruptions' randomness"),
    limit: {
      type: "int",
      min: 1,
      description: "use the first N test images only",
    },
    samples: {
      type: "boolean",
      description: "also write robustness/samples.png",
    },
    export: {
      type: "string",
      valueName: "DIR",
      description:
        "write the corrupted test sets in MNIST-C's layout to DIR (no sweep)",
    },
    severity: {
      type: "int",
      min: 1,
      max: 5,
      valueName: "K",
      description:
        "with --export: every corruption at severity K (default: MNIST-C's)",
    },
    force: {
      type: "boolean",
      description: "sweep even when up to date",
    },
    inline: {
      type: "boolean",
      description:
        "generate corrupted splits on the main thread (default: the next one on a worker while the models evaluate, when they leave a core free)",
    },
    "data-dir": DATA_DIR_FLAG,
  },
});

/** The parsed flags of `deno task robustness`. */
export type RobustnessFlags = FlagValues<typeof ROBUSTNESS_SCRIPT.flags>;

/** Run `deno task robustness` with its parsed flags. */
export async function runRobustnessScript(
  flags: RobustnessFlags,
): Promise<number> {
  const dataDir = resolveDataDir(flags["data-dir"]);
  const { seed, limit } = flags;
  if (flags.severity !== undefined && flags.export === undefined) {
    logLine("robustness: --severity applies to --export only; ignored");
  }
  if (flags.export !== undefined) {
    const all = await loadPinnedCleanTest(dataDir);
    const clean = limit ? takeFirst(all, limit) : all;
    const bars = new KeyedProgress((_: string, total) => ({
      label: "robustness export",
      total,
      itemName: "set",
    }));
    const dirs = await exportTestSets({
      clean,
      dir: flags.export,
      seed,
      severity: flags.severity ? asSeverity(flags.severity) : undefined,
      onProgress: (done, total) => bars.update("export", done, total),
    });
    bars.finish();
    logLine(
      `robustness: exported ${dirs.length} test sets of ${clean.count} images to ${flags.export}`,
    );
  } else {
    const bars = new KeyedProgress((_: string, total) => ({
      label: "robustness",
      total,
      itemName: "img",
    }));
    const result = await runRobustnessStage({
      dataDir,
      seed,
      limit,
      force: flags.force,
      prefetch: flags.inline ? false : "auto",
      onLog: logLine,
      onProgress: (done, total, label) =>
        bars.update("sweep", done, total, label),
    });
    bars.finish();
    const { results } = result;
    if (result.status === "up to date") {
      logLine(`robustness: up to date (${result.dir})`);
    } else {
      const t = result.timings;
      logLine(
        `robustness: ${results.models.length} model(s) × ${
          2 + results.corruptions.length * 5
        } test sets of ${results.images} images in ${
          formatDuration(t.total)
        } (waiting for corrupted splits ${t.corrupt.toFixed(1)} s, evaluating ${
          t.evaluate.toFixed(1)
        } s) → ${join(result.dir, ROBUSTNESS_FILES.results)}`,
      );
    }
    for (const m of results.models) {
      console.log(summaryLine(m, results.reference));
    }
  }
  if (flags.samples) {
    const path = join(robustnessDir(dataDir), ROBUSTNESS_FILES.samples);
    await writeFileAtomic(
      path,
      samplesPng(await loadPinnedCleanTest(dataDir), seed),
    );
    logLine(`robustness: wrote ${path}`);
  }
  return 0;
}
