/**
 * A lock on a stage's output folder, so two runs never write one folder at
 * once: `<dir>/.lock` holds the pid of the process using the folder, and
 * that process holds an exclusive advisory lock (flock) on the file for as
 * long as it runs.
 *
 * The operating system drops the flock when its process ends however it
 * ends, so a lock file left by a dead process (killed, or stopped by a
 * second Ctrl-C) is stale: the next run takes it over. This needs no
 * permission beyond reading and writing the folder, and a recycled pid
 * cannot make a stale lock look live.
 *
 * @module
 */

import { join } from "node:path";
import { LockedError } from "./errors.ts";
import { fileSystemError } from "./fsutil.ts";

/** The lock file's name inside a stage folder. */
export const LOCK_FILE = ".lock";

/** A held lock; {@link FolderLock.release} gives it up. */
export interface FolderLock {
  /** The lock file. */
  path: string;
  /** Remove the lock file and drop the lock. */
  release(): Promise<void>;
}

/** The pid a lock file holds, or undefined when unreadable or not a pid. */
async function readPid(path: string): Promise<number | undefined> {
  try {
    const pid = Number((await Deno.readTextFile(path)).trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when `path` still names the open `file` (not removed, not new). */
async function stillNamed(file: Deno.FsFile, path: string): Promise<boolean> {
  const [open, named] = await Promise.all([
    file.stat(),
    Deno.stat(path).catch(() => undefined),
  ]);
  return named !== undefined && open.ino === named.ino &&
    open.dev === named.dev;
}

async function writePid(file: Deno.FsFile): Promise<void> {
  const bytes = new TextEncoder().encode(`${Deno.pid}\n`);
  await file.truncate(0);
  let written = 0;
  while (written < bytes.length) {
    written += await file.write(bytes.subarray(written));
  }
}

/**
 * Lock `dir` (created if absent) for this process. Refuses with a one-line
 * {@link LockedError} naming the holder's pid while another run (in this
 * or another process) holds it; a lock file whose process has ended is
 * taken over.
 */
export async function lockFolder(dir: string): Promise<FolderLock> {
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  // A retry is needed only when the holder released (removed) the file
  // between our open and our lock.
  for (let attempt = 0; attempt < 5; attempt++) {
    const file = await Deno.open(path, {
      read: true,
      write: true,
      create: true,
    });
    let held = false;
    try {
      if (!(await file.tryLock(true))) {
        const pid = await readPid(path);
        throw new LockedError(
          `${dir} is in use by process ${
            pid ?? "(unknown)"
          } (${path}); wait for that run to finish`,
        );
      }
      if (!(await stillNamed(file, path))) continue;
      await writePid(file).catch(async (error) => {
        // A full disk: leave no empty lock file behind, and name it.
        await Deno.remove(path).catch(() => {});
        throw fileSystemError(error, path) ?? error;
      });
      held = true;
      return {
        path,
        async release() {
          // Remove, then unlock: a run that opened this file meanwhile
          // finds it unnamed once it gets the lock, and retries.
          await Deno.remove(path).catch(() => {});
          file.close();
        },
      };
    } finally {
      if (!held) file.close();
    }
  }
  throw new LockedError(`${dir}: could not lock ${path}; try again`);
}
