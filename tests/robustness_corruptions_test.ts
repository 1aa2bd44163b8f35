import assert from "node:assert/strict";
import { ConfigError } from "../lib/core/errors.ts";
import { KeyedRng } from "../lib/core/rng.ts";
import type { MnistSplit } from "../lib/data/mnist.ts";
import {
  type Corruption,
  IMAGE_PIXELS,
  SEVERITIES,
  type Severity,
} from "../lib/robustness/corruption.ts";
import {
  corruptionStreamId,
  corruptSplit,
  STREAM_NAMES,
} from "../lib/robustness/corrupt.ts";
import {
  AffineWarp,
  ROTATE,
  ROTATE_ANGLE,
  rotationMap,
  SCALE,
  SCALE_FACTOR,
  scaleMap,
  SHEAR,
  SHEAR_ANGLE,
  shearMap,
  TRANSLATE,
  TRANSLATE_PIXELS,
} from "../lib/robustness/corruptions/affine.ts";
import {
  GAUSSIAN_BLUR,
  GAUSSIAN_BLUR_SIGMA,
} from "../lib/robustness/corruptions/blur.ts";
import { toByte } from "../lib/robustness/corruptions/common.ts";
import {
  BRIGHTNESS,
  BRIGHTNESS_SHIFT,
  STRIPE,
} from "../lib/robustness/corruptions/intensity.ts";
import {
  DOTTED_LINE,
  drawDottedLine,
  drawZigzag,
  LINE_REACH,
  ZIGZAG,
} from "../lib/robustness/corruptions/lines.ts";
import {
  GAUSSIAN_NOISE,
  GAUSSIAN_NOISE_SIGMA,
  IMPULSE_NOISE,
  IMPULSE_NOISE_AMOUNT,
  SHOT_NOISE,
  SHOT_NOISE_PHOTONS,
  SPECKLE_NOISE,
  SPECKLE_NOISE_SIGMA,
} from "../lib/robustness/corruptions/noise.ts";

const OURS: readonly Corruption[] = [
  SHOT_NOISE,
  IMPULSE_NOISE,
  SHEAR,
  SCALE,
  ROTATE,
  BRIGHTNESS,
  TRANSLATE,
  STRIPE,
  DOTTED_LINE,
  ZIGZAG,
  GAUSSIAN_NOISE,
  SPECKLE_NOISE,
  GAUSSIAN_BLUR,
];

/** Corruptions without randomness: the key must not matter. */
const KEYLESS = new Set(["scale", "brightness", "stripe", "gaussian_blur"]);

/** A digit-like test image: an anti-aliased ring with a slanted stem. */
function digit(): Uint8Array {
  const img = new Uint8Array(IMAGE_PIXELS);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const r = Math.hypot(x - 13.5, y - 10);
      const ring = Math.max(0, 1 - Math.abs(r - 5) / 1.6);
      const stem = y > 12 && y < 24
        ? Math.max(0, 1 - Math.abs(x - (17 - (y - 12) * 0.3)) / 1.6)
        : 0;
      img[y * 28 + x] = Math.round(255 * Math.min(1, ring + stem));
    }
  }
  return img;
}

function filled(value: number): Uint8Array {
  return new Uint8Array(IMAGE_PIXELS).fill(value);
}

function keyed(key: number): KeyedRng {
  return new KeyedRng().reseed(11, 22, key, 0);
}

function run(
  c: Corruption,
  image: Uint8Array,
  severity: Severity,
  key = 0,
): Uint8Array {
  const out = new Uint8Array(IMAGE_PIXELS);
  c.apply(image, severity, keyed(key), out);
  return out;
}

/** Pixels of `images` outputs of `c` on `image` under keys 0…n−1, joined. */
function many(
  c: Corruption,
  image: Uint8Array,
  severity: Severity,
  n: number,
): Uint8Array {
  const all = new Uint8Array(n * IMAGE_PIXELS);
  for (let k = 0; k < n; k++) all.set(run(c, image, severity, k), k * 784);
  return all;
}

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

function std(a: ArrayLike<number>): number {
  const m = mean(a);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - m) ** 2;
  return Math.sqrt(s / a.length);
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i % b.length]);
  return s / a.length;
}

function assertIncreasing(values: number[], what: string): void {
  for (let i = 1; i < values.length; i++) {
    assert.ok(
      values[i] > values[i - 1],
      `${what} not increasing: ${values.map((v) => v.toFixed(3))}`,
    );
  }
}

/** `image` moved by (mx, my) pixels, zero fill. */
function shifted(image: Uint8Array, mx: number, my: number): Uint8Array {
  const out = new Uint8Array(IMAGE_PIXELS);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const sx = x - mx;
      const sy = y - my;
      if (sx >= 0 && sx < 28 && sy >= 0 && sy < 28) {
        out[y * 28 + x] = image[sy * 28 + sx];
      }
    }
  }
  return out;
}

Deno.test("toByte clips and rounds half to even, as np.round then uint8", () => {
  assert.deepEqual(
    [-3, 0.5, 1.5, 2.5, 25.5, 26.5, 127.5, 254.6, 300, NaN].map(toByte),
    [0, 0, 2, 2, 26, 26, 128, 255, 255, 0],
  );
});

Deno.test("shot_noise: black stays black; mean kept, std = 255·√(x/c)", () => {
  for (const s of SEVERITIES) {
    assert.ok(run(SHOT_NOISE, filled(0), s).every((v) => v === 0));
  }
  const out = many(SHOT_NOISE, filled(128), 1, 40);
  const c = SHOT_NOISE_PHOTONS[0];
  assert.ok(Math.abs(mean(out) - 128) < 1, `mean ${mean(out)}`);
  const expected = 255 * Math.sqrt(128 / 255 / c);
  assert.ok(
    Math.abs(std(out) - expected) < 1,
    `std ${std(out)} vs ${expected}`,
  );
});

Deno.test("impulse_noise flips ≈ amount of the pixels, half to white", () => {
  for (const s of SEVERITIES) {
    const out = many(IMPULSE_NOISE, filled(128), s, 40);
    let changed = 0;
    let salt = 0;
    for (const v of out) {
      if (v !== 128) {
        changed++;
        assert.ok(v === 0 || v === 255, `impulse value ${v}`);
        if (v === 255) salt++;
      }
    }
    const p = IMPULSE_NOISE_AMOUNT[s - 1];
    assert.ok(
      Math.abs(changed / out.length - p) < 0.01,
      `severity ${s}: ${changed / out.length} vs ${p}`,
    );
    assert.ok(Math.abs(salt / changed - 0.5) < 0.06, `salt ${salt / changed}`);
  }
});

Deno.test("gaussian_noise adds N(0, (255σ)²); speckle scales it by the pixel", () => {
  const g = many(GAUSSIAN_NOISE, filled(128), 1, 40);
  assert.ok(Math.abs(mean(g) - 128) < 1, `mean ${mean(g)}`);
  const gs = 255 * GAUSSIAN_NOISE_SIGMA[0];
  assert.ok(Math.abs(std(g) - gs) < 1, `std ${std(g)} vs ${gs}`);
  const sp = many(SPECKLE_NOISE, filled(128), 1, 40);
  assert.ok(Math.abs(mean(sp) - 128) < 1, `mean ${mean(sp)}`);
  const ss = 128 * SPECKLE_NOISE_SIGMA[0];
  assert.ok(Math.abs(std(sp) - ss) < 1, `std ${std(sp)} vs ${ss}`);
  for (const s of SEVERITIES) {
    assert.ok(run(SPECKLE_NOISE, filled(0), s).every((v) => v === 0));
  }
});

Deno.test("gaussian_blur: flat stays flat; a point becomes the kernel's peak", () => {
  for (const s of SEVERITIES) {
    assert.ok(run(GAUSSIAN_BLUR, filled(100), s).every((v) => v === 100));
  }
  const point = filled(0);
  point[14 * 28 + 14] = 255;
  // σ = 1, truncated at 3σ: the centre weight squared.
  let sum = 0;
  for (let k = -3; k <= 3; k++) sum += Math.exp(-k * k / 2);
  assert.equal(
    run(GAUSSIAN_BLUR, point, 1)[14 * 28 + 14],
    Math.round(255 / (sum * sum)),
  );
  const peaks = SEVERITIES.map((s) =>
    -run(GAUSSIAN_BLUR, point, s)[14 * 28 + 14]
  );
  assertIncreasing(peaks, "blur flattening of a point");
});

Deno.test("shear, rotate, scale by 0 / 0 / 1 are the identity", () => {
  const img = digit();
  for (const map of [shearMap(0), rotationMap(0), scaleMap(1)]) {
    const out = new Uint8Array(IMAGE_PIXELS);
    new AffineWarp(map).apply(img, out);
    assert.deepEqual(out, img);
  }
});

Deno.test("rotate by π/2 is an exact quarter turn about the centre", () => {
  const img = digit();
  const out = new Uint8Array(IMAGE_PIXELS);
  new AffineWarp(rotationMap(Math.PI / 2)).apply(img, out);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      assert.equal(out[y * 28 + x], img[x * 28 + 27 - y], `(${x}, ${y})`);
    }
  }
});

Deno.test("shear and rotate use ±angle from the table, both signs drawn", () => {
  const img = digit();
  for (
    const [c, table, mapOf] of [
      [SHEAR, SHEAR_ANGLE, shearMap],
      [ROTATE, ROTATE_ANGLE, rotationMap],
    ] as const
  ) {
    for (const s of SEVERITIES) {
      const plus = new Uint8Array(IMAGE_PIXELS);
      const minus = new Uint8Array(IMAGE_PIXELS);
      new AffineWarp(mapOf(table[s - 1])).apply(img, plus);
      new AffineWarp(mapOf(-table[s - 1])).apply(img, minus);
      const seen = new Set<string>();
      for (let k = 0; k < 16; k++) {
        const out = run(c, img, s, k);
        const which = out.every((v, i) => v === plus[i])
          ? "+"
          : out.every((v, i) => v === minus[i])
          ? "-"
          : "neither";
        assert.notEqual(which, "neither", `${c.name} severity ${s} key ${k}`);
        seen.add(which);
      }
      assert.equal(seen.size, 2, `${c.name}: both signs over 16 keys`);
    }
  }
});

Deno.test("scale shrinks a 20-pixel square to 20·s about the centre", () => {
  const square = filled(0);
  for (let y = 4; y < 24; y++) square.fill(255, y * 28 + 4, y * 28 + 24);
  for (const s of SEVERITIES) {
    const out = run(SCALE, square, s);
    const size = 1 / SCALE_FACTOR[s - 1];
    // Row 13's ink, in full pixels, is the square's width 20 (its edges
    // ramp over one pixel) times the size.
    let ink = 0;
    for (let x = 0; x < 28; x++) ink += out[13 * 28 + x] / 255;
    assert.ok(Math.abs(ink - 20 * size) < 0.25, `severity ${s}: ${ink}`);
    // Symmetric about the centre column 13.5.
    for (let x = 0; x < 14; x++) {
      assert.equal(out[13 * 28 + x], out[13 * 28 + 27 - x]);
    }
  }
});

Deno.test("translate by k pixels is an integer shift with zero fill", () => {
  const img = digit();
  for (const s of SEVERITIES) {
    const k = TRANSLATE_PIXELS[s - 1];
    const seen = new Set<string>();
    for (let key = 0; key < 24; key++) {
      const out = run(TRANSLATE, img, s, key);
      let match = "";
      for (const mx of [-k, k]) {
        for (const my of [-k, k]) {
          if (shifted(img, mx, my).every((v, i) => v === out[i])) {
            match = `${mx},${my}`;
          }
        }
      }
      assert.ok(match !== "", `severity ${s} key ${key}: not a ±${k} shift`);
      seen.add(match);
    }
    assert.equal(seen.size, 4, `severity ${s}: all four directions`);
  }
});

Deno.test("brightness raises every pixel by 255·c before clipping", () => {
  const ramp = new Uint8Array(IMAGE_PIXELS);
  for (let p = 0; p < IMAGE_PIXELS; p++) ramp[p] = p % 256;
  for (const s of SEVERITIES) {
    const shift = 255 * BRIGHTNESS_SHIFT[s - 1];
    const out = run(BRIGHTNESS, ramp, s);
    const raised: number[] = [];
    for (let p = 0; p < IMAGE_PIXELS; p++) {
      const v = ramp[p];
      if (v + shift < 255) {
        assert.ok(Math.abs(out[p] - (v + shift)) <= 0.5, `${v} → ${out[p]}`);
        raised.push(out[p] - v);
      } else assert.equal(out[p], 255);
    }
    assert.ok(Math.abs(mean(raised) - shift) < 0.1, `severity ${s}`);
  }
  assert.ok(run(BRIGHTNESS, filled(0), 1).every((v) => v === 26)); // 25.5 → even
});

Deno.test("stripe inverts columns 0–6 and 21–27 and nothing else", () => {
  const img = digit();
  img[5 * 28 + 3] = 40;
  for (const s of SEVERITIES) {
    const out = run(STRIPE, img, s);
    for (let p = 0; p < IMAGE_PIXELS; p++) {
      const x = p % 28;
      const edge = x < 7 || x >= 21;
      assert.equal(out[p], edge ? 255 - img[p] : img[p], `column ${x}`);
    }
  }
});

Deno.test("dotted_line adds ink only on its dashes, within reach of the line", () => {
  const ends = new Int32Array(2);
  for (let key = 0; key < 20; key++) {
    drawDottedLine(keyed(key), ends);
    const [r0, r1] = ends;
    assert.ok(r0 >= 0 && r0 <= 26 && r1 >= 0 && r1 <= 26);
    const line = run(DOTTED_LINE, filled(0), 3, key);
    for (let x = 0; x < 28; x++) {
      const dash = (x % 4 === 2 || x % 4 === 3) && x < 27;
      const f = r0 + (r1 - r0) * x / 27;
      let peak = 0;
      for (let y = 0; y < 28; y++) {
        const v = line[y * 28 + x];
        if (v > 0) {
          assert.ok(dash, `ink in gap column ${x}`);
          assert.ok(Math.abs(y - f) < LINE_REACH, `(${x}, ${y}) off the line`);
        }
        peak = Math.max(peak, v);
      }
      // The row nearest the line is at most half a pixel from it.
      if (dash) assert.ok(peak >= toByte((Math.log(1 - 0.5 / 2.3) + 1) * 255));
    }
    const img = digit();
    const out = run(DOTTED_LINE, img, 3, key);
    for (let p = 0; p < IMAGE_PIXELS; p++) {
      assert.ok(out[p] >= img[p]);
      if (line[p] === 0) assert.equal(out[p], img[p]);
      else assert.ok(Math.abs(out[p] - Math.min(255, img[p] + line[p])) <= 1);
    }
  }
});

Deno.test("zigzag adds ink only along its segments", () => {
  const cols = new Float64Array(16);
  const rows = new Float64Array(16);
  for (let key = 0; key < 20; key++) {
    const n = drawZigzag(keyed(key), cols, rows);
    assert.equal(n, 8, "start, six teeth, end");
    // Starts on column 2 at an integer row; teeth 2 along and 2 across.
    assert.equal(cols[0], 2);
    assert.ok(Number.isInteger(rows[0]) && rows[0] >= 0 && rows[0] <= 26);
    const gap = (k: number) =>
      Math.hypot(cols[k] - cols[k - 1], rows[k] - rows[k - 1]);
    assert.ok(Math.abs(gap(1) - 2 * Math.SQRT2) < 1e-9, `first ${gap(1)}`);
    for (let k = 2; k < n - 1; k++) {
      assert.ok(Math.abs(gap(k) - 4 * Math.SQRT2) < 1e-9, `tooth ${gap(k)}`);
    }
    const line = run(ZIGZAG, filled(0), 1, key);
    for (let p = 0; p < IMAGE_PIXELS; p++) {
      if (line[p] === 0) continue;
      const x = p % 28;
      const y = (p - x) / 28;
      let near = false;
      for (let k = 1; k < n; k++) {
        if (x < Math.floor(cols[k - 1]) || x >= Math.ceil(cols[k])) continue;
        const slope = (rows[k] - rows[k - 1]) / (cols[k] - cols[k - 1]);
        const f = rows[k - 1] + slope * (x - cols[k - 1]);
        if (Math.abs(y - f) < LINE_REACH) near = true;
      }
      assert.ok(near, `key ${key}: ink at (${x}, ${y}) off every segment`);
    }
    // With every vertex on the image, every column 2–24 gets ink.
    if (rows.slice(0, n).every((r) => r >= 0 && r <= 27)) {
      for (let x = 2; x < 25; x++) {
        let any = false;
        for (let y = 0; y < 28; y++) if (line[y * 28 + x] > 0) any = true;
        assert.ok(any, `key ${key}: column ${x} has no ink`);
      }
    }
    const img = digit();
    const out = run(ZIGZAG, img, 1, key);
    for (let p = 0; p < IMAGE_PIXELS; p++) {
      assert.ok(out[p] >= img[p]);
      if (line[p] === 0) assert.equal(out[p], img[p]);
    }
  }
});

Deno.test("every corruption: same key → same bytes, input untouched, key matters", () => {
  const img = digit();
  const copy = img.slice();
  for (const c of OURS) {
    for (const s of SEVERITIES) {
      const a = run(c, img, s, 5);
      const b = run(c, img, s, 5);
      assert.deepEqual(a, b, `${c.name} severity ${s} not repeatable`);
      assert.deepEqual(img, copy, `${c.name} changed its input`);
      let differs = false;
      for (let k = 6; k < 14 && !differs; k++) {
        differs = run(c, img, s, k).some((v, i) => v !== a[i]);
      }
      assert.equal(
        differs,
        !KEYLESS.has(c.name),
        `${c.name} severity ${s}: key ${differs ? "matters" : "ignored"}`,
      );
    }
  }
});

Deno.test("severity tables are monotone and so are the corruptions' effects", () => {
  assertIncreasing(SHOT_NOISE_PHOTONS.map((c) => -c), "shot photons (−)");
  for (
    const table of [
      IMPULSE_NOISE_AMOUNT,
      GAUSSIAN_NOISE_SIGMA,
      SPECKLE_NOISE_SIGMA,
      GAUSSIAN_BLUR_SIGMA,
      SHEAR_ANGLE,
      ROTATE_ANGLE,
      SCALE_FACTOR,
      TRANSLATE_PIXELS,
      BRIGHTNESS_SHIFT,
    ]
  ) assertIncreasing([...table], "table");
  const img = digit();
  for (
    const c of [
      SHOT_NOISE,
      IMPULSE_NOISE,
      GAUSSIAN_NOISE,
      SPECKLE_NOISE,
      GAUSSIAN_BLUR,
      SHEAR,
      ROTATE,
      SCALE,
      TRANSLATE,
      BRIGHTNESS,
    ]
  ) {
    // Same key at every severity, so sign draws agree across severities.
    const effect = SEVERITIES.map((s) => meanAbsDiff(many(c, img, s, 8), img));
    assertIncreasing(effect, `${c.name} mean |change|`);
  }
});

Deno.test("every corruption refuses severities outside 1–5", () => {
  for (const c of OURS) {
    for (const bad of [0, 6, 2.5]) {
      assert.throws(
        () => run(c, digit(), bad as Severity),
        RangeError,
        `${c.name} accepted ${bad}`,
      );
    }
  }
});

Deno.test("corruptSplit keys image i as (seed, stream id, i, 0)", () => {
  const count = 6;
  const images = new Uint8Array(count * IMAGE_PIXELS);
  const img = digit();
  for (let i = 0; i < count; i++) images.set(img, i * IMAGE_PIXELS);
  const split: MnistSplit = {
    images,
    labels: Uint8Array.from([0, 1, 2, 3, 4, 5]),
    count,
    rows: 28,
    cols: 28,
  };
  const before = images.slice();
  const got = corruptSplit(split, SHOT_NOISE, 4, 99);
  assert.deepEqual(split.images, before);
  assert.deepEqual(got.labels, split.labels);
  assert.notEqual(got.labels, split.labels);
  const rng = new KeyedRng();
  const out = new Uint8Array(IMAGE_PIXELS);
  for (let i = 0; i < count; i++) {
    rng.reseed(99, corruptionStreamId("shot_noise", 4), i, 0);
    SHOT_NOISE.apply(img, 4, rng, out);
    assert.deepEqual(
      got.images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS),
      out,
    );
  }
  // Same image, different index → different noise.
  assert.ok(
    got.images.subarray(0, 784).some((v, p) => v !== got.images[784 + p]),
  );
  const other = corruptSplit(split, SHOT_NOISE, 4, 100);
  assert.ok(other.images.some((v, p) => v !== got.images[p]));
  assert.throws(
    () => corruptSplit({ ...split, rows: 14, cols: 56 }, SHOT_NOISE, 4, 1),
    ConfigError,
  );
  assert.throws(() => corruptSplit(split, SHOT_NOISE, 4, -1), ConfigError);
});

Deno.test("stream ids are pinned by position in the append-only name list", () => {
  assert.equal(STREAM_NAMES.length, new Set(STREAM_NAMES).size);
  assert.equal(corruptionStreamId("identity", 1), 1_000_001);
  assert.equal(corruptionStreamId("shot_noise", 5), 1_000_013);
  assert.equal(corruptionStreamId("canny_edges", 3), 1_000_123);
  assert.equal(corruptionStreamId("gaussian_blur", 2), 1_000_146);
  const ids = new Set<number>();
  for (const name of STREAM_NAMES) {
    for (const s of SEVERITIES) ids.add(corruptionStreamId(name, s));
  }
  assert.equal(ids.size, STREAM_NAMES.length * 5);
  assert.throws(() => corruptionStreamId("frost", 1), ConfigError);
});
