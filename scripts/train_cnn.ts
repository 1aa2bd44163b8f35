/**
 * Stage 3: train the study's cnn network on the noisy dataset.
 *
 *     deno task train:cnn [--epochs N] [--limit N] [--resume] [--help]
 *
 * @module
 */

import { runMain } from "../lib/cli/flags.ts";
import { runTrainScript, trainScript } from "../lib/cli/train.ts";

runMain(trainScript("cnn"), (flags) => runTrainScript("cnn", flags));
