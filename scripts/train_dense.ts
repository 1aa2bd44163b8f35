/**
 * Stage 3: train the study's dense network on the noisy dataset.
 *
 *     deno task train:dense [--epochs N] [--limit N] [--resume] [--help]
 *
 * @module
 */

import { runMain, runTrainScript, trainScript } from "../lib/cli/mod.ts";

runMain(trainScript("dense"), (flags) => runTrainScript("dense", flags));
