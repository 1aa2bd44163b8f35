/**
 * predict: decoding, MNIST's preprocessing, the command line, and — on
 * real MNIST — pictures of test digits as a user would send them, made
 * by the test: enlarged, inverted, off-centre, JPEG or with alpha.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import png from "imagescript/png";
import { defineScript, helpText, parseCommandLine } from "../lib/cli/flags.ts";
import { UsageError } from "../lib/core/errors.ts";
import { loadMnist } from "../lib/data/mnist.ts";
import {
  asMnistImage,
  decodeImage,
  ImageDecodeError,
  MNIST_SIDE,
  NoInkError,
  preprocessDetailed,
  preprocessImage,
  type RgbaImage,
  topClasses,
} from "../lib/predict/mod.ts";
import { trainQuickModels } from "./fixtures_predict.ts";
import {
  MNIST_DIR,
  NEEDS_PERMISSIONS,
  runScript,
  withTempDir,
} from "./helpers.ts";

/** imagescript's PNG codec (it ships no types). */
const codec = png as unknown as {
  encode(
    data: Uint8Array,
    options: { width: number; height: number; channels: number; level: number },
  ): Uint8Array;
};

/** A PNG of `data` (its level-0 output is broken beyond 64 kB: compress). */
function encodePng(
  data: Uint8Array,
  width: number,
  height: number,
  channels: number,
): Uint8Array {
  return codec.encode(data, { width, height, channels, level: 6 });
}

/** A small seeded generator (mulberry32). */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Ink coverage [0, 1] of a "7": a bar and a slanted stroke, at `scale`. */
function seven(
  scale: number,
): { width: number; height: number; ink: Float32Array } {
  const width = Math.round(14 * scale);
  const height = Math.round(20 * scale);
  const ink = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = (x + 0.5) / scale;
      const v = (y + 0.5) / scale;
      const bar = v < 3;
      const stroke = Math.abs(u - (14 - (v - 3) * 0.5)) < 1.6 && v >= 2;
      ink[y * width + x] = bar || stroke ? 1 : 0;
    }
  }
  return { width, height, ink };
}

/** `ink` on a `width × height` sheet at (x, y), as RGBA via `paint`. */
function sheet(
  shape: { width: number; height: number; ink: Float32Array },
  width: number,
  height: number,
  at: { x: number; y: number },
  paint: (ink: number) => [number, number, number, number],
): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const sx = x - at.x;
      const sy = y - at.y;
      const c = sx >= 0 && sy >= 0 && sx < shape.width && sy < shape.height
        ? shape.ink[sy * shape.width + sx]
        : 0;
      data.set(paint(c), (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

const blackOnWhite = (c: number): [number, number, number, number] => {
  const v = Math.round(255 * (1 - c));
  return [v, v, v, 255];
};

function maxDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

Deno.test("preprocess: polarity, alpha and position do not matter; the digit is fit into 20×20 and centred by mass", () => {
  const shape = seven(6);
  const at = { x: 40, y: 25 };
  const reference = preprocessImage(sheet(shape, 200, 180, at, blackOnWhite));
  const whiteOnBlack = sheet(shape, 200, 180, at, (c) => {
    const v = Math.round(255 * c);
    return [v, v, v, 255];
  });
  assert.ok(maxDiff(preprocessImage(whiteOnBlack), reference) < 1e-5);
  const onTransparent = sheet(
    shape,
    200,
    180,
    at,
    (c) => [0, 0, 0, Math.round(255 * c)],
  );
  assert.ok(maxDiff(preprocessImage(onTransparent), reference) < 1e-5);
  const moved = sheet(shape, 300, 200, { x: 7, y: 70 }, blackOnWhite);
  assert.ok(maxDiff(preprocessImage(moved), reference) < 1e-5);

  const info = preprocessDetailed(sheet(shape, 200, 180, at, blackOnWhite));
  assert.equal(info.inverted, true);
  assert.deepEqual(info.box, { x0: 40, y0: 25, x1: 40 + 84, y1: 25 + 120 });
  // Centre of mass in pixel (14, 14), as MNIST's (within rounding).
  let mass = 0, mx = 0, my = 0, top = 28, bottom = 0;
  reference.forEach((v, i) => {
    const x = i % MNIST_SIDE, y = Math.floor(i / MNIST_SIDE);
    mass += v;
    mx += v * (x + 0.5);
    my += v * (y + 0.5);
    if (v >= 0.5) {
      top = Math.min(top, y);
      bottom = Math.max(bottom, y + 1);
    }
  });
  assert.ok(Math.abs(mx / mass - 14.5) <= 0.5, `x centre ${mx / mass}`);
  assert.ok(Math.abs(my / mass - 14.5) <= 0.5, `y centre ${my / mass}`);
  assert.ok(bottom - top >= 19 && bottom - top <= 21, `height ${bottom - top}`);

  // Anti-aliased scaling: the same digit drawn 4× or 9× looks the same.
  const small = preprocessImage(sheet(seven(4), 100, 100, at, blackOnWhite));
  const large = preprocessImage(sheet(seven(9), 300, 300, at, blackOnWhite));
  const mean = small.reduce((s, v, i) => s + Math.abs(v - large[i]), 0) / 784;
  assert.ok(mean < 0.03, `mean difference ${mean}`);
});

Deno.test("preprocess: a blank, uniform, transparent or paper-only picture has no ink", () => {
  const rng = generator(1);
  const plain = (paint: (i: number) => number[]) => {
    const data = new Uint8Array(50 * 40 * 4);
    for (let i = 0; i < 50 * 40; i++) data.set(paint(i), i * 4);
    return { width: 50, height: 40, data };
  };
  const pictures = {
    white: plain(() => [255, 255, 255, 255]),
    grey: plain(() => [120, 120, 120, 255]),
    transparent: plain(() => [0, 0, 0, 0]),
    "paper texture": plain(() => {
      const v = 235 + Math.floor(rng() * 12);
      return [v, v - 3, v - 8, 255];
    }),
  };
  for (const [name, picture] of Object.entries(pictures)) {
    assert.throws(() => preprocessImage(picture), NoInkError, name);
  }
  // A picture already in MNIST style is taken as it is.
  const data = new Uint8Array(28 * 28 * 4);
  for (let i = 0; i < 784; i++) {
    data.set([i % 256, i % 256, i % 256, 255], i * 4);
  }
  const asIs = asMnistImage({ width: 28, height: 28, data });
  assert.ok(asIs.every((v, i) => Math.abs(v - (i % 256) / 255) < 1e-6));
});

/** A PNG from raw scanlines (filter 0), any colour type and depth. */
function rawPng(
  width: number,
  height: number,
  colour: number,
  depth: number,
  rows: Uint8Array[],
  interlace = 0,
): Uint8Array {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Uint8Array) => {
    let c = 0xffffffff;
    for (const b of bytes) c = table[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, body: Uint8Array) => {
    const out = new Uint8Array(12 + body.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, body.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(body, 8);
    view.setUint32(8 + body.length, crc(out.subarray(4, 8 + body.length)));
    return out;
  };
  const header = new Uint8Array(13);
  new DataView(header.buffer).setUint32(0, width);
  new DataView(header.buffer).setUint32(4, height);
  header.set([depth, colour, 0, 0, interlace], 8);
  const raw = new Uint8Array(rows.reduce((n, r) => n + r.length + 1, 0));
  let at = 0;
  for (const row of rows) {
    raw[at++] = 0;
    raw.set(row, at);
    at += row.length;
  }
  const parts = [
    Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10),
    chunk("IHDR", header),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

Deno.test(
  "decode: PNG gray, gray+alpha, RGB, RGBA, 16-bit and JPEG; refuses what it cannot read",
  NEEDS_PERMISSIONS,
  async () => {
    const pixel = [200, 100, 50, 128];
    for (const channels of [1, 2, 3, 4]) {
      const source = channels === 1
        ? [200]
        : channels === 2
        ? [200, 128]
        : pixel.slice(0, channels);
      const data = new Uint8Array(6 * channels).map((_, i) =>
        source[i % channels]
      );
      const image = await decodeImage(
        encodePng(data, 3, 2, channels),
      );
      assert.equal(image.width, 3);
      assert.equal(image.height, 2);
      const expected = channels === 1
        ? [200, 200, 200, 255]
        : channels === 2
        ? [200, 200, 200, 128]
        : channels === 3
        ? [200, 100, 50, 255]
        : pixel;
      assert.deepEqual(
        [...image.data.subarray(0, 4)],
        expected,
        `${channels} channels`,
      );
    }
    const sixteen = rawPng(2, 1, 0, 16, [
      Uint8Array.of(0x12, 0x34, 0xfe, 0xdc),
    ]);
    assert.deepEqual([...(await decodeImage(sixteen)).data], [
      0x12,
      0x12,
      0x12,
      255,
      0xfe,
      0xfe,
      0xfe,
      255,
    ]);

    // imagescript's main module loads a native codec (FFI) on import.
    const { Image } = await import("imagescript");
    const photo = new Image(40, 30);
    photo.fill(0xf0e0d0ff);
    const jpeg = await decodeImage(await photo.encodeJPEG(95));
    assert.equal(jpeg.width, 40);
    assert.ok(Math.abs(jpeg.data[0] - 0xf0) <= 3 && jpeg.data[3] === 255);

    const good = rawPng(1, 1, 0, 8, [Uint8Array.of(7)]);
    const badCrc = good.slice();
    badCrc[good.length - 20] ^= 0xff;
    const refused: [string, Uint8Array, RegExp][] = [
      ["empty", new Uint8Array(0), /^empty file$/],
      ["text", new TextEncoder().encode("hello"), /^not a PNG or JPEG file$/],
      ["gif", new TextEncoder().encode("GIF89a......"), /^not a PNG or JPEG/],
      ["truncated", good.subarray(0, 40), /^corrupt PNG: .*truncated/],
      ["bad crc", badCrc, /^corrupt PNG: bad CRC/],
      [
        "4-bit",
        rawPng(2, 1, 0, 4, [Uint8Array.of(0x1f)]),
        /^unsupported PNG: 4-bit/,
      ],
      [
        "interlaced",
        rawPng(1, 1, 0, 8, [Uint8Array.of(7)], 1),
        /^unsupported PNG: interlaced/,
      ],
      [
        "jpeg without frame",
        Uint8Array.of(0xff, 0xd8, 0xff, 0xd9),
        /^corrupt JPEG/,
      ],
    ];
    for (const [name, bytes, message] of refused) {
      await assert.rejects(() => decodeImage(bytes), (error: Error) => {
        assert.ok(error instanceof ImageDecodeError, name);
        assert.match(error.message, message, name);
        return true;
      });
    }
  },
);

Deno.test("cli: positional arguments, their minimum and --help", () => {
  const info = defineScript({
    usage: "x [flags] FILE...",
    summary: "x",
    positionals: { name: "FILE", description: "a file", min: 1 },
    flags: { json: { type: "boolean", description: "json" } },
  });
  assert.deepEqual(parseCommandLine(["a.png", "--json", "b.jpg"], info), {
    flags: { json: true },
    positionals: ["a.png", "b.jpg"],
  });
  assert.deepEqual(parseCommandLine(["--", "-odd.png"], info)?.positionals, [
    "-odd.png",
  ]);
  assert.throws(() => parseCommandLine(["--json"], info), UsageError);
  assert.match(
    helpText(info),
    /Arguments:\n {2}FILE\.\.\. +a file \(at least 1\)/,
  );
  const none = defineScript({ usage: "y", summary: "y", flags: {} });
  assert.throws(() => parseCommandLine(["stray"], none), UsageError);
  assert.deepEqual(topClasses([0, 0.5, 0.1, 0.3, 0, 0, 0, 0, 0.1, 0]), [
    { class: 1, probability: 0.5 },
    { class: 3, probability: 0.3 },
    { class: 2, probability: 0.1 },
  ]);
});

Deno.test({
  name: "preprocess: an MNIST test digit comes back nearly as it was",
  ignore: MNIST_DIR === undefined,
  async fn() {
    const test = await loadMnist(MNIST_DIR!, "test");
    let total = 0;
    const count = 300;
    for (let i = 0; i < count; i++) {
      const digit = test.images.subarray(i * 784, (i + 1) * 784);
      const data = new Uint8Array(784 * 4);
      digit.forEach((v, k) => data.set([v, v, v, 255], k * 4));
      const again = preprocessImage({ width: 28, height: 28, data });
      total += again.reduce((s, v, k) => s + Math.abs(v - digit[k] / 255), 0) /
        784;
    }
    assert.ok(total / count < 0.015, `mean difference ${total / count}`);
  },
});

/** Bilinear enlargement of a 28×28 digit (ink high) to `size × size`. */
function enlarge(digit: Uint8Array, size: number): Float32Array {
  const out = new Float32Array(size * size);
  const s = size / 28;
  const at = (x: number, y: number) =>
    x < 0 || y < 0 || x >= 28 || y >= 28 ? 0 : digit[y * 28 + x] / 255;
  for (let y = 0; y < size; y++) {
    const sy = (y + 0.5) / s - 0.5;
    const y0 = Math.floor(sy), fy = sy - y0;
    for (let x = 0; x < size; x++) {
      const sx = (x + 0.5) / s - 0.5;
      const x0 = Math.floor(sx), fx = sx - x0;
      out[y * size + x] =
        (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) +
        fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
    }
  }
  return out;
}

/**
 * Test digit `digit` as a user would send it: enlarged ×4–10, dark ink
 * on light paper with some texture, off-centre on a larger sheet; as
 * JPEG, as PNG with alpha, as grayscale PNG or as blue ink on cream.
 */
async function userPicture(
  digit: Uint8Array,
  kind: number,
  rng: () => number,
): Promise<{ bytes: Uint8Array; ext: string }> {
  const size = Math.round(28 * (4 + 6 * rng()));
  const ink = enlarge(digit, size);
  const width = size + Math.round(size * (0.3 + 0.8 * rng()));
  const height = size + Math.round(size * (0.3 + 0.8 * rng()));
  const ox = Math.round(rng() * (width - size));
  const oy = Math.round(rng() * (height - size));
  const rgba = new Uint8Array(width * height * 4);
  const paperInk = kind === 3
    ? [250, 244, 222, 25, 35, 120]
    : [250, 250, 250, 0, 0, 0];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = x >= ox && y >= oy && x < ox + size && y < oy + size;
      const c = inside ? ink[(y - oy) * size + (x - ox)] : 0;
      const texture = Math.floor(rng() * 10) - 5;
      const p = (y * width + x) * 4;
      if (kind === 1) {
        rgba.set([0, 0, 0, Math.round(255 * c)], p);
        continue;
      }
      for (let k = 0; k < 3; k++) {
        const paper = paperInk[k] + texture;
        rgba[p + k] = Math.round(paper * (1 - c) + paperInk[3 + k] * c);
      }
      rgba[p + 3] = 255;
    }
  }
  if (kind === 0) {
    const { Image } = await import("imagescript");
    const image = new Image(width, height);
    image.bitmap.set(rgba);
    return {
      bytes: await image.encodeJPEG(
        (70 + Math.round(rng() * 20)) as Parameters<typeof image.encodeJPEG>[0],
      ),
      ext: "jpg",
    };
  }
  if (kind === 2) {
    const gray = new Uint8Array(width * height).map((_, i) => rgba[i * 4]);
    return {
      bytes: encodePng(gray, width, height, 1),
      ext: "png",
    };
  }
  return {
    bytes: encodePng(rgba, width, height, 4),
    ext: "png",
  };
}

interface JsonLine {
  file: string;
  predictions?: Record<string, { class: number; probability: number }[]>;
  error?: string;
}

function parseLines(stdout: string): JsonLine[] {
  return stdout.trim().split("\n").map((line) => JSON.parse(line));
}

function accuracy(lines: JsonLine[], labels: Map<string, number>): number {
  const answered = lines.filter((l) => labels.has(l.file));
  const correct = answered.filter((l) =>
    l.predictions?.dense[0].class === labels.get(l.file)
  );
  return correct.length / labels.size;
}

Deno.test({
  name:
    "predict: 200 test digits sent as a user would (enlarged, inverted, off-centre, JPEG or alpha) are read about as well as the digits themselves",
  ignore: MNIST_DIR === undefined,
  async fn() {
    await withTempDir(async (dir) => {
      const dataDir = join(dir, "data");
      await trainQuickModels(dataDir, MNIST_DIR!);
      const test = await loadMnist(MNIST_DIR!, "test");
      const rng = generator(20_240);
      const picked = new Set<number>();
      while (picked.size < 200) picked.add(Math.floor(rng() * test.count));
      const pictures = join(dir, "pictures");
      const direct = join(dir, "direct");
      await Deno.mkdir(pictures);
      await Deno.mkdir(direct);
      const userLabels = new Map<string, number>();
      const directLabels = new Map<string, number>();
      let n = 0;
      for (const index of picked) {
        const digit = test.images.subarray(index * 784, (index + 1) * 784);
        const { bytes, ext } = await userPicture(digit, n % 4, rng);
        const user = join(pictures, `${index}.${ext}`);
        await Deno.writeFile(user, bytes);
        userLabels.set(user, test.labels[index]);
        const plain = join(direct, `${index}.png`);
        await Deno.writeFile(
          plain,
          encodePng(digit, 28, 28, 1),
        );
        directLabels.set(plain, test.labels[index]);
        n++;
      }
      // Files that cannot be answered, among the others.
      const empty = join(dir, "empty.png");
      const blank = join(dir, "blank.png");
      const text = join(dir, "notes.jpg");
      await Deno.writeFile(empty, new Uint8Array(0));
      await Deno.writeFile(
        blank,
        encodePng(new Uint8Array(900).fill(255), 30, 30, 1),
      );
      await Deno.writeTextFile(text, "not a picture");
      const users = [...userLabels.keys()];
      const predict = (...args: string[]) =>
        runScript("predict", ["--data-dir", dataDir, "--json", ...args]);

      const withPre = await predict(
        ...users.slice(0, 100),
        empty,
        pictures,
        blank,
        text,
        ...users.slice(100),
      );
      assert.equal(withPre.code, 1, withPre.stderr);
      const lines = parseLines(withPre.stdout);
      assert.equal(lines.length, 204);
      const errors = lines.filter((l) => l.error);
      assert.deepEqual(errors.map((l) => l.file), [
        empty,
        pictures,
        blank,
        text,
      ]);
      assert.deepEqual(errors.map((l) => l.error), [
        "empty file",
        "is a directory",
        "no ink found: the image is uniform (contrast 0 %)",
        "not a PNG or JPEG file",
      ]);
      for (const line of lines.filter((l) => !l.error)) {
        const top = line.predictions!.dense;
        assert.equal(top.length, 3);
        assert.ok(
          top[0].probability >= top[1].probability &&
            top[1].probability >= top[2].probability,
        );
      }

      const withoutPre = await predict("--no-preprocess", ...users);
      const fed = await predict("--no-preprocess", ...directLabels.keys());
      assert.equal(withoutPre.code, 0, withoutPre.stderr);
      assert.equal(fed.code, 0, fed.stderr);
      const accPre = accuracy(lines, userLabels);
      const accRaw = accuracy(parseLines(withoutPre.stdout), userLabels);
      const accDirect = accuracy(parseLines(fed.stdout), directLabels);
      console.log(
        `rendered digits: ${(accPre * 100).toFixed(1)} % with preprocessing, ${
          (accRaw * 100).toFixed(1)
        } % without; the digits fed directly: ${
          (accDirect * 100).toFixed(1)
        } %`,
      );
      assert.ok(accDirect > 0.8, `direct accuracy ${accDirect}`);
      assert.ok(accPre >= accDirect - 0.05, `${accPre} vs ${accDirect} direct`);
      assert.ok(accRaw < accPre - 0.2, `${accRaw} without preprocessing`);

      // --show writes what the model saw; a table without --json.
      const shown = await runScript("predict", [
        "--data-dir",
        dataDir,
        "--show",
        users[0],
      ]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /^file +model +1st +2nd +3rd\n/);
      const seen = await decodeImage(
        await Deno.readFile(`${users[0]}.28x28.png`),
      );
      assert.equal(seen.width, 28);

      // A model file changed after training is refused, naming it.
      const weights = join(dataDir, "models", "dense", "weights.bin");
      const bytes = await Deno.readFile(weights);
      bytes[100] ^= 1;
      await Deno.writeFile(weights, bytes);
      const refused = await predict(users[0]);
      assert.equal(refused.code, 1);
      assert.match(
        refused.stderr.trim(),
        /^error: .*weights\.bin does not match .*manifest\.json.*`deno task train:dense --force`$/,
      );
    });
  },
});
