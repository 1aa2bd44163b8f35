/**
 * File-system faults for the tests: a folder on a tiny tmpfs that fills
 * up (ENOSPC) and a folder made read-only (EROFS), plus a snapshot of a
 * folder to show that a failed run left its files alone. Mounting needs
 * root and mount(8); tests that mount pass `ignore: !CAN_MOUNT` and say
 * why in their name ({@link needsMount}).
 *
 * @module
 */

import { PERMITTED } from "./helpers.ts";
import { join, relative } from "node:path";

function run(command: string, args: string[]): boolean {
  try {
    return new Deno.Command(command, {
      args,
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false; // no such program
  }
}

function unmount(dir: string): void {
  run("umount", ["-l", dir]);
}

/** True when this process can mount a tmpfs (Linux, root, mount(8)). */
export const CAN_MOUNT: boolean = (() => {
  if (Deno.build.os !== "linux" || !PERMITTED) return false;
  const dir = Deno.makeTempDirSync({ prefix: "noisy-mnist-mount-" });
  try {
    if (!run("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir])) {
      return false;
    }
    unmount(dir);
    return true;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
})();

/** `name`, plus why it is ignored when it cannot run here. */
export function needsMount(name: string): string {
  return CAN_MOUNT ? name : `${name} [ignored: needs root and mount(8)]`;
}

/** Run `fn` with a tmpfs of `kib` KiB mounted on `dir` (created). */
export async function withTmpfs<T>(
  dir: string,
  kib: number,
  fn: () => Promise<T>,
): Promise<T> {
  await Deno.mkdir(dir, { recursive: true });
  if (!run("mount", ["-t", "tmpfs", "-o", `size=${kib}k`, "tmpfs", dir])) {
    throw new Error(`cannot mount a tmpfs on ${dir}`);
  }
  try {
    return await fn();
  } finally {
    unmount(dir);
  }
}

/** Run `fn` with `dir` (created) read-only: a read-only bind mount. */
export async function withReadOnly<T>(
  dir: string,
  fn: () => Promise<T>,
): Promise<T> {
  await Deno.mkdir(dir, { recursive: true });
  if (!run("mount", ["--bind", dir, dir])) {
    throw new Error(`cannot bind-mount ${dir}`);
  }
  try {
    if (!run("mount", ["-o", "remount,bind,ro", dir])) {
      throw new Error(`cannot make ${dir} read-only`);
    }
    return await fn();
  } finally {
    unmount(dir);
  }
}

/** Fill the file system holding `dir` with `dir/filler` until ENOSPC. */
export async function fillUp(dir: string): Promise<void> {
  const file = await Deno.open(join(dir, "filler"), {
    write: true,
    create: true,
  });
  const block = new Uint8Array(4096);
  try {
    for (let size = block.length; size >= 1; size = Math.floor(size / 2)) {
      try {
        while (true) await file.write(block.subarray(0, size));
      } catch (error) {
        if ((error as { code?: string }).code !== "ENOSPC") throw error;
      }
    }
  } finally {
    file.close();
  }
}

/** Every file under `dir` (relative path → bytes); `filler` left out. */
export async function snapshot(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  async function walk(folder: string): Promise<void> {
    for await (const entry of Deno.readDir(folder)) {
      const path = join(folder, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.name !== "filler") {
        files.set(relative(dir, path), await Deno.readFile(path));
      }
    }
  }
  await walk(dir);
  return files;
}
