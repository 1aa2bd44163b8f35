/**
 * Evaluate trained models on test sets: the data folder's noisy and clean
 * test splits, any folder of MNIST IDX or MNIST-C `.npy` files, or a root
 * of such folders. Prints a table (or JSON) and writes the JSON.
 *
 *     deno task evaluate [--model dense|cnn|DIR ...] [--test DIR ...]
 *       [--json] [--out FILE] [--limit N] [--threads N] [--data-dir DIR]
 *
 * @module
 */

import { runMain } from "../lib/cli/flags.ts";
import { EVALUATE_SCRIPT, runEvaluateScript } from "../lib/cli/evaluate.ts";

runMain(EVALUATE_SCRIPT, runEvaluateScript);
