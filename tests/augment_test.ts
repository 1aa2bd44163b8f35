import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import {
  augmentImages,
  augmentSplit,
  sampleImageParams,
} from "../lib/augment/augment.ts";
import {
  type AugmentConfig,
  type FillMode,
  PRESETS,
  withOverrides,
} from "../lib/augment/config.ts";
import { AugmentPool } from "../lib/augment/pool.ts";
import { sha256File } from "../lib/core/hash.ts";
import {
  MNIST_FILES,
  type MnistSplit,
  NOISY_FILES,
  SPLITS,
} from "../lib/data/mnist.ts";
import { imagesPixelStats, pixelStats } from "../lib/core/pixel_stats.ts";
import {
  listDir,
  MNIST_DIR,
  NEEDS_PERMISSIONS,
  runScript,
  withTempDir,
} from "./helpers.ts";

const needsMnist = MNIST_DIR === undefined;
const NONE = PRESETS.none;

/** `count` deterministic 28×28 "digits": a bright ring on noise-free black. */
function syntheticImages(count: number, rows = 28, cols = 28): Uint8Array {
  const images = new Uint8Array(count * rows * cols);
  for (let i = 0; i < count; i++) {
    const cx = 10 + (i % 8);
    const cy = 9 + ((i * 3) % 10);
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        const r = Math.hypot(x - cx, y - cy);
        const v = Math.max(0, 255 - Math.abs(r - 6) * 120);
        images[(i * rows + y) * cols + x] = Math.round(v);
      }
    }
  }
  return images;
}

/** One image with every pixel distinct-ish (`(7·p + 3) mod 256`). */
function patternImage(rows: number, cols: number): Uint8Array {
  return Uint8Array.from({ length: rows * cols }, (_, p) => (7 * p + 3) % 256);
}

function transform(
  config: AugmentConfig,
  images: Uint8Array,
  rows = 28,
  cols = 28,
  seed = 42,
): Uint8Array {
  return augmentImages({
    images,
    count: images.length / (rows * cols),
    rows,
    cols,
    config,
    seed,
    split: "train",
  });
}

Deno.test("the identity config returns the input byte for byte", () => {
  const images = syntheticImages(50);
  const before = images.slice();
  const out = transform(NONE, images);
  assert.deepEqual(out, images);
  assert.notEqual(out, images, "a new array, not the input");
  assert.deepEqual(images, before, "input untouched");
});

Deno.test("zoom 1 and brightness 0 (or ×1) are identities", () => {
  const images = syntheticImages(20);
  const explicit = withOverrides(NONE, { zoomY: 1, zoomX: 1, brightness: 0 });
  assert.deepEqual(transform(explicit, images), images);
  const times1 = withOverrides(NONE, {
    brightness: 1,
    brightnessMode: "multiply",
  });
  assert.deepEqual(transform(times1, images), images);
  // Ranges that can only draw the identity are identities too.
  const zeroRanges = withOverrides(NONE, {
    rotation: [0, 0],
    translateX: [0, 0],
  });
  assert.deepEqual(transform(zeroRanges, images), images);
});

Deno.test("a 90° rotation is the transpose-flip of the image, exactly (counter-clockwise, as Keras)", () => {
  const n = 28;
  const image = patternImage(n, n);
  const at = (y: number, x: number) => image[y * n + x];
  const ccw = transform(withOverrides(NONE, { rotation: 90 }), image);
  const cw = transform(withOverrides(NONE, { rotation: -90 }), image);
  const half = transform(withOverrides(NONE, { rotation: 180 }), image);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      // +90°: transpose, then flip top↔bottom (numpy.rot90): the top row of
      // the output is the input's right-hand column.
      assert.equal(ccw[y * n + x], at(x, n - 1 - y), `ccw ${y},${x}`);
      assert.equal(cw[y * n + x], at(n - 1 - x, y), `cw ${y},${x}`);
      assert.equal(half[y * n + x], at(n - 1 - y, n - 1 - x), `180 ${y},${x}`);
    }
  }
});

/** Expected index along one axis after a shift, per fill mode (−1 = fill). */
function expectedIndex(i: number, n: number, mode: FillMode): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case "reflect": // d c b a | a b c d | d c b a
      return i < 0 ? -i - 1 : 2 * n - 1 - i;
    case "nearest":
      return i < 0 ? 0 : n - 1;
    case "wrap":
      return (i + n) % n;
    case "constant":
      return -1;
  }
}

Deno.test("integer translations move pixels exactly and fill by the mode", () => {
  const rows = 4;
  const cols = 5;
  const image = patternImage(rows, cols);
  const fillValue = 0.2; // 51 on the 0–255 scale
  const shifts: [number, number][] = [[2, 0], [-3, 0], [0, 1], [-1, -2], [
    4,
    3,
  ]];
  for (const mode of ["reflect", "nearest", "constant", "wrap"] as const) {
    for (const [dx, dy] of shifts) {
      const config = withOverrides(NONE, {
        translateX: dx / cols,
        translateY: dy / rows,
        fill: mode,
        fillValue,
      });
      const out = transform(config, image, rows, cols);
      for (let y = 0; y < rows; y++) {
        for (let x = 0; x < cols; x++) {
          // A shift right by dx reads the input at x − dx.
          const sx = expectedIndex(x - dx, cols, mode);
          const sy = expectedIndex(y - dy, rows, mode);
          const expected = sx < 0 || sy < 0 ? 51 : image[sy * cols + sx];
          assert.equal(
            out[y * cols + x],
            expected,
            `${mode} shift (${dx},${dy}) at (${y},${x})`,
          );
        }
      }
    }
  }
});

Deno.test("reflect fill repeats the edge pixel (d c b a | a b c d)", () => {
  // One row a b c d, shifted right by 2: reflect gives b a | a b.
  const row = Uint8Array.of(10, 20, 30, 40);
  const out = transform(
    withOverrides(NONE, { translateX: 0.5 }),
    row,
    1,
    4,
  );
  assert.deepEqual([...out], [20, 10, 10, 20]);
});

Deno.test("brightness adds on the [0, 1] scale and clips; multiply clips too", () => {
  const image = Uint8Array.from(
    { length: 28 * 28 },
    (_, p) => p % 3 === 0 ? 0 : p % 3 === 1 ? 255 : 100,
  );
  const up = transform(withOverrides(NONE, { brightness: 0.5 }), image);
  const down = transform(withOverrides(NONE, { brightness: -0.5 }), image);
  const double = transform(
    withOverrides(NONE, { brightness: 2, brightnessMode: "multiply" }),
    image,
  );
  for (let p = 0; p < image.length; p++) {
    const v = image[p];
    assert.equal(up[p], Math.min(255, Math.round(v + 127.5)));
    assert.equal(down[p], Math.max(0, Math.round(v - 127.5)));
    assert.equal(double[p], Math.min(255, 2 * v));
  }
  assert.ok(up.includes(255) && down.includes(0));
});

Deno.test("same seed gives identical bytes, another seed different ones", () => {
  const images = syntheticImages(200);
  const a = transform(PRESETS.seed, images, 28, 28, 42);
  const b = transform(PRESETS.seed, images, 28, 28, 42);
  const c = transform(PRESETS.seed, images, 28, 28, 43);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

Deno.test(
  "a chunk transforms exactly as inside the whole run (order and batch independent)",
  NEEDS_PERMISSIONS,
  async () => {
    const images = syntheticImages(300);
    const whole = transform(PRESETS.seed, images);
    const size = 28 * 28;
    const chunk = augmentImages({
      images: images.subarray(100 * size, 170 * size),
      count: 70,
      rows: 28,
      cols: 28,
      config: PRESETS.seed,
      seed: 42,
      split: "train",
      firstIndex: 100,
    });
    assert.deepEqual(chunk, whole.subarray(100 * size, 170 * size));
    const split: MnistSplit = {
      images,
      labels: new Uint8Array(300),
      count: 300,
      rows: 28,
      cols: 28,
    };
    for (const [workers, chunkSize] of [[1, 7], [2, 64], [3, 100]]) {
      const pool = new AugmentPool(workers, chunkSize);
      try {
        const out = await pool.augmentSplit(split, "train", PRESETS.seed, 42);
        assert.deepEqual(out.images, whole, `${workers} workers`);
      } finally {
        pool.close();
      }
    }
    // The split number is part of the key: test ≠ train.
    const asTest = augmentSplit(split, "test", PRESETS.seed, 42);
    assert.notDeepEqual(asTest.images, whole);
  },
);

Deno.test("per-layer resampling: exact maps agree with one resample, the seed preset blurs a little", () => {
  const images = syntheticImages(16);
  // A 90° turn and an integer shift sample pixel centres exactly, so one
  // composed resample and one resample per step must agree byte for byte.
  const exact = withOverrides(NONE, {
    rotation: 90,
    translateX: 3 / 28,
    translateY: -2 / 28,
  });
  assert.deepEqual(
    transform({ ...exact, resample: "per-layer" }, images),
    transform(exact, images),
  );
  // Identity per layer is the identity.
  assert.deepEqual(
    transform({ ...NONE, resample: "per-layer" }, images),
    images,
  );
  // The seed preset: the same parameters, resampled three times — close to,
  // but not the same as, one resample (each bilinear pass smooths).
  const once = transform(PRESETS.seed, images);
  const perLayer = transform(
    { ...PRESETS.seed, resample: "per-layer" },
    images,
  );
  assert.notDeepEqual(perLayer, once);
  let diff = 0;
  for (let p = 0; p < once.length; p++) diff += Math.abs(once[p] - perLayer[p]);
  assert.ok(diff / once.length < 20, `mean |difference| ${diff / once.length}`);
});

Deno.test("over 10,000 draws the seed preset stays in ±72° (mean ≈ 0) and ±5.6 px", () => {
  let angleSum = 0;
  let maxAngle = 0;
  let maxShift = 0;
  let maxBrightness = 0;
  for (let i = 0; i < 10_000; i++) {
    const p = sampleImageParams(PRESETS.seed, 42, "train", i, 28, 28);
    angleSum += p.rotation;
    maxAngle = Math.max(maxAngle, Math.abs(p.rotation));
    maxShift = Math.max(maxShift, Math.abs(p.shiftX), Math.abs(p.shiftY));
    maxBrightness = Math.max(maxBrightness, Math.abs(p.brightness));
    assert.equal(p.zoomX, 1.2);
    assert.equal(p.zoomY, 1.2);
    assert.equal(p.shear, 0);
  }
  assert.ok(maxAngle <= 72, `max angle ${maxAngle}`);
  assert.ok(maxAngle > 70, "the range is actually used");
  // Uniform on ±72°: σ ≈ 41.6°, so the mean of 10,000 is within ±1.3° at 3σ.
  assert.ok(Math.abs(angleSum / 10_000) < 1.5, `mean ${angleSum / 10_000}`);
  assert.ok(maxShift <= 5.6 + 1e-9, `max shift ${maxShift}`);
  assert.ok(maxShift > 5.4);
  assert.ok(maxBrightness <= 0.2);
});

Deno.test("every corruption changes the image and keeps values in 0–255", () => {
  const images = syntheticImages(10);
  const corruptions: Partial<AugmentConfig>[] = [
    { noise: 0.1 },
    { saltPepper: 0.05 },
    { speckle: 0.5 },
    { blur: 1 },
    { blur: [0.5, 2], noise: [0, 0.2], speckle: 0.3, saltPepper: [0, 0.1] },
  ];
  for (const overrides of corruptions) {
    const out = transform(withOverrides(NONE, overrides), images);
    assert.notDeepEqual(out, images, JSON.stringify(overrides));
    assert.ok(out.every((v) => v >= 0 && v <= 255));
    // Every single image changes, not just the batch.
    for (let i = 0; i < 10; i++) {
      const at = (a: Uint8Array) => a.subarray(i * 784, (i + 1) * 784);
      assert.notDeepEqual(
        at(out),
        at(images),
        `${JSON.stringify(overrides)} #${i}`,
      );
    }
  }
  // Salt and pepper only ever writes pure black or white.
  const sp = transform(
    withOverrides(NONE, { saltPepper: 0.5 }),
    new Uint8Array(784).fill(100),
  );
  assert.ok(sp.every((v) => v === 0 || v === 100 || v === 255));
  assert.ok(sp.includes(0) && sp.includes(255));
});

Deno.test("pixelStats gives mean and std on the [0, 1] scale", () => {
  assert.deepEqual(pixelStats(Uint8Array.of(0, 255)), { mean: 0.5, std: 0.5 });
  assert.deepEqual(pixelStats(new Uint8Array(10).fill(51)), {
    mean: 0.2,
    std: 0,
  });
});

Deno.test("imagesPixelStats counts only the chosen images", () => {
  // Three 2-pixel images: black, white, 51-grey; the black one is left out.
  const images = Uint8Array.of(0, 0, 255, 255, 51, 51);
  const { mean, std } = imagesPixelStats(images, 2, [1, 2]);
  assert.ok(Math.abs(mean - 0.6) < 1e-12 && Math.abs(std - 0.4) < 1e-12);
  assert.deepEqual(
    imagesPixelStats(images, 2, [0, 1, 2]),
    pixelStats(images),
  );
  assert.throws(() => imagesPixelStats(images, 2, [3]), RangeError);
});

// ---- The script, end to end ---------------------------------------------

async function runAugment(dataDir: string, ...args: string[]) {
  const output = await runScript("augment", ["--data-dir", dataDir, ...args]);
  return {
    code: output.code,
    stdout: output.stdout,
    stderrLines: output.stderr.trim().split("\n").filter((l) => l !== ""),
  };
}

/** `<dataDir>/mnist/` as symlinks to the real files (no 11 MB copies). */
async function linkMnist(dataDir: string): Promise<void> {
  const dir = join(dataDir, "mnist");
  await Deno.mkdir(dir, { recursive: true });
  for (const split of SPLITS) {
    for (const file of [MNIST_FILES[split].images, MNIST_FILES[split].labels]) {
      await Deno.symlink(resolve(MNIST_DIR!, file), join(dir, file));
    }
  }
}

const OUTPUT_FILES = [
  ...SPLITS.flatMap((s) => [NOISY_FILES[s].images, NOISY_FILES[s].labels]),
  "samples.png",
];

async function hashOutputs(dataDir: string): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const file of OUTPUT_FILES) {
    hashes[file] = await sha256File(join(dataDir, "noisy", file));
  }
  return hashes;
}

Deno.test({
  name:
    "the script gives identical files with --workers 1 and 2; a second run is up to date",
  ignore: needsMnist,
  async fn() {
    await withTempDir(async (tmp) => {
      const one = join(tmp, "one");
      const two = join(tmp, "two");
      await linkMnist(one);
      await linkMnist(two);
      const first = await runAugment(one, "--limit", "2000", "--workers", "1");
      assert.equal(first.code, 0, first.stderrLines.join("\n"));
      const second = await runAugment(two, "--limit", "2000", "--workers", "2");
      assert.equal(second.code, 0, second.stderrLines.join("\n"));
      assert.deepEqual(await hashOutputs(one), await hashOutputs(two));
      assert.deepEqual(
        await listDir(join(one, "noisy")),
        [...OUTPUT_FILES, "manifest.json"].sort(),
      );
      const manifest = JSON.parse(
        await Deno.readTextFile(join(one, "noisy", "manifest.json")),
      );
      assert.equal(manifest.params.limit, 2000);
      assert.equal(manifest.params.seed, 42);
      assert.equal(manifest.params.preset, "seed");
      assert.equal(manifest.results.pixels.noisy.train.count, 2000);
      assert.ok(!("workers" in manifest.params));
      const png = await Deno.readFile(join(one, "noisy", "samples.png"));
      assert.deepEqual([...png.subarray(0, 8)], [
        137,
        80,
        78,
        71,
        13,
        10,
        26,
        10,
      ]);

      // Same parameters, other worker count: up to date, one line.
      const again = await runAugment(two, "--limit", "2000", "--workers", "1");
      assert.equal(again.code, 0);
      assert.equal(again.stderrLines.length, 1, again.stderrLines.join("\n"));
      assert.match(again.stderrLines[0], /^augment: up to date/);
      // Another seed is a different dataset.
      const reseeded = await runAugment(two, "--limit", "2000", "--seed", "7");
      assert.equal(reseeded.code, 0);
      const after = await hashOutputs(two);
      const before = await hashOutputs(one);
      assert.notEqual(
        after[NOISY_FILES.train.images],
        before[NOISY_FILES.train.images],
      );
      assert.equal(
        after[NOISY_FILES.train.labels],
        before[NOISY_FILES.train.labels],
      );
    });
  },
});

Deno.test(
  "bad flag values give one clear error line and exit 2",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dataDir) => {
      const cases: [string[], RegExp][] = [
        [["--noise=-0.1"], /^error: --noise: must be ≥ 0/],
        [["--blur", "-1"], /^error: --blur: must be ≥ 0/],
        [["--rotation", "-30,-40"], /^error: --rotation: range .* LO > HI/],
        [["--preset", "keras2"], /^error: --preset: unknown preset "keras2"/],
        [["--salt-pepper", "1.5"], /^error: --salt-pepper: must be ≤ 1/],
        [
          ["--rotation", "1,2,3"],
          /^error: --rotation: expected a number or a range/,
        ],
        [["--zoom", "1.3,1.1"], /^error: --zoom: range .* LO > HI/],
        [
          ["--fill", "mirror"],
          /^error: --fill: unknown value "mirror" \(expected one of: reflect,/,
        ],
        [["--resample", "twice"], /^error: --resample: unknown value "twice"/],
        [["--blur", "abc"], /^error: --blur: expected a number/],
        [["--workers", "0"], /^error: --workers: must be ≥ 1/],
      ];
      for (const [args, pattern] of cases) {
        const result = await runAugment(dataDir, ...args);
        assert.equal(result.code, 2, args.join(" "));
        assert.equal(
          result.stderrLines.length,
          1,
          result.stderrLines.join("\n"),
        );
        assert.match(result.stderrLines[0], pattern);
      }
      assert.deepEqual(await listDir(join(dataDir, "noisy")), []);
    });
  },
);

Deno.test(
  "a missing mnist/ gives the fetch hint and exit 1",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dataDir) => {
      const result = await runAugment(dataDir);
      assert.equal(result.code, 1);
      assert.equal(result.stderrLines.length, 1, result.stderrLines.join("\n"));
      assert.match(result.stderrLines[0], /^error: .*mnist.*deno task fetch/);
      assert.deepEqual(await listDir(join(dataDir, "noisy")), []);
    });
  },
);

Deno.test(
  "--help lists the parameter flags and the range syntax",
  NEEDS_PERMISSIONS,
  async () => {
    await withTempDir(async (dataDir) => {
      const result = await runAugment(dataDir, "--help");
      assert.equal(result.code, 0);
      for (
        const flag of ["--rotation", "--salt-pepper", "--workers", "--limit"]
      ) {
        assert.ok(result.stdout.includes(flag), flag);
      }
      assert.match(result.stdout, /--rotation -30,30/);
    });
  },
);
