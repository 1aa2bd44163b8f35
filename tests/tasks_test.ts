/**
 * `deno task <stage> --data-dir DIR` and the report's "Reproduce" block:
 * Deno gives a task's arguments to the named task only, never to its
 * `dependencies`, so the data folder must reach the whole chain another
 * way, and the report must print commands that run one stage each.
 */
import { FIXTURE_SEED, writeRobustnessFixture } from "./fixtures_robustness.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { chainDataDir } from "../lib/cli/task.ts";
import { commands } from "../lib/report/provenance.ts";
import { loadReportInputs } from "../lib/report/load.ts";
import { MNIST_FILE_NAMES } from "../lib/data/mod.ts";
import {
  listDir,
  MNIST_DIR,
  NEEDS_PERMISSIONS,
  PERMITTED,
  withTempDir,
} from "./helpers.ts";
import { writeReportFixture } from "./fixtures_report.ts";

interface Task {
  command: string;
  dependencies?: string[];
}

/** deno.json's tasks (none under plain `deno test`, which cannot read it). */
const CONFIGURED_TASKS: Record<string, string | Task> = PERMITTED
  ? JSON.parse(await Deno.readTextFile("deno.json")).tasks
  : {};

const TASKS: Record<string, Task> = Object.fromEntries(
  Object.entries(CONFIGURED_TASKS).map(([name, task]) => [
    name,
    typeof task === "string" ? { command: task } : task,
  ]),
);

/** `deno task …` as a user types it, without NOISY_MNIST_DATA_DIR. */
async function denoTask(args: string[], env: Record<string, string> = {}) {
  const inherited = Deno.env.toObject();
  delete inherited.NOISY_MNIST_DATA_DIR;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", ...args],
    clearEnv: true,
    env: { ...inherited, NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** `command`'s words as `sh` splits them (quotes removed). */
async function shellWords(command: string): Promise<string[]> {
  const output = await new Deno.Command("sh", {
    args: ["-c", `printf '%s\\0' ${command}`],
    stdout: "piped",
  }).output();
  assert.ok(output.success, command);
  return new TextDecoder().decode(output.stdout).split("\0").slice(0, -1);
}

Deno.test("chainDataDir reads --data-dir as the scripts' parser does", () => {
  assert.equal(chainDataDir(["--epochs", "3"]), undefined);
  assert.equal(chainDataDir(["--data-dir", "my data", "--force"]), "my data");
  assert.equal(chainDataDir(["--data-dir=x", "--limit", "10"]), "x");
  assert.equal(chainDataDir(["--data-dir", "a", "--data-dir", "b"]), "b");
  assert.equal(chainDataDir(["--data-dir"]), undefined);
  assert.equal(chainDataDir(["--data-dir", ""]), undefined);
  assert.equal(chainDataDir(["--", "--data-dir", "x"]), undefined);
});

Deno.test(
  "deno.json: each stage with upstream tasks runs them on its --data-dir",
  NEEDS_PERMISSIONS,
  () => {
    for (
      const stage of [
        "augment",
        "train:dense",
        "train:cnn",
        "report",
        "robustness",
      ]
    ) {
      const task = TASKS[stage];
      assert.ok(task, stage);
      // The public task has no dependencies of its own: the wrapper sets
      // NOISY_MNIST_DATA_DIR, then runs chain:<stage>, which has them.
      assert.equal(task.dependencies, undefined, stage);
      assert.match(task.command, new RegExp(`scripts/task\\.ts ${stage}$`));
      const chain = TASKS[`chain:${stage}`];
      assert.ok(chain?.dependencies?.length, `chain:${stage}`);
      for (const dep of chain.dependencies!) {
        assert.ok(dep === "fetch" || dep.startsWith("chain:"), dep);
      }
    }
  },
);

Deno.test({
  name:
    "deno task augment --data-dir X runs its upstream fetch on X, not ./data",
  ignore: MNIST_DIR === undefined,
  async fn() {
    await withTempDir(async (dir) => {
      const dataDir = join(dir, "my data");
      const result = await denoTask([
        "augment",
        "--data-dir",
        dataDir,
        "--limit",
        "100",
        "--preset",
        "none",
        "--workers",
        "1",
      ], { MNIST_SOURCE: MNIST_DIR! });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(
        await listDir(join(dataDir, "mnist")),
        [...MNIST_FILE_NAMES].sort(),
      );
      assert.ok(
        (await listDir(join(dataDir, "noisy"))).includes("manifest.json"),
      );
    });
  },
});

Deno.test(
  "report: Reproduce runs each stage alone, with its flags, shell-quoted",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dir) => {
      const dataDir = join(dir, "it's my data");
      await writeReportFixture(dataDir);
      const inputs = await loadReportInputs(dataDir);
      inputs.models[0].metrics.recipe.epochs = 3;
      const lines = commands(inputs);
      assert.equal(lines.length, 5);
      const stages = ["fetch", "augment", "train:dense", "train:cnn", "report"];
      for (const [i, line] of lines.entries()) {
        const words = await shellWords(line);
        // Exactly the task's own command: `deno task <stage>` would also run
        // the upstream tasks, with default flags, over what the lines
        // before it made.
        const command = stages[i] === "fetch"
          ? TASKS.fetch.command
          : TASKS[`chain:${stages[i]}`].command;
        const base = command.split(" ");
        assert.deepEqual(words.slice(0, base.length), base, line);
        assert.deepEqual(words.slice(-2), ["--data-dir", dataDir], line);
      }
      assert.ok((await shellWords(lines[2])).join(" ").includes("--epochs 3"));
      assert.ok((await shellWords(lines[1])).join(" ").includes("--seed 42"));

      // With robustness results, their stage runs before the report.
      await writeRobustnessFixture(dataDir);
      const withRobustness = commands(await loadReportInputs(dataDir));
      assert.equal(withRobustness.length, 6);
      const words = await shellWords(withRobustness[4]);
      const base = TASKS["chain:robustness"].command.split(" ");
      assert.deepEqual(words.slice(0, base.length), base);
      assert.deepEqual(words.slice(base.length), [
        "--seed",
        String(FIXTURE_SEED),
        "--data-dir",
        dataDir,
      ]);
    });
  },
);

Deno.test(
  "plain `deno test` runs what needs no permission and ignores the rest, naming -P",
  NEEDS_PERMISSIONS,
  async () => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["test", "tests/cli_test.ts", "tests/rng_test.ts"],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const text = new TextDecoder().decode(output.stdout) +
      new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, text);
    assert.doesNotMatch(text, /Did you mean to run with -P|Stack backtrace/);
    assert.match(text, /run `deno test -P` for the whole suite/);
    assert.match(text, /\d+ passed .*\| 0 failed \| [1-9]\d* ignored/);
  },
);
