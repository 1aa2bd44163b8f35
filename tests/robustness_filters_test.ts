import assert from "node:assert/strict";
import { KeyedRng } from "../lib/core/rng.ts";
import { sha256Hex } from "../lib/core/hash.ts";
import { loadMnist } from "../lib/data/mnist.ts";
import {
  IMAGE_PIXELS,
  IMAGE_SIDE,
  SEVERITIES,
  type Severity,
} from "../lib/robustness/corruption.ts";
import { FILTER_CORRUPTIONS } from "../lib/robustness/corruptions/filters.ts";
import {
  cannyEdges,
  cannyEdgesCorruption,
} from "../lib/robustness/corruptions/canny.ts";
import {
  FOG_PARAMS,
  fogCorruption,
  plasmaFractal,
} from "../lib/robustness/corruptions/fog.ts";
import {
  GLASS_BLUR_PARAMS,
  glassShuffle,
} from "../lib/robustness/corruptions/glass_blur.ts";
import {
  MOTION_BLUR_PARAMS,
  motionBlur,
  motionBlurCorruption,
  motionBlurKernel,
} from "../lib/robustness/corruptions/motion_blur.ts";
import { normal } from "../lib/core/mod.ts";
import {
  MUD_LEVEL,
  spatterCorruption,
  spatterMask,
} from "../lib/robustness/corruptions/spatter.ts";
import { MNIST_DIR } from "./helpers.ts";

const N = IMAGE_SIDE;

/** A digit-like test image: a thick bright ring on black. */
function ring(): Uint8Array {
  const image = new Uint8Array(IMAGE_PIXELS);
  for (let r = 0; r < N; r++) {
    for (let c = 0; c < N; c++) {
      const d = Math.hypot(r - 13.5, c - 13.5);
      if (d > 5 && d < 9) image[r * N + c] = d > 6 && d < 8 ? 255 : 128;
    }
  }
  return image;
}

function keyed(index: number, seed = 11): KeyedRng {
  return new KeyedRng().reseed(seed, 1, index, 0);
}

Deno.test("FILTER_CORRUPTIONS: MNIST-C's five names, group and published severities", () => {
  assert.deepEqual(
    FILTER_CORRUPTIONS.map((c) => [c.name, c.group, c.defaultSeverity]),
    [
      ["glass_blur", "mnist-c", 1],
      ["motion_blur", "mnist-c", 1],
      ["fog", "mnist-c", 5],
      ["spatter", "mnist-c", 4],
      ["canny_edges", "mnist-c", 1],
    ],
  );
  for (const c of FILTER_CORRUPTIONS) assert.ok(c.reference.length > 20);
});

Deno.test("canny_edges: a filled square gives its outline, nothing inside or outside", () => {
  const image = new Uint8Array(IMAGE_PIXELS);
  for (let r = 8; r < 20; r++) {
    for (let c = 8; c < 20; c++) image[r * N + c] = 255;
  }
  const edges = new Uint8Array(IMAGE_PIXELS);
  cannyEdges(image, edges);
  const onBoundary = (r: number, c: number) =>
    r >= 7 && r <= 20 && c >= 7 && c <= 20 &&
    !(r >= 9 && r <= 18 && c >= 9 && c <= 18);
  for (let r = 0; r < N; r++) {
    for (let c = 0; c < N; c++) {
      const v = edges[r * N + c];
      assert.ok(v === 0 || v === 255);
      if (v) assert.ok(onBoundary(r, c), `edge off the boundary at ${r},${c}`);
    }
  }
  // Closed: every row and column the square spans crosses the outline on
  // both sides (in the pixel just outside or just inside the step).
  for (let k = 8; k < 20; k++) {
    assert.ok(edges[7 * N + k] || edges[8 * N + k], `top gap at column ${k}`);
    assert.ok(edges[20 * N + k] || edges[19 * N + k], `bottom gap at ${k}`);
    assert.ok(edges[k * N + 7] || edges[k * N + 8], `left gap at row ${k}`);
    assert.ok(edges[k * N + 20] || edges[k * N + 19], `right gap at ${k}`);
  }
  // A flat image has no edges.
  cannyEdges(new Uint8Array(IMAGE_PIXELS).fill(200), edges);
  assert.equal(edges.reduce((a, b) => a + b, 0), 0);
});

Deno.test({
  name: "canny_edges: equal to scikit-image feature.canny on 100 MNIST digits",
  ignore: MNIST_DIR === undefined,
  fn: async () => {
    const test = await loadMnist(MNIST_DIR!, "test");
    const out = new Uint8Array(100 * IMAGE_PIXELS);
    for (let i = 0; i < 100; i++) {
      const at = i * IMAGE_PIXELS;
      cannyEdges(
        test.images.subarray(at, at + IMAGE_PIXELS),
        out.subarray(at, at + IMAGE_PIXELS),
      );
    }
    // scikit-image 0.19.3: feature.canny(x / 255.) * 255 for test images
    // 0–99, concatenated.
    assert.equal(
      await sha256Hex(out),
      "22021e3ba95672cdae93775ff5b40f56bb58cc74d7c768984fc386141593d5d0",
    );
  },
});

/** The blur kernel recomputed here from ImageMagick's formula. */
function expectedKernel(radius: number, sigma: number): number[] {
  const width = 2 * radius + 1;
  const k = Array.from(
    { length: width },
    (_, i) => Math.exp(-(i * i) / (2 * sigma * sigma)),
  );
  const sum = k.reduce((a, b) => a + b, 0);
  return k.map((v) => v / sum);
}

Deno.test("motion_blur: one bright pixel streaks along one line of the kernel's length, mass kept", () => {
  const image = new Uint8Array(IMAGE_PIXELS);
  image[14 * N + 25] = 255;
  const out = new Uint8Array(IMAGE_PIXELS);
  for (const [radius, sigma] of [MOTION_BLUR_PARAMS[0], [8, 8]]) {
    const weights = expectedKernel(radius, sigma);
    // Pixels that survive the 8-bit output (≥ 1 grey level).
    const visible = weights.filter((w) => 255 * w >= 1).length;
    motionBlur(image, motionBlurKernel(radius, sigma), 0, out);
    let mass = 0;
    for (let r = 0; r < N; r++) {
      for (let c = 0; c < N; c++) {
        const v = out[r * N + c];
        mass += v;
        if (r !== 14 || c > 25 || c < 25 - (visible - 1)) {
          assert.equal(v, 0, `angle 0: stray value at ${r},${c}`);
        } else {
          // Each tap truncated to a byte, as ImageMagick's 8-bit PNG.
          assert.equal(v, Math.floor(255 * weights[25 - c] + 1e-9));
        }
      }
    }
    assert.ok(mass <= 255 && mass >= 255 - visible, `mass ${mass}`);
  }
  // At 45° the streak runs up the diagonal, one pixel per step.
  const kernel = motionBlurKernel(...MOTION_BLUR_PARAMS[0]);
  motionBlur(image, kernel, 45, out);
  for (let p = 0; p < IMAGE_PIXELS; p++) {
    if (out[p] === 0) continue;
    const r = Math.floor(p / N);
    const c = p % N;
    assert.equal(14 - r, 25 - c, `45°: off the diagonal at ${r},${c}`);
  }
});

Deno.test("motion_blur: at a random angle the streak is straight, within ±45° of horizontal", () => {
  const image = new Uint8Array(IMAGE_PIXELS);
  image[14 * N + 25] = 255;
  const out = new Uint8Array(IMAGE_PIXELS);
  const angles = new Set<number>();
  for (let key = 0; key < 20; key++) {
    motionBlurCorruption.apply(image, 1, keyed(key), out);
    const lit: [number, number][] = [];
    for (let p = 0; p < IMAGE_PIXELS; p++) {
      if (out[p]) lit.push([Math.floor(p / N) - 14, (p % N) - 25]);
    }
    // The farthest lit pixel fixes the direction; all others lie within a
    // pixel (rounding in x and y) of that line through the source pixel.
    const [fr, fc] = lit.reduce((a, b) =>
      Math.hypot(...b) > Math.hypot(...a) ? b : a
    );
    assert.ok(fc < 0 && Math.abs(fr) <= -fc, "streak leaves leftwards");
    const len = Math.hypot(fr, fc);
    angles.add(Math.round(Math.atan2(fr, fc) * 100));
    for (const [r, c] of lit) {
      const off = Math.abs(r * fc - c * fr) / len;
      assert.ok(off <= 1, `key ${key}: ${r},${c} is ${off} off the line`);
    }
  }
  assert.ok(angles.size > 10, "the angle varies with the key");
});

Deno.test({
  name:
    "motion_blur: equal to ImageMagick 6 convert -motion-blur on MNIST digits",
  ignore: MNIST_DIR === undefined,
  fn: async () => {
    const test = await loadMnist(MNIST_DIR!, "test");
    const params = [MOTION_BLUR_PARAMS[0], MOTION_BLUR_PARAMS[4]];
    const angles = [-45, -20, 0, 12.5, 45];
    const out = new Uint8Array(params.length * angles.length * 10 * 784);
    let at = 0;
    for (const [radius, sigma] of params) {
      const kernel = motionBlurKernel(radius, sigma);
      for (const angle of angles) {
        for (let i = 0; i < 10; i++) {
          const image = test.images.subarray(i * 784, (i + 1) * 784);
          motionBlur(image, kernel, angle, out.subarray(at, at + 784));
          at += 784;
        }
      }
    }
    // `convert in.png -motion-blur {radius}x{sigma}{angle} out.png`,
    // ImageMagick 6.9.11-60 Q16, for test images 0–9.
    assert.equal(
      await sha256Hex(out),
      "1dedee4e02c831006d6fd36cdad1a48b7c884ed90b1b78bdf4d513f7f06d561e",
    );
  },
});

Deno.test("glass_blur: the local shuffle only swaps, and moves pixels a few steps", () => {
  const rng = keyed(0);
  const image = new Uint8Array(IMAGE_PIXELS);
  for (let p = 0; p < IMAGE_PIXELS; p++) image[p] = rng.nextUint32() & 255;
  for (const [, maxDelta, iterations] of GLASS_BLUR_PARAMS) {
    const shuffled = image.slice();
    glassShuffle(shuffled, maxDelta, iterations, keyed(1));
    assert.notDeepEqual(shuffled, image);
    assert.deepEqual(shuffled.slice().sort(), image.slice().sort());
    // Offsets are ≥ −d and targets ≥ 1: row 0 and column 0 never change.
    for (let k = 0; k < N; k++) {
      assert.equal(shuffled[k], image[k]);
      assert.equal(shuffled[k * N], image[k * N]);
    }
    // A lone bright pixel: each swap moves it at most d per axis (a sweep
    // can carry it on); on average it ends well within d per iteration.
    let total = 0;
    const keys = 300;
    for (let key = 0; key < keys; key++) {
      const dot = new Uint8Array(IMAGE_PIXELS);
      dot[14 * N + 14] = 255;
      glassShuffle(dot, maxDelta, iterations, keyed(key, 5));
      const p = dot.indexOf(255);
      assert.equal(dot.reduce((a, b) => a + b, 0), 255);
      total += Math.max(
        Math.abs(Math.floor(p / N) - 14),
        Math.abs((p % N) - 14),
      );
    }
    const mean = total / keys;
    assert.ok(mean > 0.3 && mean <= 0.75 * maxDelta * iterations, `${mean}`);
  }
});

Deno.test("glass_blur: blurs only down the columns (MNIST-C's multichannel quirk)", () => {
  // The swaps spread a bar the same across rows as across columns; the
  // two blurs add 2σ² of spread, but only across a horizontal bar.
  const spread = (image: Uint8Array, severity: Severity, across: "r" | "c") => {
    const out = new Uint8Array(IMAGE_PIXELS);
    let total = 0;
    const keys = 20;
    for (let key = 0; key < keys; key++) {
      FILTER_CORRUPTIONS[0].apply(image, severity, keyed(key), out);
      let mass = 0;
      let moment = 0;
      for (let p = 0; p < IMAGE_PIXELS; p++) {
        const d = (across === "r" ? Math.floor(p / N) : p % N) - 14;
        mass += out[p];
        moment += out[p] * d * d;
      }
      total += moment / mass;
    }
    return total / keys;
  };
  const horizontal = new Uint8Array(IMAGE_PIXELS);
  const vertical = new Uint8Array(IMAGE_PIXELS);
  for (let k = 0; k < N; k++) {
    horizontal[14 * N + k] = 255;
    vertical[k * N + 14] = 255;
  }
  for (const severity of SEVERITIES) {
    const sigma = GLASS_BLUR_PARAMS[severity - 1][0];
    const extra = spread(horizontal, severity, "r") -
      spread(vertical, severity, "c");
    assert.ok(extra > sigma * sigma, `severity ${severity}: ${extra}`);
    assert.ok(extra < 4 * sigma * sigma, `severity ${severity}: ${extra}`);
  }
});

Deno.test("fog: the plasma layer lies in [0, 1] and varies", () => {
  const layer = new Float64Array(IMAGE_PIXELS);
  for (const [, decay] of FOG_PARAMS) {
    for (let key = 0; key < 20; key++) {
      plasmaFractal(keyed(key), decay, layer);
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of layer) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      assert.ok(lo >= 0 && hi <= 1, `[${lo}, ${hi}]`);
      assert.ok(hi - lo > 0.01);
    }
  }
});

Deno.test("fog: raises the dark background, and grows with severity", () => {
  const image = ring();
  const out = new Uint8Array(IMAGE_PIXELS);
  const previous = new Uint8Array(IMAGE_PIXELS);
  const layer = new Float64Array(IMAGE_PIXELS);
  const meanBackground = [0, 0, 0, 0, 0];
  for (let key = 0; key < 10; key++) {
    let lastContrast = Infinity;
    for (const severity of SEVERITIES) {
      const [strength, decay] = FOG_PARAMS[severity - 1];
      fogCorruption.apply(image, severity, keyed(key), out);
      plasmaFractal(keyed(key), decay, layer);
      // out = 255·(x/255 + c·fog)·max/(max + c), with max = 1 here.
      const gain = 1 / (1 + strength);
      let background = 0;
      let count = 0;
      let lifted = 0;
      for (let p = 0; p < IMAGE_PIXELS; p++) {
        const expected = (image[p] + 255 * strength * layer[p]) * gain;
        assert.ok(Math.abs(out[p] - expected) <= 0.5 + 1e-9);
        if (image[p] === 0) {
          background += out[p];
          count++;
          if (out[p] > 0) lifted++;
        }
      }
      assert.ok(lifted / count > 0.95, "background lifted");
      meanBackground[severity - 1] += background / count / 10;
      // The digit's contrast 255/(1 + c) never grows with severity.
      const contrast = 255 * gain;
      assert.ok(contrast <= lastContrast);
      lastContrast = contrast;
      // Severities 1 and 2 share the fractal (same decay): 2 is foggier
      // everywhere on the background.
      if (severity === 2) {
        for (let p = 0; p < IMAGE_PIXELS; p++) {
          if (image[p] === 0) assert.ok(out[p] >= previous[p]);
        }
      }
      previous.set(out);
    }
  }
  for (const m of meanBackground) assert.ok(m > 40, `mean background ${m}`);
  // A blank image (max 0) stays blank, as in MNIST-C.
  fogCorruption.apply(new Uint8Array(IMAGE_PIXELS), 5, keyed(0), out);
  assert.ok(out.every((v) => v === 0));
});

Deno.test("fog: background level and roughness match MNIST-C's Python per severity", () => {
  // MNIST-C's fog() (numpy, plasma_fractal at 256) on ring(), 3,000 draws
  // per severity: mean over draws of the background's mean and of its
  // standard deviation within the image, with their spread across draws.
  const reference = [
    { mean: 77.36, meanSd: 33.87, std: 6.632, stdSd: 3.734 },
    { mean: 85.5, meanSd: 37.91, std: 7.437, stdSd: 4.046 },
    { mean: 90.29, meanSd: 39.25, std: 8.815, stdSd: 4.468 },
    { mean: 89.7, meanSd: 37.36, std: 10.29, stdSd: 4.656 },
    { mean: 96.43, meanSd: 36.68, std: 12.042, stdSd: 5.005 },
  ];
  const image = ring();
  const out = new Uint8Array(IMAGE_PIXELS);
  const keys = 400;
  for (const severity of SEVERITIES) {
    let meanSum = 0;
    let stdSum = 0;
    for (let key = 0; key < keys; key++) {
      fogCorruption.apply(image, severity, keyed(key, 9), out);
      let n = 0;
      let sum = 0;
      let sq = 0;
      for (let p = 0; p < IMAGE_PIXELS; p++) {
        if (image[p] !== 0) continue;
        n++;
        sum += out[p];
        sq += out[p] * out[p];
      }
      const mean = sum / n;
      meanSum += mean;
      stdSum += Math.sqrt(sq / n - mean * mean);
    }
    const ref = reference[severity - 1];
    // Within 4 standard errors of MNIST-C's (plus both sides' sampling).
    const se = (sd: number) => 4 * sd * Math.sqrt(1 / keys + 1 / 3000);
    const mean = meanSum / keys;
    const std = stdSum / keys;
    assert.ok(
      Math.abs(mean - ref.mean) < se(ref.meanSd),
      `sev ${severity} mean ${mean}`,
    );
    assert.ok(
      Math.abs(std - ref.std) < se(ref.stdSd),
      `sev ${severity} std ${std}`,
    );
  }
});

Deno.test("spatter: adds grey mud marks, never moves ink", () => {
  const image = ring();
  const out = new Uint8Array(IMAGE_PIXELS);
  const mask = new Float64Array(IMAGE_PIXELS);
  for (const severity of SEVERITIES) {
    let marked = 0;
    for (let key = 0; key < 20; key++) {
      spatterCorruption.apply(image, severity, keyed(key), out);
      spatterMask(severity, keyed(key), mask);
      for (let p = 0; p < IMAGE_PIXELS; p++) {
        const m = mask[p];
        assert.ok(m === 0 || (m >= 0.8 && m <= 1 + 1e-12));
        if (m === 0) {
          assert.equal(out[p], image[p], "unmarked pixels untouched");
        } else {
          // A blend of the pixel with grey 63, weighted by the mask.
          const lo = Math.min(image[p], MUD_LEVEL);
          const hi = Math.max(image[p], MUD_LEVEL);
          assert.ok(out[p] >= lo && out[p] <= hi);
          if (out[p] !== image[p]) marked++;
        }
      }
    }
    assert.ok(marked > 20, `severity ${severity}: only ${marked} marks`);
  }
});

Deno.test("normal: ziggurat draws have normal moments and tails", () => {
  const rng = keyed(0);
  const n = 200_000;
  let sum = 0;
  let sq = 0;
  let beyond1 = 0;
  let beyond2 = 0;
  let beyond3 = 0;
  for (let i = 0; i < n; i++) {
    const z = normal(rng);
    sum += z;
    sq += z * z;
    const a = Math.abs(z);
    if (a > 1) beyond1++;
    if (a > 2) beyond2++;
    if (a > 3) beyond3++;
  }
  assert.ok(Math.abs(sum / n) < 0.01);
  assert.ok(Math.abs(sq / n - 1) < 0.015);
  assert.ok(Math.abs(beyond1 / n - 0.3173) < 0.005);
  assert.ok(Math.abs(beyond2 / n - 0.0455) < 0.002);
  assert.ok(Math.abs(beyond3 / n - 0.0027) < 0.0005);
});

Deno.test("filter corruptions: same key same bytes, another key other bytes", () => {
  const image = ring();
  const a = new Uint8Array(IMAGE_PIXELS);
  const b = new Uint8Array(IMAGE_PIXELS);
  for (const corruption of FILTER_CORRUPTIONS) {
    for (const severity of SEVERITIES as Severity[]) {
      corruption.apply(image, severity, keyed(3), a);
      corruption.apply(image, severity, keyed(3), b);
      assert.deepEqual(a, b, `${corruption.name} ${severity} not repeatable`);
      corruption.apply(image, severity, keyed(4), b);
      if (corruption === cannyEdgesCorruption) {
        assert.deepEqual(a, b, "canny_edges uses no randomness");
      } else {
        assert.notDeepEqual(a, b, `${corruption.name} ignores the key`);
      }
      assert.ok(image.every((v, p) => v === ring()[p]), "input untouched");
    }
  }
});
