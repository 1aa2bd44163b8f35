/**
 * `deno task <stage> [flags]` for the stages with upstream tasks
 * (augment, train:dense, train:cnn, report, robustness, study), so that `--data-dir DIR`
 * applies to the whole chain.
 *
 * Deno (2.9) appends the arguments of `deno task <name> …` to the command
 * of `<name>` alone: the tasks in its `dependencies` run without them, but
 * with the environment of `deno task`. So `deno task train:dense
 * --data-dir X` used to fetch and augment into `./data`, then train on X.
 * A script cannot refuse that in time (its upstream tasks have already
 * run by then), so the public task has no dependencies and runs this
 * wrapper instead: it copies `--data-dir` into {@link DATA_DIR_ENV}, which
 * every script reads when it has no `--data-dir`, and runs
 * `deno task chain:<stage> [flags]`, whose dependencies carry the DAG.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { DATA_DIR_ENV } from "./flags.ts";

/** The stages whose task runs upstream tasks first. */
export const CHAIN_STAGES: readonly string[] = [
  "augment",
  "train:dense",
  "train:cnn",
  "report",
  "robustness",
  "study",
];

/** The deno.json task holding `stage`'s command and its dependencies. */
export function chainTask(stage: string): string {
  return `chain:${stage}`;
}

/**
 * The value of `--data-dir` in `args` as the scripts' parser reads it
 * (`--data-dir X` or `--data-dir=X`, the last one wins, nothing after
 * `--`); `undefined` when absent or empty, or when a flag follows it.
 */
export function chainDataDir(args: readonly string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") break;
    if (arg.startsWith("--data-dir=")) {
      value = arg.slice("--data-dir=".length);
    } else if (arg === "--data-dir") {
      const next = args[i + 1];
      // The scripts take `-5` as a value (a negative number), `-x` not.
      const isValue = next !== undefined &&
        (!next.startsWith("-") || /^-[\d.]/.test(next));
      value = isValue ? next : undefined;
      if (value !== undefined) i++;
    }
  }
  return value === "" ? undefined : value;
}

/**
 * Run `deno task chain:<stage> ...args` with `NOISY_MNIST_DATA_DIR` set
 * from `--data-dir`; resolves to its exit code. Ctrl-C reaches the chain
 * from the terminal; this process waits for it to stop.
 */
export async function runTaskChain(
  stage: string,
  args: readonly string[],
): Promise<number> {
  if (!CHAIN_STAGES.includes(stage)) {
    console.error(
      `error: no task chain for "${stage}" (expected one of: ${
        CHAIN_STAGES.join(", ")
      })`,
    );
    return 2;
  }
  const dataDir = chainDataDir(args);
  const config = fileURLToPath(new URL("../../deno.json", import.meta.url));
  const ignore = () => {};
  Deno.addSignalListener("SIGINT", ignore);
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["task", "--config", config, chainTask(stage), ...args],
      env: dataDir === undefined ? {} : { [DATA_DIR_ENV]: dataDir },
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    return (await child.status).code;
  } finally {
    Deno.removeSignalListener("SIGINT", ignore);
  }
}
