/**
 * The study over seeds as a report input: `study/manifest.json` when the
 * study has written its summary, and the summary itself, checked against
 * that manifest by lib/study's loader.
 *
 * @module
 */

import { join } from "node:path";
import { exists, MANIFEST_FILE } from "../core/mod.ts";
import { STUDY_DIR, STUDY_FILES } from "../study/mod.ts";

/** The task that writes the study, named in errors. */
export const STUDY_TASK = "deno task study";

/** `study/manifest.json` when a summary exists, else undefined. */
export async function findStudy(dataDir: string): Promise<string | undefined> {
  const dir = join(dataDir, STUDY_DIR);
  return await exists(join(dir, STUDY_FILES.summary))
    ? join(dir, MANIFEST_FILE)
    : undefined;
}
