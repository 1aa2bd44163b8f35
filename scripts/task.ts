/**
 * What `deno task augment|train:dense|train:cnn|report|robustness [flags]` runs:
 * the stage's task chain with `--data-dir` applied to every task in it
 * (see lib/cli/task.ts for why a wrapper is needed).
 *
 *     deno run --allow-read --allow-env --allow-run scripts/task.ts STAGE [flags]
 *
 * @module
 */

import { runTaskChain } from "../lib/cli/task.ts";

const [stage = "", ...args] = Deno.args;
Deno.exit(await runTaskChain(stage, args));
