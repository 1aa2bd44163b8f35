/**
 * Generation rate of the corruption catalogue: images/s of `corruptSplit`
 * on the MNIST test split (10,000 images; synthetic digit-like images when
 * the real split is not here), one thread, after a warm-up. Rates are per
 * second of the main thread's CPU time (from `/proc/thread-self/stat`, so
 * a busy shared machine does not skew them; wall-clock time where that
 * file is missing) and, in brackets, per wall-clock second.
 *
 * `deno task bench` prints the catalogue's rate (every corruption at every
 * severity, as the robustness sweep generates them). Run alone it prints
 * one row per corruption too:
 *
 *     deno run -A bench/corruption_bench.ts [--default]
 *
 * (`--default`: each corruption at its default severity only; Deno reads
 * `/proc/thread-self` only with all permissions).
 *
 * @module
 */

import { loadMnist, type MnistSplit } from "../lib/data/mod.ts";
import {
  type Corruption,
  CORRUPTIONS,
  corruptSplit,
  IDENTITY,
  SEVERITIES,
  type Severity,
} from "../lib/robustness/mod.ts";

/** Synthetic digit-like images: a ring and a stem at varying places. */
export function syntheticSplit(count: number): MnistSplit {
  const images = new Uint8Array(count * 784);
  for (let i = 0; i < count; i++) {
    const cx = 11.5 + (i % 5);
    const cy = 8 + ((i >> 3) % 5);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const ring = Math.max(
          0,
          1 - Math.abs(Math.hypot(x - cx, y - cy) - 5) / 1.6,
        );
        const stem = y > cy + 2 && y < cy + 14
          ? Math.max(0, 1 - Math.abs(x - (cx + 3.5 - (y - cy - 2) * 0.3)) / 1.6)
          : 0;
        images[i * 784 + y * 28 + x] = Math.round(
          255 * Math.min(1, ring + stem),
        );
      }
    }
  }
  return { images, labels: new Uint8Array(count), count, rows: 28, cols: 28 };
}

/** The MNIST test split from `dir`, else 10,000 synthetic images. */
export async function benchSplit(
  dir: string | undefined,
): Promise<{ split: MnistSplit; real: boolean }> {
  if (dir) {
    try {
      return { split: await loadMnist(dir, "test"), real: true };
    } catch {
      // Synthetic below.
    }
  }
  return { split: syntheticSplit(10_000), real: false };
}

/** Main-thread CPU seconds (Linux), or `undefined` where unavailable. */
export function cpuSeconds(): number | undefined {
  try {
    const stat = Deno.readTextFileSync("/proc/thread-self/stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime
  } catch {
    return undefined;
  }
}

/** Images corrupted, and the CPU and wall seconds it took. */
export interface CorruptionTiming {
  /** Images generated. */
  images: number;
  /** Main-thread CPU seconds (wall seconds where CPU time is unknown). */
  cpu: number;
  /** Wall-clock seconds. */
  wall: number;
  /** Whether `cpu` is really CPU time. */
  hasCpu: boolean;
}

/** Time `corruptSplit` over `pairs` once each, after a small warm-up. */
export function timeCorruptions(
  split: MnistSplit,
  pairs: readonly (readonly [Corruption, Severity])[],
  seed = 42,
): CorruptionTiming {
  const warm = {
    ...split,
    count: 100,
    images: split.images.subarray(0, 78_400),
  };
  for (const [c, s] of pairs) corruptSplit(warm, c, s, seed); // JIT, tables
  const cpu0 = cpuSeconds();
  const wall0 = performance.now();
  for (const [c, s] of pairs) corruptSplit(split, c, s, seed);
  const wall = (performance.now() - wall0) / 1000;
  const cpu1 = cpuSeconds();
  const hasCpu = cpu0 !== undefined && cpu1 !== undefined;
  return {
    images: split.count * pairs.length,
    cpu: hasCpu ? Math.max(cpu1 - cpu0, 0.01) : wall,
    wall,
    hasCpu,
  };
}

/** The robustness sweep's generation: every corruption × every severity. */
export function catalogueRate(split: MnistSplit): CorruptionTiming {
  return timeCorruptions(
    split,
    CORRUPTIONS.flatMap((c) => SEVERITIES.map((s) => [c, s] as const)),
  );
}

if (import.meta.main) {
  const { split, real } = await benchSplit(
    Deno.env.get("MNIST_SOURCE") ?? "data/mnist",
  );
  const onlyDefault = Deno.args.includes("--default");
  const k = (t: CorruptionTiming, n: number) =>
    `${Math.round(t.images / n / 1000)}k`;
  console.log(
    `${split.count} ${real ? "MNIST test" : "synthetic"} images; images/s ` +
      `per CPU second (per wall second):`,
  );
  for (const c of [IDENTITY, ...CORRUPTIONS]) {
    const severities = onlyDefault ? [c.defaultSeverity] : SEVERITIES;
    const cells = severities.map((s) => {
      const t = timeCorruptions(split, [[c, s]]);
      const mark = s === c.defaultSeverity ? "*" : " ";
      return `${mark}${s}: ${k(t, t.cpu)} (${k(t, t.wall)})`;
    });
    console.log(`${c.name.padEnd(15)}${cells.join(" ")}`);
  }
  console.log("* = default severity");
  const all = catalogueRate(split);
  console.log(
    `catalogue (${CORRUPTIONS.length} × 5 severities): ${
      k(all, all.cpu)
    } img/s (${k(all, all.wall)})`,
  );
}
