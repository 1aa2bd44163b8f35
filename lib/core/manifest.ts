/**
 * Stage manifests: what a stage did, so the next run can tell whether it
 * is up to date and a reader can tell exactly what produced an artifact.
 *
 * Each stage writes `manifest.json` beside its outputs: its parameters, the
 * SHA-256 of its inputs (files, or an upstream stage's manifest), the
 * SHA-256 of its outputs, the seed, tool versions and timings. A stage is
 * up to date when the manifest's parameters and inputs equal today's and
 * every output still has its recorded hash — a deleted or edited output
 * makes the stage run again.
 *
 * @module
 */

import { join } from "node:path";
import { readJsonIfExists, writeJsonAtomic } from "./fsutil.ts";
import { sha256File } from "./hash.ts";

/** A JSON value (manifests hold only these). */
export type Json =
  | string
  | number
  | boolean
  | null
  | Json[]
  | { [key: string]: Json };

/** Versions of the tools that produced an artifact. */
export interface ToolVersions {
  /** Deno version, e.g. `2.9.6`. */
  deno: string;
  /** V8 version. */
  v8: string;
  /** TensorFlow.js version, for stages that use it. */
  tfjs?: string;
  /** tfjs backend name, for stages that use it. */
  backend?: string;
  /** Matrix product of the custom kernels (`openblas`, `wasm-xnnpack`…). */
  gemm?: string;
}

/** The `manifest.json` every stage writes. */
export interface StageManifest {
  /** Stage name, e.g. `augment`. */
  stage: string;
  /** Every parameter that affects the outputs. */
  params: { [key: string]: Json };
  /** Input name → SHA-256 (a file, or an upstream `manifest.json`). */
  inputs: Record<string, string>;
  /** Output file name (relative to the stage folder) → SHA-256. */
  outputs: Record<string, string>;
  /** Tool versions. */
  versions: ToolVersions;
  /** When the run started (ISO 8601). */
  startedAt: string;
  /** Wall time of the run in seconds. */
  seconds: number;
  /** Stage-specific results (statistics, metrics summaries…). */
  results?: { [key: string]: Json };
}

/** The name of the manifest file in every stage folder. */
export const MANIFEST_FILE = "manifest.json";

/** The running Deno's versions. */
export function denoVersions(): ToolVersions {
  return { deno: Deno.version.deno, v8: Deno.version.v8 };
}

/** JSON with object keys sorted, so equal values give equal text. */
export function canonicalJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${
      keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(
        ",",
      )
    }}`;
  }
  return JSON.stringify(value);
}

/** Read a stage folder's manifest; `undefined` when absent or unreadable. */
export function readManifest(
  stageDir: string,
): Promise<StageManifest | undefined> {
  return readJsonIfExists<StageManifest>(join(stageDir, MANIFEST_FILE));
}

/** Write a stage folder's manifest atomically. */
export function writeManifest(
  stageDir: string,
  manifest: StageManifest,
): Promise<void> {
  return writeJsonAtomic(join(stageDir, MANIFEST_FILE), manifest);
}

/** Hash the named files of a folder: name → SHA-256. */
export async function hashFiles(
  dir: string,
  names: readonly string[],
): Promise<Record<string, string>> {
  const entries = await Promise.all(
    names.map(async (name) => [name, await sha256File(join(dir, name))]),
  );
  return Object.fromEntries(entries);
}

/** Why a stage must run, or that it need not. */
export type Freshness =
  | { upToDate: true; manifest: StageManifest }
  | { upToDate: false; reason: string };

/**
 * Decide whether the stage in `stageDir` is up to date for these
 * parameters and inputs: same parameters, same input hashes, every
 * recorded output present with its recorded hash.
 */
export async function checkFreshness(
  stageDir: string,
  params: { [key: string]: Json },
  inputs: Record<string, string>,
): Promise<Freshness> {
  const manifest = await readManifest(stageDir);
  if (!manifest) return { upToDate: false, reason: "no manifest" };
  if (canonicalJson(manifest.params) !== canonicalJson(params)) {
    return { upToDate: false, reason: "parameters changed" };
  }
  if (canonicalJson(manifest.inputs) !== canonicalJson(inputs)) {
    return { upToDate: false, reason: "inputs changed" };
  }
  for (const [name, expected] of Object.entries(manifest.outputs)) {
    let actual: string;
    try {
      actual = await sha256File(join(stageDir, name));
    } catch {
      return { upToDate: false, reason: `${name} is missing` };
    }
    if (actual !== expected) {
      return {
        upToDate: false,
        reason: `${name} changed since it was written`,
      };
    }
  }
  return { upToDate: true, manifest };
}
