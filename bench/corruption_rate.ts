/**
 * Generation rate of every corruption in the catalogue: images/s of
 * `corruptSplit` on 10,000 images, one thread, at each severity, after a
 * warm-up, repeating for at least a second. Reports the rate per second
 * of the main thread's CPU time (from `/proc/thread-self/stat`, so a
 * busy shared machine does not skew it; wall-clock rate when that file is
 * missing) and, in brackets, per second of wall-clock time. Uses the real
 * MNIST test split when `MNIST_SOURCE` or `data/mnist` has it, else
 * synthetic digit-like images (a ring and a stem at varying places).
 *
 * `deno run -A bench/corruption_rate.ts [--default]` (Deno reads
 * `/proc/thread-self` only with all permissions; with fewer it falls back
 * to wall-clock time)
 * (`--default`: only each corruption's default severity).
 *
 * @module
 */

import { loadMnist, type MnistSplit } from "../lib/data/mnist.ts";
import { CORRUPTIONS, IDENTITY } from "../lib/robustness/catalogue.ts";
import { corruptSplit } from "../lib/robustness/corrupt.ts";
import { SEVERITIES } from "../lib/robustness/corruption.ts";
import { MNIST_DIR } from "../tests/helpers.ts";

const COUNT = 10_000;

function syntheticSplit(count: number): MnistSplit {
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

const split = MNIST_DIR
  ? await loadMnist(MNIST_DIR, "test")
  : syntheticSplit(COUNT);
const onlyDefault = Deno.args.includes("--default");

/** Main-thread CPU seconds (Linux), or `undefined` where unavailable. */
function cpuSeconds(): number | undefined {
  try {
    const stat = Deno.readTextFileSync("/proc/thread-self/stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime
  } catch {
    return undefined;
  }
}

const hasCpu = cpuSeconds() !== undefined;
console.log(
  `${split.count} ${MNIST_DIR ? "MNIST test" : "synthetic"} images; ` +
    `images/s per ${hasCpu ? "CPU" : "wall"} second (per wall second):`,
);
for (const c of [IDENTITY, ...CORRUPTIONS]) {
  const severities = onlyDefault ? [c.defaultSeverity] : SEVERITIES;
  const rates: string[] = [];
  for (const s of severities) {
    corruptSplit(split, c, s, 1); // warm-up (JIT, lazily built tables)
    const cpu0 = cpuSeconds() ?? 0;
    const wall0 = performance.now();
    let runs = 0;
    let wall = 0;
    let cpu = 0;
    while (cpu < 1) {
      corruptSplit(split, c, s, ++runs);
      wall = (performance.now() - wall0) / 1000;
      cpu = hasCpu ? cpuSeconds()! - cpu0 : wall;
    }
    const k = (n: number) => `${Math.round(runs * split.count / n / 1000)}k`;
    rates.push(
      `${s === c.defaultSeverity ? "*" : " "}${s}: ${k(cpu)} (${k(wall)})`,
    );
  }
  console.log(`${c.name.padEnd(15)}${rates.join(" ")}`);
}
console.log("* = default severity");
