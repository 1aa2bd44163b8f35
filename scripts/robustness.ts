/**
 * Stage 5 of the pipeline: the robustness benchmark. Every trained model
 * on the clean test split under each corruption of the catalogue at
 * severities 1–5 (MNIST-C's fifteen and three extras), scored as MNIST-C
 * and ImageNet-C do (mCE against the dense model).
 *
 *     deno task robustness [--seed N] [--limit N] [--samples]
 *       [--export DIR [--severity K]] [--force] [--data-dir DIR]
 *
 * @module
 */

import { runMain } from "../lib/cli/flags.ts";
import {
  ROBUSTNESS_SCRIPT,
  runRobustnessScript,
} from "../lib/cli/robustness.ts";

runMain(ROBUSTNESS_SCRIPT, runRobustnessScript);
