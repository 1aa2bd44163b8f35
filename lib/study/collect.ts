/**
 * `--collect DIR...`: merge study runs made elsewhere (another machine,
 * another data folder) into this data folder's `study/`. Each run folder
 * of `DIR/study/<recipe>/<run>/` is checked against its own manifest (and
 * its evaluation's) before anything is copied; a run whose files do not
 * match is refused with one line. A run this folder already has is kept
 * when its results are the same and refused when they differ. Copies go
 * to a temporary folder renamed into place, so a stopped collect leaves
 * no half run.
 *
 * The noisy dataset's manifest a collected run was trained on is kept as
 * `study/upstream/<sha256>.json`, so the study can tell that run was
 * trained on the same noisy files as this folder's (see `current.ts`).
 *
 * @module
 */

import { join } from "node:path";
import {
  canonicalJson,
  checkRecordedHash,
  DataError,
  exists,
  type Json,
  MANIFEST_FILE,
  MissingInputError,
  recordedOutputs,
  sha256File,
  sha256Hex,
  type StageManifest,
  writeFileAtomic,
} from "../core/mod.ts";
import { STUDY_DIR, STUDY_FILES } from "./plan.ts";

/** What {@link collectRuns} did, as `study/<recipe>/<run>` paths. */
export interface CollectResult {
  /** Runs copied in. */
  copied: string[];
  /** Runs already here with the same results. */
  same: string[];
}

/** A verified run folder: its manifests and the files they vouch for. */
interface VerifiedRun {
  /** Folder. */
  dir: string;
  /** The training manifest. */
  manifest: StageManifest;
  /** The evaluation manifest, when the run is evaluated. */
  evaluation: StageManifest | null;
}

/** The folders of `root` (none when it does not exist), sorted. */
async function folders(root: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(root)) {
      if (e.isDirectory && !e.name.startsWith(".")) names.push(e.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

/** `dir`'s manifest, with every output it records checked; null if none. */
async function verifyFolder(
  dir: string,
  label: string,
): Promise<StageManifest | null> {
  const path = join(dir, MANIFEST_FILE);
  if (!(await exists(path))) return null;
  const text = await Deno.readTextFile(path);
  const rerun = `remove ${dir} or rerun it`;
  const outputs = recordedOutputs(text, path, rerun);
  for (const file of Object.keys(outputs)) {
    let actual = "";
    try {
      actual = await sha256File(join(dir, file));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw new DataError(`${join(dir, file)} is missing; ${rerun}`);
    }
    checkRecordedHash(outputs, file, join(dir, file), actual, label, rerun);
  }
  return JSON.parse(text) as StageManifest;
}

/** A run folder checked: its outputs, and its evaluation's if evaluated. */
async function verifyRun(dir: string): Promise<VerifiedRun | null> {
  const manifest = await verifyFolder(dir, `${dir}/${MANIFEST_FILE}`);
  if (!manifest) return null;
  const evalDir = join(dir, STUDY_FILES.evaluationDir);
  let evaluation = await verifyFolder(
    evalDir,
    `${evalDir}/${MANIFEST_FILE}`,
  );
  // An evaluation of an earlier training of this folder does not count.
  const runHash = await sha256File(join(dir, MANIFEST_FILE));
  if (evaluation && evaluation.inputs[`run/${MANIFEST_FILE}`] !== runHash) {
    evaluation = null;
  }
  return { dir, manifest, evaluation };
}

/** The results two copies of a run must agree on. */
function outcome(run: VerifiedRun): Json {
  const r = run.manifest.results ?? {};
  return {
    params: run.manifest.params,
    noisy: r.noisyTestAccuracy ?? null,
    clean: r.cleanTestAccuracy ?? null,
    epochsRun: r.epochsRun ?? null,
    mnistC: run.evaluation?.results?.mnistC ?? null,
  };
}

/** Copy a verified run's recorded files into `target` (via a temp folder). */
async function copyRun(run: VerifiedRun, target: string): Promise<void> {
  const temp = `${target}.collect-${crypto.randomUUID().slice(0, 8)}`;
  const copy = async (from: string, to: string, m: StageManifest) => {
    await Deno.mkdir(to, { recursive: true });
    for (const file of [...Object.keys(m.outputs), MANIFEST_FILE]) {
      await Deno.mkdir(join(to, file, ".."), { recursive: true });
      await Deno.copyFile(join(from, file), join(to, file));
    }
  };
  try {
    await copy(run.dir, temp, run.manifest);
    if (run.evaluation) {
      await copy(
        join(run.dir, STUDY_FILES.evaluationDir),
        join(temp, STUDY_FILES.evaluationDir),
        run.evaluation,
      );
    }
    // An unfinished run here (a checkpoint, no manifest) gives way.
    await Deno.remove(target, { recursive: true }).catch(() => {});
    await Deno.rename(temp, target);
  } catch (error) {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    throw error;
  }
}

/**
 * Keep the noisy manifest `source` ran on as `study/upstream/<sha>.json`
 * when it is the one the run's manifest records (else the run will be
 * retrained here, as trained on other data).
 */
async function keepUpstream(
  sourceDataDir: string,
  dataDir: string,
  run: VerifiedRun,
): Promise<void> {
  const recorded = run.manifest.inputs[`noisy/${MANIFEST_FILE}`];
  const path = join(sourceDataDir, "noisy", MANIFEST_FILE);
  if (!recorded || !(await exists(path))) return;
  const bytes = await Deno.readFile(path);
  if (await sha256Hex(bytes) !== recorded) return;
  const kept = join(
    dataDir,
    STUDY_DIR,
    STUDY_FILES.upstreamDir,
    `${recorded}.json`,
  );
  if (!(await exists(kept))) await writeFileAtomic(kept, bytes);
}

/**
 * Merge the study runs of each data folder in `sources` into `dataDir`'s
 * study folder (see the module's documentation); throws a one-line
 * {@link DataError} for a run that fails its manifest or disagrees with
 * ours, before copying that run.
 */
export async function collectRuns(
  dataDir: string,
  sources: readonly string[],
  onLog: (line: string) => void = () => {},
): Promise<CollectResult> {
  const result: CollectResult = { copied: [], same: [] };
  for (const source of sources) {
    const root = join(source, STUDY_DIR);
    if (!(await exists(root))) {
      throw new MissingInputError(
        `--collect ${source}: ${root} does not exist; pass a data folder where \`deno task study\` ran`,
      );
    }
    for (const recipe of await folders(root)) {
      if (recipe === STUDY_FILES.upstreamDir) continue;
      for (const name of await folders(join(root, recipe))) {
        const rel = join(STUDY_DIR, recipe, name);
        const theirs = await verifyRun(join(root, recipe, name));
        if (!theirs) continue; // unfinished there: nothing to collect
        const target = join(dataDir, rel);
        const ours = await verifyRun(target);
        if (ours) {
          const a = canonicalJson(outcome(ours));
          const b = canonicalJson(outcome(theirs));
          if (a !== b) {
            throw new DataError(
              `--collect ${source}: ${rel} has different results there than in ${dataDir} (${b} vs ${a}); keep one: remove the other folder`,
            );
          }
          if (ours.evaluation || !theirs.evaluation) {
            result.same.push(rel);
            continue;
          }
        }
        await copyRun(theirs, target);
        await keepUpstream(source, dataDir, theirs);
        onLog(`study: collected ${rel} from ${source}`);
        result.copied.push(rel);
      }
    }
  }
  return result;
}
