/**
 * Reading the robustness stage's results for the report, when there are
 * any: `robustness/results.json` (already checked against
 * `robustness/manifest.json` by the report stage's upstream check), its
 * shape, and whether it still describes today's models. Results computed
 * before a model was retrained are **stale**: the report still builds,
 * and its robustness section shows the command that refreshes them
 * instead of their numbers.
 *
 * @module
 */

import { join } from "node:path";
import {
  DataError,
  exists,
  MANIFEST_FILE,
  sha256File,
  type StageManifest,
} from "../core/mod.ts";
import { loadMnist, MNIST_FILES, type MnistSplit } from "../data/mod.ts";
import {
  MNIST_C_NAMES,
  ROBUSTNESS_DIR,
  ROBUSTNESS_FILES,
  type RobustnessResults,
} from "../robustness/mod.ts";
import { modelLabel } from "./model_names.ts";

/** The task that writes `robustness/`. */
export const ROBUSTNESS_TASK = "deno task robustness";

/** What the report knows about the robustness benchmark. */
export type RobustnessArtifacts =
  | {
    /** No `robustness/manifest.json`: the benchmark has not run. */
    status: "absent";
  }
  | {
    /** Computed for models that have been retrained (or removed) since. */
    status: "stale";
    /** One clause per model that changed, e.g. `the CNN model was retrained since`. */
    reasons: string[];
    /** `robustness/manifest.json`. */
    manifest: StageManifest;
  }
  | {
    /** Results for today's models. */
    status: "fresh";
    /** `robustness/results.json`. */
    results: RobustnessResults;
    /** `robustness/manifest.json`. */
    manifest: StageManifest;
    /**
     * The clean MNIST test split from `mnist/`, for sample corruptions;
     * undefined when it is not there.
     */
    clean?: MnistSplit;
  };

/** `robustness/manifest.json` of a data folder, when it exists. */
export async function findRobustness(
  dataDir: string,
): Promise<string | undefined> {
  const path = join(dataDir, ROBUSTNESS_DIR, MANIFEST_FILE);
  return await exists(path) ? path : undefined;
}

/**
 * The clean MNIST test files the sample corruptions start from, as
 * `[name, path]` (name relative to the data folder) when both exist.
 */
export async function cleanTestFiles(
  dataDir: string,
): Promise<[string, string][] | undefined> {
  const files = [MNIST_FILES.test.images, MNIST_FILES.test.labels].map((
    file,
  ): [string, string] => [`mnist/${file}`, join(dataDir, "mnist", file)]);
  for (const [, path] of files) if (!(await exists(path))) return undefined;
  return files;
}

function isFraction(value: unknown): boolean {
  return typeof value === "number" && value >= 0 && value <= 1;
}

/**
 * Refuse results whose shape the report cannot show, with a one-line
 * {@link DataError} naming the file and `rerun`.
 */
export function checkResults(
  value: unknown,
  path: string,
  rerun: string,
): RobustnessResults {
  const fail = (what: string): never => {
    throw new DataError(`${path}: ${what}; ${rerun}`);
  };
  const r = value as Partial<RobustnessResults> | null;
  if (typeof r !== "object" || r === null || Array.isArray(r)) {
    return fail("not a JSON object");
  }
  if (!Array.isArray(r.corruptions) || !Array.isArray(r.models)) {
    return fail("no `corruptions` or `models` list");
  }
  if (typeof r.reference !== "string") return fail("no `reference` model");
  for (const name of MNIST_C_NAMES) {
    if (!r.corruptions.some((c) => c?.name === name)) {
      fail(`MNIST-C's ${name} is missing`);
    }
  }
  for (const m of r.models) {
    const label = `model ${JSON.stringify(m?.model)}`;
    if (typeof m?.model !== "string" || typeof m.manifestSha256 !== "string") {
      fail(`${label} has no name or manifest hash`);
    }
    if (!isFraction(m.clean?.accuracy) || !isFraction(m.noisy?.accuracy)) {
      fail(`${label}: clean or noisy accuracy is not in [0, 1]`);
    }
    if (!isFraction(m.mnistCAccuracy) || typeof m.mCE !== "number") {
      fail(`${label}: no MNIST-C accuracy or mCE`);
    }
    for (const c of r.corruptions) {
      const cells = m.corruptions?.[c.name];
      if (
        !Array.isArray(cells) || cells.length !== 5 ||
        !cells.every((cell) => isFraction(cell?.accuracy))
      ) {
        fail(`${label}: ${c.name} needs five accuracies in [0, 1]`);
      }
    }
  }
  return r as RobustnessResults;
}

/**
 * Why results recorded for some models do not describe `current` (model
 * → SHA-256 of its manifest today): a model retrained since (its hash
 * differs from the one the robustness manifest recorded, or from the one
 * `results.json` carries), trained only since, or gone. Empty when the
 * results are fresh.
 */
export function staleReasons(
  manifest: StageManifest,
  results: Pick<RobustnessResults, "models"> | undefined,
  current: Partial<Record<string, string>>,
  models: readonly string[],
): string[] {
  const reasons: string[] = [];
  for (const name of models) {
    const label = modelLabel(name);
    const key = `models/${name}/${MANIFEST_FILE}`;
    const recorded = manifest.inputs?.[key];
    const entry = results?.models.find((m) => m.model === name);
    const now = current[name];
    if (now === undefined) {
      if (recorded !== undefined || entry) {
        reasons.push(`the ${label} model is no longer trained`);
      }
    } else if (recorded === undefined || !entry) {
      reasons.push(`the ${label} model was trained since`);
    } else if (recorded !== now || entry.manifestSha256 !== now) {
      reasons.push(`the ${label} model was retrained since`);
    }
  }
  return reasons;
}

/**
 * Load the robustness results of `dataDir` for the report. `models` are
 * today's model manifests (model → path). Never throws for stale
 * results; throws a one-line DataError for results it cannot read.
 */
export async function loadRobustness(
  dataDir: string,
  manifestPath: string | undefined,
  models: Partial<Record<string, string>>,
  order: readonly string[],
): Promise<RobustnessArtifacts> {
  if (manifestPath === undefined) return { status: "absent" };
  const rerun = `run \`${ROBUSTNESS_TASK} --force\``;
  const manifest = await readJsonFile<StageManifest>(manifestPath, rerun);
  const current: Partial<Record<string, string>> = {};
  for (const name of order) {
    const path = models[name];
    if (path) current[name] = await sha256File(path);
  }
  const resultsPath = join(dataDir, ROBUSTNESS_DIR, ROBUSTNESS_FILES.results);
  const results = checkResults(
    await readJsonFile<unknown>(resultsPath, rerun),
    resultsPath,
    rerun,
  );
  const reasons = staleReasons(manifest, results, current, order);
  if (reasons.length > 0) return { status: "stale", reasons, manifest };
  const files = await cleanTestFiles(dataDir);
  const clean = files
    ? await loadMnist(join(dataDir, "mnist"), "test")
    : undefined;
  return { status: "fresh", results, manifest, clean };
}

async function readJsonFile<T>(path: string, rerun: string): Promise<T> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new DataError(`${path}: not valid JSON; ${rerun}`);
    }
    throw error;
  }
}
