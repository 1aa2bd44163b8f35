/**
 * Reading `study/summary.json` for the report and the README table: only
 * when `study/manifest.json` vouches for its bytes.
 *
 * @module
 */

import { join } from "node:path";
import {
  checkRecordedHash,
  exists,
  MANIFEST_FILE,
  MissingInputError,
  recordedOutputs,
  sha256Hex,
} from "../core/mod.ts";
import { STUDY_DIR, STUDY_FILES } from "./plan.ts";
import type { StudySummary } from "./summary.ts";

/**
 * The study's summary checked against its manifest; null when the data
 * folder has no study. A summary without a manifest, or that does not
 * match it, is a one-line `DataError`/`MissingInputError`.
 */
export async function loadStudySummary(
  dataDir: string,
): Promise<StudySummary | null> {
  const dir = join(dataDir, STUDY_DIR);
  const path = join(dir, STUDY_FILES.summary);
  if (!(await exists(path))) return null;
  const manifestPath = join(dir, MANIFEST_FILE);
  const rerun = "run `deno task study` again";
  if (!(await exists(manifestPath))) {
    throw new MissingInputError(`${manifestPath} is missing; ${rerun}`);
  }
  const recorded = recordedOutputs(
    await Deno.readTextFile(manifestPath),
    manifestPath,
    rerun,
  );
  const bytes = await Deno.readFile(path);
  checkRecordedHash(
    recorded,
    STUDY_FILES.summary,
    path,
    await sha256Hex(bytes),
    `${STUDY_DIR}/${MANIFEST_FILE}`,
    rerun,
  );
  return JSON.parse(new TextDecoder().decode(bytes)) as StudySummary;
}
