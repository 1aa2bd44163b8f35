/**
 * The lifecycle every stage shares, in one place: its inputs exist → hash
 * them → compare with the stage's manifest (skip when up to date) → do the
 * stage's own work → hash the outputs → write the manifest.
 *
 * A stage supplies only what is its own: which folder it writes, the
 * parameters that define its outputs, the files and upstream stages it
 * reads, and the work. The runner records why a stage ran (`no manifest`,
 * `parameters changed`, `inputs changed`, an output edited or missing, or
 * the caller's reason such as `--force`).
 *
 * ```ts
 * import { runStage } from "./stage.ts";
 *
 * const run = await runStage({
 *   stage: "example",
 *   dir: "data/example",
 *   params: { version: 1 },
 *   work: async ({ reason }) => {
 *     await Deno.writeTextFile("data/example/out.txt", reason);
 *     return { status: "done", outputs: ["out.txt"], value: undefined };
 *   },
 * });
 * console.log(run.status); // "done" or "up to date"
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { ChecksumError, DataError, MissingInputError } from "./errors.ts";
import { exists } from "./fsutil.ts";
import { lockFolder } from "./lock.ts";
import { sha256File, sha256Hex } from "./hash.ts";
import {
  checkFreshness,
  denoVersions,
  hashFiles,
  type Json,
  MANIFEST_FILE,
  type StageManifest,
  type ToolVersions,
  writeManifest,
} from "./manifest.ts";

/** A JSON object (a manifest's `params` and `results`). */
export type JsonObject = { [key: string]: Json };

/** A file a stage reads that no stage manifest vouches for. */
export interface StageInputFile {
  /** Its key in the manifest's `inputs`, e.g. `mnist/t10k-images-idx3-ubyte.gz`. */
  name: string;
  /** Where it is. */
  path: string;
  /** The task that makes it, named when it is missing (`deno task fetch`). */
  task: string;
  /**
   * Its pinned SHA-256, when it has one (the MNIST files): any other
   * content is refused, naming `<task> --force`.
   */
  sha256?: string;
}

/** An upstream stage whose output this stage reads. */
export interface UpstreamStage {
  /**
   * Its folder relative to the data folder (`noisy`, `models/cnn`); its
   * manifest's hash is the input `<name>/manifest.json`.
   */
  name: string;
  /** Its folder on disk. */
  dir: string;
  /** The task that runs it (`deno task augment`). */
  task: string;
  /**
   * The files of its folder this stage reads. Before the work starts each
   * must have the hash the upstream manifest recorded for it.
   */
  files: readonly string[];
  /** Files read only when present; checked likewise when they are. */
  optionalFiles?: readonly string[];
}

/** What the work of a stage is told. */
export interface StageContext {
  /** Why the stage runs (`no manifest`, `parameters changed`, `--force`…). */
  reason: string;
  /** The parameters (as recorded in the manifest). */
  params: JsonObject;
  /** Input name → SHA-256 (as recorded in the manifest). */
  inputs: Record<string, string>;
  /** When the run started. */
  startedAt: Date;
  /** `performance.now()` when the run started. */
  t0: number;
}

/** What the work of a stage returns. */
export type StageWork<R, S = never> =
  | {
    /** Finished: the outputs are written and get a manifest. */
    status: "done";
    /** Output files, relative to the stage folder, in manifest order. */
    outputs: readonly string[];
    /** Stage-specific results for the manifest. */
    results?: JsonObject;
    /** Tool versions besides Deno's (tfjs, backend…). */
    versions?: Omit<ToolVersions, "deno" | "v8">;
    /** Wall time to record, when the stage measured it itself. */
    seconds?: number;
    /** What the stage hands back to its caller. */
    value: R;
  }
  | {
    /** Stopped early on request (e.g. Ctrl-C): no manifest is written. */
    status: "stopped";
    /** What the stage hands back to its caller. */
    value: S;
  };

/** What {@link runStage} needs to know about a stage. */
export interface StageSpec<R, S = never> {
  /** Stage name recorded in the manifest (`augment`, `train:cnn`). */
  stage: string;
  /** The folder the stage writes, where its manifest lives. */
  dir: string;
  /** Every parameter that affects the outputs. */
  params: JsonObject;
  /** Upstream stages read; their manifests' hashes come first in `inputs`. */
  upstream?: readonly UpstreamStage[];
  /** Other files read, hashed into `inputs` after the upstream manifests. */
  inputs?: readonly StageInputFile[];
  /**
   * Run even when up to date, giving this as the reason (`--force`,
   * `--resume`); undefined runs only when needed.
   */
  rerun?: string;
  /** The start time to record (default: now). */
  startedAt?: Date;
  /** The stage's own work: read the inputs, write the outputs. */
  work: (context: StageContext) => Promise<StageWork<R, S>>;
}

/** What {@link runStage} did ("stopped" only for work that can stop). */
export type StageRun<R, S = never> =
  | { status: "up to date"; manifest: StageManifest }
  | { status: "done"; reason: string; manifest: StageManifest; value: R }
  | ([S] extends [never] ? never
    : { status: "stopped"; reason: string; value: S });

async function requireFile(path: string, task: string): Promise<void> {
  if (!(await exists(path))) {
    throw new MissingInputError(`${path} is missing; run \`${task}\` first`);
  }
}

/** The inputs' hashes, and the upstream manifests exactly as hashed. */
interface HashedInputs {
  /** Input name → SHA-256: the upstream manifests, then the files. */
  inputs: Record<string, string>;
  /** Each upstream manifest's text (the bytes its input hash is of). */
  manifests: string[];
}

async function requireInputs(
  upstream: readonly UpstreamStage[],
  files: readonly StageInputFile[],
): Promise<void> {
  for (const stage of upstream) {
    await requireFile(join(stage.dir, MANIFEST_FILE), stage.task);
  }
  for (const file of files) await requireFile(file.path, file.task);
}

async function hashInputs(
  upstream: readonly UpstreamStage[],
  files: readonly StageInputFile[],
): Promise<HashedInputs> {
  const inputs: Record<string, string> = {};
  const manifests: string[] = [];
  for (const stage of upstream) {
    // Read once: the hash recorded and the manifest checked against are of
    // the same bytes, even if the upstream stage rewrites it meanwhile.
    const bytes = await Deno.readFile(join(stage.dir, MANIFEST_FILE));
    inputs[`${stage.name}/${MANIFEST_FILE}`] = await sha256Hex(bytes);
    manifests.push(new TextDecoder().decode(bytes));
  }
  const hashes = await Promise.all(files.map((file) => sha256File(file.path)));
  files.forEach((file, i) => {
    if (file.sha256 !== undefined && hashes[i] !== file.sha256) {
      throw new ChecksumError(
        file.path,
        file.sha256,
        hashes[i],
        `run \`${file.task} --force\``,
      );
    }
    inputs[file.name] = hashes[i];
  });
  return { inputs, manifests };
}

/**
 * The `outputs` (file → SHA-256) a manifest's text records; a text that
 * is not a manifest is a one-line {@link DataError} naming `path` and
 * ending in `rerun` (what to do about it).
 */
export function recordedOutputs(
  manifestText: string,
  path: string,
  rerun: string,
): Record<string, string> {
  let recorded: Record<string, string> | undefined;
  try {
    recorded = (JSON.parse(manifestText) as Partial<StageManifest>).outputs;
  } catch {
    // Reported below, as for a manifest without outputs.
  }
  if (!recorded || typeof recorded !== "object") {
    throw new DataError(
      `${path} is not a valid manifest${rerun && `; ${rerun}`}`,
    );
  }
  return recorded;
}

/**
 * Refuse a file whose bytes do not have the hash a manifest recorded for
 * it, or that the manifest does not record: a one-line {@link DataError}
 * naming the file (`path`), the manifest (`label`) and ending in `rerun`.
 * `file` is its name in `recorded`, `actual` its SHA-256.
 */
export function checkRecordedHash(
  recorded: Record<string, string>,
  file: string,
  path: string,
  actual: string,
  label: string,
  rerun: string,
): void {
  const tail = rerun && `; ${rerun}`;
  const expected = Object.hasOwn(recorded, file) ? recorded[file] : undefined;
  if (expected === undefined) {
    throw new DataError(`${path} is not recorded in ${label}${tail}`);
  }
  if (actual !== expected) {
    throw new DataError(
      `${path} does not match ${label} (edited or left by an interrupted run)${tail}`,
    );
  }
}

/**
 * Check that every file this stage reads from an upstream stage has the
 * hash that stage's manifest recorded: a file edited, replaced or left
 * half-written by an interrupted run is refused with a one-line
 * {@link DataError} naming the file and the task to rerun.
 */
async function verifyUpstream(
  stage: UpstreamStage,
  manifestText: string,
): Promise<void> {
  const label = `${stage.name}/${MANIFEST_FILE}`;
  const rerun = `run \`${stage.task} --force\``;
  const recorded = recordedOutputs(
    manifestText,
    join(stage.dir, MANIFEST_FILE),
    rerun,
  );
  const optional: string[] = [];
  for (const file of stage.optionalFiles ?? []) {
    if (file in recorded || await exists(join(stage.dir, file))) {
      optional.push(file);
    }
  }
  for (const file of [...stage.files, ...optional]) {
    const path = join(stage.dir, file);
    if (!Object.hasOwn(recorded, file)) {
      // Refused as unrecorded before it is read (or found missing).
      checkRecordedHash(recorded, file, path, "", label, rerun);
    }
    let actual: string;
    try {
      actual = await sha256File(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new MissingInputError(`${path} is missing; ${rerun}`);
      }
      throw error;
    }
    checkRecordedHash(recorded, file, path, actual, label, rerun);
  }
}

/**
 * Run a stage: refuse with a {@link MissingInputError} naming the task to
 * run when an input is missing, with a `LockedError` while another run
 * uses the stage's folder (see `lock.ts`), and with a {@link ChecksumError} when
 * an input is not its pinned file; skip when the manifest says the outputs
 * are up to date, else check the upstream files it reads against their
 * manifests, remove its own old manifest, do the work, hash its outputs
 * and write the new manifest last. A run cut short thus leaves no
 * manifest, never an old one vouching for new outputs.
 */
export async function runStage<R, S = never>(
  spec: StageSpec<R, S>,
): Promise<StageRun<R, S>> {
  const t0 = performance.now();
  const startedAt = spec.startedAt ?? new Date();
  await requireInputs(spec.upstream ?? [], spec.inputs ?? []);
  const lock = await lockFolder(spec.dir);
  try {
    return await runLocked(spec, t0, startedAt);
  } finally {
    await lock.release();
  }
}

/** {@link runStage} from hashing on, with the folder locked. */
async function runLocked<R, S>(
  spec: StageSpec<R, S>,
  t0: number,
  startedAt: Date,
): Promise<StageRun<R, S>> {
  const upstream = spec.upstream ?? [];
  const { inputs, manifests } = await hashInputs(upstream, spec.inputs ?? []);
  let reason = spec.rerun;
  if (reason === undefined) {
    const freshness = await checkFreshness(spec.dir, spec.params, inputs);
    if (freshness.upToDate) {
      return { status: "up to date", manifest: freshness.manifest };
    }
    reason = freshness.reason;
  }
  for (const [i, stage] of upstream.entries()) {
    await verifyUpstream(stage, manifests[i]);
  }
  // From here the old outputs are being replaced: the old manifest must
  // not outlive them.
  await Deno.remove(join(spec.dir, MANIFEST_FILE)).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  const work = await spec.work({
    reason,
    params: spec.params,
    inputs,
    startedAt,
    t0,
  });
  if (work.status === "stopped") {
    return { status: "stopped", reason, value: work.value } as StageRun<R, S>;
  }
  const outputs = await hashFiles(spec.dir, work.outputs);
  const manifest: StageManifest = {
    stage: spec.stage,
    params: spec.params,
    inputs,
    outputs,
    versions: { ...denoVersions(), ...work.versions },
    startedAt: startedAt.toISOString(),
    seconds: work.seconds ?? (performance.now() - t0) / 1000,
  };
  if (work.results) manifest.results = work.results;
  // The manifest goes last: it vouches for outputs already written.
  await writeManifest(spec.dir, manifest);
  return { status: "done", reason, manifest, value: work.value };
}
