/**
 * Section 7, how the report's inputs were made and how to make them
 * again: one provenance row per upstream stage (manifest hash, seed, start
 * time, duration, tool versions, file hashes), and the commands that
 * reproduce the run with the recorded settings.
 *
 * @module
 */

import { formatDuration, type Json, type StageManifest } from "../core/mod.ts";
import { type RecipeName, RECIPES } from "../train/mod.ts";
import type { KeyValue, ProvenanceRow } from "./content_types.ts";
import { formatJsonValue, formatTimestamp } from "./format.ts";
import type { ReportInputs, TrainedModel } from "./load.ts";

/**
 * A stage's seed, wherever it recorded one: train manifests keep it in
 * the recipe or results, the augment manifest among its params.
 */
function seedOf(manifest: StageManifest): string {
  const params = manifest.params ?? {};
  const recipe = params.recipe;
  const candidates: (Json | undefined)[] = [
    params.seed,
    manifest.results?.seed,
    recipe && typeof recipe === "object" && !Array.isArray(recipe)
      ? recipe.seed
      : undefined,
  ];
  const seed = candidates.find((c) => c !== undefined && c !== null);
  return seed === undefined ? "–" : formatJsonValue(seed);
}

/** Deno, tfjs and backend versions on one line. */
function versionsOf(manifest: StageManifest): string {
  const v = manifest.versions;
  if (!v) return "–";
  return [
    `Deno ${v.deno}`,
    v.tfjs ? `tfjs ${v.tfjs}` : "",
    v.backend ? `backend ${v.backend}` : "",
  ].filter(Boolean).join(", ");
}

/** The provenance of one stage, from its manifest and that file's hash. */
function provenanceRow(
  path: string,
  manifest: StageManifest,
  hash: string | undefined,
): ProvenanceRow {
  const files: KeyValue[] = [
    ...Object.entries(manifest.inputs ?? {}).map(([k, v]) => ({
      key: `in: ${k}`,
      value: v,
    })),
    ...Object.entries(manifest.outputs ?? {}).map(([k, v]) => ({
      key: `out: ${k}`,
      value: v,
    })),
  ];
  return {
    stage: manifest.stage,
    manifest: path,
    hash: hash ?? "–",
    seed: seedOf(manifest),
    startedAt: formatTimestamp(manifest.startedAt),
    duration: formatDuration(manifest.seconds, "words"),
    versions: versionsOf(manifest),
    files,
  };
}

/**
 * The provenance rows of the report's inputs: the noisy dataset first,
 * then each trained model, then the robustness benchmark when it ran. `hashes` are the SHA-256 of the upstream
 * manifests by path relative to the data folder; a missing hash shows
 * as `–`.
 *
 * @example
 * ```ts
 * import { findUpstream, loadReportInputs, upstreamHashes } from "./mod.ts";
 *
 * const upstream = await findUpstream("data");
 * const inputs = await loadReportInputs("data", upstream);
 * const rows = provenanceRows(inputs, await upstreamHashes(upstream));
 * ```
 */
export function provenanceRows(
  inputs: ReportInputs,
  hashes: Record<string, string>,
): ProvenanceRow[] {
  return [
    provenanceRow(
      "noisy/manifest.json",
      inputs.noisy.manifest,
      hashes["noisy/manifest.json"],
    ),
    ...inputs.models.map((m) => {
      const path = `models/${m.name}/manifest.json`;
      return provenanceRow(path, m.manifest, hashes[path]);
    }),
    ...(inputs.robustness.status === "absent" ? [] : [
      provenanceRow(
        "robustness/manifest.json",
        inputs.robustness.manifest,
        hashes["robustness/manifest.json"],
      ),
    ]),
  ];
}

/**
 * Each stage's script run by itself: the command of its task (for a stage
 * with upstream tasks, of its `chain:` task), kept equal to deno.json by
 * tests/tasks_test.ts. `deno task <stage>` would not do: it runs the
 * upstream tasks first, with their default flags, which redoes what an
 * earlier line made with other flags (a limit, a preset, a recipe).
 */
export const STAGE_COMMANDS = {
  fetch:
    "deno run --allow-read --allow-write --allow-env --allow-net scripts/fetch.ts",
  augment: "deno run --allow-read --allow-write --allow-env scripts/augment.ts",
  "train:dense":
    "deno run --allow-read --allow-write --allow-env --allow-ffi scripts/train_dense.ts",
  "train:cnn":
    "deno run --allow-read --allow-write --allow-env --allow-ffi scripts/train_cnn.ts",
  robustness:
    "deno run --allow-read --allow-write --allow-env --allow-ffi scripts/robustness.ts",
  report: "deno run --allow-read --allow-write --allow-env scripts/report.ts",
} as const;

/** `word` for a POSIX shell: as is when safe, else in single quotes. */
export function shellQuote(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** `--name value`, the value shell-quoted. */
function flag(name: string, value: string | number): string {
  return `--${name} ${shellQuote(String(value))}`;
}

/**
 * A model's train command: only flags that differ from its recipe's
 * defaults are spelled out, so the usual case reads as the plain script
 * (a robust recipe adds `--recipe robust`). A folder that is no recipe's
 * gives no command.
 */
function trainCommand(model: TrainedModel, dataFlag: string): string[] {
  if (!Object.hasOwn(RECIPES, model.name)) return [];
  const base = RECIPES[model.name as RecipeName];
  const recipe = model.metrics.recipe;
  const flags: string[] = [];
  if (model.name !== base.model) flags.push(flag("recipe", "robust"));
  if (recipe.epochs !== base.epochs) flags.push(flag("epochs", recipe.epochs));
  if (recipe.batchSize !== base.batchSize) {
    flags.push(flag("batch-size", recipe.batchSize));
  }
  if (recipe.learningRate !== base.learningRate) {
    flags.push(flag("lr", recipe.learningRate));
  }
  if (recipe.seed !== base.seed) flags.push(flag("seed", recipe.seed));
  if (recipe.inputs !== base.inputs) flags.push(flag("inputs", recipe.inputs));
  if (recipe.replicas !== base.replicas) {
    flags.push(flag("workers", recipe.replicas));
  }
  if (base.augmentation && !recipe.augmentation) {
    flags.push(flag("augment", "fixed"));
  }
  if (
    recipe.augmentation && recipe.augmentation.mix !== base.augmentation?.mix
  ) {
    flags.push(flag("mix", recipe.augmentation.mix));
  }
  if (model.metrics.limit !== null) {
    flags.push(flag("limit", model.metrics.limit));
  }
  const script = STAGE_COMMANDS[`train:${base.model}`];
  return [[script, ...flags, dataFlag].filter(Boolean).join(" ")];
}

/**
 * The augment command from its manifest's preset, seed and limit (the
 * flags scripts/augment.ts takes). Overrides of single parameters are not
 * spelled out; section 4 lists every value.
 */
function augmentCommand(manifest: StageManifest, dataFlag: string): string {
  const params = manifest.params ?? {};
  const flags: string[] = [];
  for (const name of ["preset", "seed", "limit"]) {
    const value = params[name];
    if (typeof value === "string" || typeof value === "number") {
      flags.push(flag(name, value));
    }
  }
  return [STAGE_COMMANDS.augment, ...flags, dataFlag].filter(Boolean).join(
    " ",
  );
}

/**
 * The commands that reproduce the run, in order: fetch, augment, train
 * each trained model, robustness (when it has run), report, with the flags the manifests record. Each
 * runs one stage's script (see {@link STAGE_COMMANDS}); arguments are
 * quoted for a POSIX shell.
 *
 * @example
 * ```ts
 * import { loadReportInputs } from "./mod.ts";
 *
 * const inputs = await loadReportInputs("data");
 * commands(inputs);
 * // ["deno run … scripts/fetch.ts",
 * //  "deno run … scripts/augment.ts --preset seed --seed 42", …]
 * ```
 */
export function commands(inputs: ReportInputs): string[] {
  // The default data folder needs no flag; any other is spelled out.
  const dataFlag = inputs.dataDir === "data" || inputs.dataDir === "data/"
    ? ""
    : flag("data-dir", inputs.dataDir);
  const withData = (cmd: string) => [cmd, dataFlag].filter(Boolean).join(" ");
  return [
    withData(STAGE_COMMANDS.fetch),
    augmentCommand(inputs.noisy.manifest, dataFlag),
    ...[...inputs.models, ...inputs.extraModels].flatMap((m) =>
      trainCommand(m, dataFlag)
    ),
    ...robustnessCommand(inputs.robustness, dataFlag),
    withData(STAGE_COMMANDS.report),
  ];
}

/**
 * The robustness command with the seed and limit its manifest records,
 * when the benchmark has run (none otherwise).
 */
function robustnessCommand(
  robustness: ReportInputs["robustness"],
  dataFlag: string,
): string[] {
  if (robustness.status === "absent") return [];
  const { seed, limit } = robustness.manifest.params ?? {};
  return [
    [
      STAGE_COMMANDS.robustness,
      typeof seed === "number" ? flag("seed", seed) : "",
      typeof limit === "number" ? flag("limit", limit) : "",
      dataFlag,
    ].filter(Boolean).join(" "),
  ];
}
