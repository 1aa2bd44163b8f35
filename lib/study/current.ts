/**
 * Whether a collected run counts as up to date here although its manifest
 * records another data folder's noisy manifest. Each data folder's
 * `noisy/manifest.json` differs (it records when it ran), so a run trained
 * elsewhere would otherwise be retrained. It counts when the noisy
 * manifest it records was kept by `--collect` (`study/upstream/<sha>.json`,
 * its bytes hashing to that name), made the same noisy files with the same
 * parameters as ours, and the run's own files match its manifest and its
 * parameters are today's.
 *
 * @module
 */

import { join } from "node:path";
import {
  canonicalJson,
  exists,
  type Json,
  MANIFEST_FILE,
  sha256File,
  sha256Hex,
  type StageManifest,
} from "../core/mod.ts";
import { STUDY_DIR, STUDY_FILES } from "./plan.ts";

const NOISY_INPUT = `noisy/${MANIFEST_FILE}`;

async function readManifestAt(path: string): Promise<StageManifest | null> {
  if (!(await exists(path))) return null;
  try {
    return JSON.parse(await Deno.readTextFile(path)) as StageManifest;
  } catch {
    return null;
  }
}

/**
 * True when the run in `runDir` was collected from a data folder whose
 * noisy dataset is ours (see the module's documentation) and is otherwise
 * up to date for `params` (the training stage's parameters).
 */
export async function isCollectedRunCurrent(
  dataDir: string,
  runDir: string,
  params: { [key: string]: Json },
): Promise<boolean> {
  const manifest = await readManifestAt(join(runDir, MANIFEST_FILE));
  const ours = join(dataDir, "noisy", MANIFEST_FILE);
  if (!manifest || !(await exists(ours))) return false;
  const recorded = manifest.inputs?.[NOISY_INPUT];
  const ourBytes = await Deno.readFile(ours);
  if (!recorded || recorded === await sha256Hex(ourBytes)) return false;
  const keptPath = join(
    dataDir,
    STUDY_DIR,
    STUDY_FILES.upstreamDir,
    `${recorded}.json`,
  );
  if (!(await exists(keptPath))) return false;
  const keptBytes = await Deno.readFile(keptPath);
  if (await sha256Hex(keptBytes) !== recorded) return false;
  const kept = JSON.parse(new TextDecoder().decode(keptBytes)) as StageManifest;
  const noisy = JSON.parse(new TextDecoder().decode(ourBytes)) as StageManifest;
  if (
    canonicalJson(kept.params) !== canonicalJson(noisy.params) ||
    canonicalJson(kept.outputs) !== canonicalJson(noisy.outputs) ||
    canonicalJson(manifest.params) !== canonicalJson(params)
  ) return false;
  for (const [file, expected] of Object.entries(manifest.outputs)) {
    const path = join(runDir, file);
    if (!(await exists(path)) || await sha256File(path) !== expected) {
      return false;
    }
  }
  return true;
}
