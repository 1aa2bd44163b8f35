/**
 * Stage 3: train the study's cnn network on the noisy dataset.
 *
 *     deno task train:cnn [--epochs N] [--limit N] [--resume] [--help]
 *
 * @module
 */

import { runMain } from "../lib/cli/flags.ts";
import { runTrainScript } from "../lib/cli/train.ts";

runMain((args) => runTrainScript("cnn", args));
