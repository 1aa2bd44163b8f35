/**
 * Small file-system helpers: atomic writes and existence checks.
 *
 * An artifact is written to a temporary name in its own folder and then
 * renamed over the final name. A rename within one folder is atomic on
 * POSIX file systems, so a later stage sees either the old file or the new
 * one, never half of one, even if the writer is killed mid-way.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";

/** A unique temporary path beside `path` (same folder, hidden name). */
export function tempPathFor(path: string): string {
  const nonce = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  return join(dirname(path), `.${basename(path)}.${Deno.pid}.${nonce}.tmp`);
}

/** Write `data` to `path` atomically (temp file + fsync + rename). */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const bytes = typeof data === "string"
    ? new TextEncoder().encode(data)
    : data;
  const tmp = tempPathFor(path);
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true });
    try {
      let written = 0;
      while (written < bytes.length) {
        written += await file.write(bytes.subarray(written));
      }
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}

/** Write JSON (two-space indent, trailing newline) atomically. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/** True when `path` exists (file or folder). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Read and parse a JSON file; `undefined` if it does not exist. */
export async function readJsonIfExists<T>(
  path: string,
): Promise<T | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}
