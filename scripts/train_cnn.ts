/**
 * Stage 3: train the study's cnn network on the noisy dataset.
 *
 *     deno task train:cnn [--epochs N] [--limit N] [--resume] [--help]
 *
 * @module
 */

import { runMain, runTrainScript, trainScript } from "../lib/cli/mod.ts";

runMain(trainScript("cnn"), (flags) => runTrainScript("cnn", flags));
