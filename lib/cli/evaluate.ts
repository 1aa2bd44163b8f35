/**
 * The command line of `scripts/evaluate.ts`: which models on which test
 * sets, and the table (or JSON) it prints.
 *
 * @module
 */

import {
  DATA_DIR_FLAG,
  defineScript,
  type FlagValues,
  resolveDataDir,
} from "./flags.ts";
import { logLine } from "../core/mod.ts";
import { formatEvaluationTable, runEvaluateStage } from "../evaluate/mod.ts";

/** The flags and `--help` of `deno task evaluate`. */
export const EVALUATE_SCRIPT = defineScript({
  usage: "deno task evaluate [flags]",
  summary: `
Evaluate trained models on test sets and print model, test set, accuracy
with its 95 % (Wilson) interval, loss and image count; write the results as
JSON to <data-dir>/evaluations/ (named by a hash of what was evaluated) or
--out. Defaults: every trained model on the noisy and the clean MNIST test
split. A test set is a folder with the MNIST IDX pair (t10k-* or test-*,
.gz or not) or MNIST-C's test_images.npy + test_labels.npy; a folder of such
folders (MNIST-C's mnist_c/) evaluates each, with the mean over them. Model
files are checked against their manifest.json first.`,
  flags: {
    model: {
      type: "strings",
      valueName: "NAME|DIR",
      description:
        "dense, cnn (the data folder's) or a folder holding model.json; default: every trained model",
    },
    test: {
      type: "strings",
      valueName: "DIR",
      description:
        "noisy, clean (the data folder's test splits), a test-set folder or a folder of them; default: noisy and clean",
    },
    json: {
      type: "boolean",
      description: "print the results as JSON instead of a table",
    },
    out: {
      type: "string",
      valueName: "FILE",
      description:
        "write the JSON here (default: <data-dir>/evaluations/eval-<hash>.json)",
    },
    limit: {
      type: "int",
      min: 1,
      description: "evaluate the first N images of each test set only",
    },
    threads: {
      type: "int",
      min: 1,
      max: 16,
      valueName: "N",
      description:
        "threads per model; default: 2 for a convolutional model on 2+ cores, else 1",
    },
    "data-dir": DATA_DIR_FLAG,
  },
});

/** The parsed flags of `deno task evaluate`. */
export type EvaluateFlags = FlagValues<typeof EVALUATE_SCRIPT.flags>;

/** Run `deno task evaluate` with its parsed flags. */
export async function runEvaluateScript(flags: EvaluateFlags): Promise<number> {
  const { path, file } = await runEvaluateStage({
    dataDir: resolveDataDir(flags["data-dir"]),
    models: flags.model,
    tests: flags.test,
    out: flags.out,
    limit: flags.limit,
    threads: flags.threads ?? "auto",
    onLog: logLine,
  });
  console.log(
    flags.json ? JSON.stringify(file, null, 2) : formatEvaluationTable(file),
  );
  logLine(`evaluate: wrote ${path}`);
  return 0;
}
