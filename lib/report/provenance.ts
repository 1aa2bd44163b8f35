/**
 * Section 6, how the report's inputs were made and how to make them
 * again: one provenance row per upstream stage (manifest hash, seed, start
 * time, duration, tool versions, file hashes), and the commands that
 * reproduce the run with the recorded settings.
 *
 * @module
 */

import { formatDuration, type Json, type StageManifest } from "../core/mod.ts";
import { RECIPES } from "../train/mod.ts";
import type { KeyValue, ProvenanceRow } from "./content_types.ts";
import { formatJsonValue, formatTimestamp } from "./format.ts";
import { type ModelArtifacts, type ReportInputs, trainTask } from "./load.ts";

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
 * then each trained model. `hashes` are the SHA-256 of the upstream
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
  ];
}

/**
 * A model's train command: only flags that differ from its recipe's
 * defaults are spelled out, so the usual case reads as the plain task.
 */
function trainCommand(model: ModelArtifacts, dataFlag: string): string {
  const recipe = model.metrics.recipe;
  const base = RECIPES[model.name];
  const flags: string[] = [];
  if (recipe.epochs !== base.epochs) flags.push(`--epochs ${recipe.epochs}`);
  if (recipe.batchSize !== base.batchSize) {
    flags.push(`--batch-size ${recipe.batchSize}`);
  }
  if (recipe.learningRate !== base.learningRate) {
    flags.push(`--lr ${recipe.learningRate}`);
  }
  if (recipe.seed !== base.seed) flags.push(`--seed ${recipe.seed}`);
  if (recipe.inputs !== base.inputs) flags.push(`--inputs ${recipe.inputs}`);
  if (recipe.replicas !== base.replicas) {
    flags.push(`--workers ${recipe.replicas}`);
  }
  if (model.metrics.limit !== null) {
    flags.push(`--limit ${model.metrics.limit}`);
  }
  return [trainTask(model.name), ...flags, dataFlag].filter(Boolean).join(" ");
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
      flags.push(`--${name} ${value}`);
    }
  }
  return ["deno task augment", ...flags, dataFlag].filter(Boolean).join(" ");
}

/**
 * The commands that reproduce the run, in order: fetch, augment, train
 * each trained model, report, with the flags the manifests record.
 *
 * @example
 * ```ts
 * import { loadReportInputs } from "./mod.ts";
 *
 * const inputs = await loadReportInputs("data");
 * commands(inputs);
 * // ["deno task fetch", "deno task augment --preset seed --seed 42", …]
 * ```
 */
export function commands(inputs: ReportInputs): string[] {
  // The default data folder needs no flag; any other is spelled out.
  const dataFlag = inputs.dataDir === "data" || inputs.dataDir === "data/"
    ? ""
    : `--data-dir ${inputs.dataDir}`;
  const withData = (cmd: string) => [cmd, dataFlag].filter(Boolean).join(" ");
  return [
    withData("deno task fetch"),
    augmentCommand(inputs.noisy.manifest, dataFlag),
    ...inputs.models.map((m) => trainCommand(m, dataFlag)),
    withData("deno task report"),
  ];
}
