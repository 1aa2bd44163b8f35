/**
 * The study over seeds: every recipe trained and evaluated once per seed,
 * then the summary across seeds.
 *
 *     deno task study --seeds 42,1,2 [--models dense,cnn] [--limit N]
 *       [--epochs N] [--collect DIR...] [--json] [--help]
 *
 * @module
 */

import { runMain, runStudyScript, STUDY_SCRIPT } from "../lib/cli/mod.ts";

runMain(STUDY_SCRIPT, runStudyScript);
