/**
 * The README's Results table from `data/study/summary.json`.
 *
 *     deno task study:table [--check] [--readme FILE] [--help]
 *
 * @module
 */

import {
  runMain,
  runStudyTableScript,
  STUDY_TABLE_SCRIPT,
} from "../lib/cli/mod.ts";

runMain(STUDY_TABLE_SCRIPT, runStudyTableScript);
