/**
 * The command lines of `scripts/study.ts` (train and evaluate every recipe
 * under every seed, then the summary) and `scripts/study_table.ts` (the
 * README's Results table from the summary).
 *
 * @module
 */

import { join } from "node:path";
import {
  DATA_DIR_FLAG,
  defineScript,
  type FlagValues,
  resolveDataDir,
} from "./flags.ts";
import { listenForStop } from "./interrupt.ts";
import { epochLine } from "./train.ts";
import {
  ConfigError,
  DataError,
  KeyedProgress,
  logLine,
  MissingInputError,
  writeFileAtomic,
} from "../core/mod.ts";
import { STUDY_ACCURACY } from "../report/mod.ts";
import {
  collectRuns,
  formatMeanInterval,
  loadStudySummary,
  makePlan,
  recipeNames,
  replaceBetweenMarkers,
  runLabel,
  runStudy,
  STUDY_DIR,
  STUDY_FILES,
  type StudySummary,
  studyTable,
} from "../study/mod.ts";

/** The flags and `--help` of `deno task study`. */
export const STUDY_SCRIPT = defineScript({
  usage: "deno task study [flags]",
  summary: `
Train each recipe once per seed, each run in its own folder with its own
manifest: <data-dir>/study/<recipe>/seed-<k>/, or seed-<k>-limit<N>-epochs<E>
when --limit/--epochs are given (quick runs never count as full ones).
Evaluate each run (noisy and clean test accuracy, and the mean accuracy over
MNIST-C's 15 corruptions at their default severities) into
<run>/evaluation/, then write <data-dir>/study/summary.json: per recipe the
mean, sd and 95 % t-interval of each metric, paired differences between
recipes, and how many seeds reach the study's published figures. Up-to-date
runs are skipped: Ctrl-C stops with a checkpoint (exit 130) and the next run
resumes it. --collect DIR merges the verified runs of another data folder's
study/ first.`,
  flags: {
    seeds: {
      type: "string",
      valueName: "LIST",
      description: "comma-separated seeds, e.g. 42,1,2,3,4",
      default: "42,1,2",
    },
    models: {
      type: "string",
      valueName: "LIST",
      description: `comma-separated recipes (${recipeNames().join(", ")})`,
      default: "dense,cnn,cnn-robust",
    },
    limit: {
      type: "int",
      min: 10,
      description:
        "train on the first N training images and score MNIST-C on the first N test digits (quick runs)",
    },
    epochs: {
      type: "int",
      min: 1,
      description: "epochs instead of each recipe's (quick runs)",
    },
    collect: {
      type: "strings",
      valueName: "DIR",
      description: "a data folder whose study/ runs to merge in first",
    },
    json: { type: "boolean", description: "print summary.json on stdout" },
    "data-dir": DATA_DIR_FLAG,
  },
});

/** The parsed flags of `deno task study`. */
export type StudyFlags = FlagValues<typeof STUDY_SCRIPT["flags"]>;

/** `42,1,2` as seeds (a one-line error naming --seeds otherwise). */
export function parseSeeds(text: string | undefined): number[] {
  if (!text) throw new ConfigError("seeds", "required, e.g. --seeds 42,1,2");
  return text.split(",").map((s) => {
    const t = s.trim();
    if (!/^\d+$/.test(t) || Number(t) > 2 ** 31 - 1) {
      throw new ConfigError(
        "seeds",
        `"${t}" is not a seed (an integer 0 to 2147483647)`,
      );
    }
    return Number(t);
  });
}

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;

/** Run the study; resolves to the exit code (130 when interrupted). */
export async function runStudyScript(flags: StudyFlags): Promise<number> {
  const dataDir = resolveDataDir(flags["data-dir"]);
  const plan = makePlan(
    parseSeeds(flags.seeds),
    flags.models.split(",").map((s) => s.trim()),
    flags.limit,
    flags.epochs,
  );
  if (flags.collect.length > 0) {
    const c = await collectRuns(dataDir, flags.collect, logLine);
    logLine(
      `study: collected ${c.copied.length} run(s), ${c.same.length} already here`,
    );
  }
  const stop = listenForStop(() =>
    "stopping after this batch with a checkpoint (Ctrl-C again to abort)"
  );
  const bars = new KeyedProgress((label: string, total) => ({
    label,
    total,
    itemName: "img",
  }));
  try {
    const result = await runStudy({
      dataDir,
      plan,
      published: STUDY_ACCURACY,
      onLog: logLine,
      shouldStop: stop.requested,
      onBatch: (run, p, perEpoch) =>
        bars.update(
          `${runLabel(run)} epoch ${p.epoch}/${p.epochs}`,
          Math.round(perEpoch * p.batch / p.batches),
          perEpoch,
        ),
      onEpoch: (run, record, epochs) => {
        bars.finish();
        logLine(`study ${runLabel(run)} ${epochLine(record, epochs)}`);
      },
      onEvaluate: (run, done, total) =>
        bars.update(`${runLabel(run)} MNIST-C`, done, total),
      onRunDone: ({ run, status, evaluation: e }) => {
        bars.finish();
        logLine(
          `study: ${runLabel(run)}: ${status}; noisy ${pct(e.noisy)}, clean ${
            pct(e.clean)
          }, MNIST-C ${pct(e.mnistC)}`,
        );
      },
    });
    bars.finish();
    if (result.status === "interrupted") {
      logLine(
        `study: interrupted in ${
          runLabel(result.run)
        }; checkpoint ${result.checkpoint}; rerun the same command to continue`,
      );
      return 130;
    }
    const path = join(dataDir, STUDY_DIR, STUDY_FILES.summary);
    logLine(`study: summary ${result.summaryStatus} → ${path}`);
    logLine(summaryTable(result.summary));
    if (flags.json) console.log(JSON.stringify(result.summary, null, 2));
    return 0;
  } finally {
    stop.dispose();
  }
}

/** The final table on stderr: one line per recipe. */
function summaryTable(summary: StudySummary): string {
  return summary.recipes.map((r) =>
    `  ${r.recipe.padEnd(12)} noisy ${
      formatMeanInterval(r.metrics.noisy).padEnd(16)
    } clean ${formatMeanInterval(r.metrics.clean).padEnd(16)} MNIST-C ${
      formatMeanInterval(r.metrics.mnistC)
    }`
  ).join("\n");
}

/** The flags and `--help` of `deno task study:table`. */
export const STUDY_TABLE_SCRIPT = defineScript({
  usage: "deno task study:table [--check] [--readme FILE]",
  summary: `
Write the Results table of <data-dir>/study/summary.json (checked against
study/manifest.json) into README.md between the ${"<!-- study:table:start -->"}
and ${"<!-- study:table:end -->"} comments. --check changes nothing and
exits 1 when the README's table differs.`,
  flags: {
    check: { type: "boolean", description: "exit 1 if the table differs" },
    readme: {
      type: "string",
      valueName: "FILE",
      description: "the Markdown file to update",
      default: "README.md",
    },
    "data-dir": DATA_DIR_FLAG,
  },
});

/** The parsed flags of `deno task study:table`. */
export type StudyTableFlags = FlagValues<
  typeof STUDY_TABLE_SCRIPT["flags"]
>;

/** Write or check the README table; resolves to the exit code. */
export async function runStudyTableScript(
  flags: StudyTableFlags,
): Promise<number> {
  const dataDir = resolveDataDir(flags["data-dir"]);
  const summary = await loadStudySummary(dataDir);
  if (!summary) {
    throw new MissingInputError(
      `${
        join(dataDir, STUDY_DIR, STUDY_FILES.summary)
      } is missing; run \`deno task study\` first`,
    );
  }
  const text = await Deno.readTextFile(flags.readme);
  // Formatted as `deno fmt` would, so the README that CI's
  // `deno fmt --check` accepts is the one `--check` here accepts too.
  const updated = await formatMarkdown(
    replaceBetweenMarkers(text, studyTable(summary), flags.readme),
  );
  if (flags.check) {
    if (updated === text) return 0;
    throw new DataError(
      `${flags.readme}: the Results table differs from summary.json; run \`deno task study:table\``,
    );
  }
  if (updated !== text) await writeFileAtomic(flags.readme, updated);
  logLine(
    `study:table: ${flags.readme} ${
      updated === text ? "already up to date" : "updated"
    }`,
  );
  return 0;
}

/**
 * `markdown` as `deno fmt` formats it (this project's deno.json settings:
 * aligned table columns, paragraphs wrapped at 80), by running the deno
 * that runs this script on it.
 */
async function formatMarkdown(markdown: string): Promise<string> {
  const fmt = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext", "md", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = fmt.stdin.getWriter();
  await writer.write(new TextEncoder().encode(markdown));
  await writer.close();
  const { success, stdout, stderr } = await fmt.output();
  if (!success) {
    throw new DataError(
      `deno fmt could not format the README: ${
        new TextDecoder().decode(stderr).trim().split("\n")[0]
      }`,
    );
  }
  return new TextDecoder().decode(stdout);
}
