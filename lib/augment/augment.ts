/**
 * The augment transform: clean MNIST in, the study's transformed
 * ("noisy") images out, as pure functions over typed arrays.
 *
 * Per image: draw the parameters from a generator keyed by
 * `(seed, split, index)`, build one affine map (rotation → shear →
 * translation → zoom, about the centre), resample once bilinearly with the
 * fill mode, apply brightness and clip to [0, 1], apply the pixel
 * corruptions, clip, and round to uint8. Inputs are never modified.
 *
 * ```ts
 * import { augmentSplit, loadMnist, PRESETS } from "../../mod.ts";
 *
 * const clean = await loadMnist("data/mnist", "test");
 * const noisy = augmentSplit(clean, "test", PRESETS.seed, 42);
 * ```
 *
 * @module
 */

import { type AugmentConfig, type Param, PRESETS } from "./config.ts";
import {
  addGaussianNoise,
  addSaltAndPepper,
  addSpeckle,
  gaussianBlur,
} from "./corruptions.ts";
import type { MnistSplit, Split } from "../data/mod.ts";
import { KeyedRng } from "../core/mod.ts";
import {
  affineFor,
  type GeometryParams,
  IDENTITY_GEOMETRY,
  layerAffines,
  warpBilinear,
} from "./warp.ts";

/** The split number that keys the generator: train 0, test 1. */
export const SPLIT_IDS: Readonly<Record<Split, number>> = {
  train: 0,
  test: 1,
};

/**
 * Generator streams per image: stream 0 draws the parameters; each noise
 * has its own stream, so switching one corruption on or off never changes
 * another's pixels.
 */
const STREAM = { params: 0, noise: 1, speckle: 2, saltPepper: 3 } as const;

/** The concrete parameters drawn for one image. */
export interface ImageParams extends GeometryParams {
  /** Brightness offset ([0, 1] scale) or factor, per the config's mode. */
  brightness: number;
  /** Gaussian blur σ in pixels. */
  blur: number;
  /** Gaussian noise σ on the [0, 1] scale. */
  noise: number;
  /** Speckle σ. */
  speckle: number;
  /** Salt-and-pepper probability. */
  saltPepper: number;
}

/** A split number: a {@link Split} name or its {@link SPLIT_IDS} value. */
export type SplitKey = Split | number;

function splitId(split: SplitKey): number {
  return typeof split === "number" ? split : SPLIT_IDS[split];
}

// Every parameter consumes exactly one draw, fixed or not, so its slot in
// the stream never moves when another parameter changes.
function draw(param: Param, rng: KeyedRng): number {
  const u = rng.nextDouble();
  return typeof param === "number"
    ? param
    : param[0] + (param[1] - param[0]) * u;
}

/**
 * Draw image `index`'s parameters (shifts in pixels). `rng` is reseeded;
 * pass one to avoid an allocation per image.
 *
 * ```ts
 * import { PRESETS } from "./mod.ts";
 *
 * const p = sampleImageParams(PRESETS.seed, 42, "train", 0, 28, 28);
 * p.rotation; // a fixed angle in [-72, 72)
 * ```
 */
export function sampleImageParams(
  config: AugmentConfig,
  seed: number,
  split: SplitKey,
  index: number,
  rows: number,
  cols: number,
  rng: KeyedRng = new KeyedRng(),
  out: ImageParams = emptyParams(),
): ImageParams {
  rng.reseed(seed, splitId(split), index, STREAM.params);
  out.rotation = draw(config.rotation, rng);
  out.shear = draw(config.shear, rng);
  out.shiftX = draw(config.translateX, rng) * cols;
  out.shiftY = draw(config.translateY, rng) * rows;
  out.zoomY = draw(config.zoomY, rng);
  const zoomX = draw(config.zoomX === "same" ? 0 : config.zoomX, rng);
  out.zoomX = config.zoomX === "same" ? out.zoomY : zoomX;
  out.brightness = draw(config.brightness, rng);
  out.blur = draw(config.blur, rng);
  out.noise = draw(config.noise, rng);
  out.speckle = draw(config.speckle, rng);
  out.saltPepper = draw(config.saltPepper, rng);
  return out;
}

function emptyParams(): ImageParams {
  return {
    ...IDENTITY_GEOMETRY,
    brightness: 0,
    blur: 0,
    noise: 0,
    speckle: 0,
    saltPepper: 0,
  };
}

/**
 * Transforms images one at a time with reusable scratch buffers: build it
 * once per config and image size, then call {@link augmentInto} per image.
 * Not shared between threads (each worker builds its own).
 */
export class ImageAugmenter {
  readonly #config: AugmentConfig;
  readonly #rows: number;
  readonly #cols: number;
  readonly #pixels: Float32Array;
  readonly #scratch: Float32Array;
  readonly #layerBuffer: Float32Array;
  readonly #matrix = new Float64Array(6);
  readonly #rng = new KeyedRng();
  readonly #params = emptyParams();
  readonly #fillValue: number;

  /** An augmenter for `rows × cols` images under `config`. */
  constructor(config: AugmentConfig, rows: number, cols: number) {
    this.#config = { ...config };
    this.#rows = rows;
    this.#cols = cols;
    this.#pixels = new Float32Array(rows * cols);
    this.#scratch = new Float32Array(rows * cols);
    this.#layerBuffer = new Float32Array(rows * cols);
    this.#fillValue = 255 * config.fillValue;
  }

  /**
   * Resample through each geometric step in turn (Keras' sequential
   * layers), ping-ponging between two float buffers so that the last step
   * writes into the pixel buffer.
   */
  #warpPerLayer(
    src: Uint8Array,
    srcOffset: number,
    params: GeometryParams,
  ): void {
    const maps = layerAffines(params, this.#rows, this.#cols);
    const pixels = this.#pixels;
    if (maps.length === 0) {
      for (let p = 0; p < pixels.length; p++) pixels[p] = src[srcOffset + p];
      return;
    }
    let from: Uint8Array | Float32Array = src;
    let offset = srcOffset;
    maps.forEach((m, k) => {
      const target = (maps.length - 1 - k) % 2 === 0
        ? pixels
        : this.#layerBuffer;
      warpBilinear(
        from,
        offset,
        this.#rows,
        this.#cols,
        m,
        this.#config.fill,
        this.#fillValue,
        target,
      );
      from = target;
      offset = 0;
    });
  }

  /**
   * Transform the image at `src[srcOffset…]`, which is image `index` of
   * `split`, into `dst[dstOffset…]`. `src` is only read. `corrupt`, when
   * given, changes the transformed image in place (float pixels on
   * [0, 255]) before it is rounded to bytes: the seam where fresh
   * augmentation applies its corruption mix.
   */
  augmentInto(
    src: Uint8Array,
    srcOffset: number,
    dst: Uint8Array,
    dstOffset: number,
    seed: number,
    split: SplitKey,
    index: number,
    corrupt?: (pixels: Float32Array) => void,
  ): void {
    const config = this.#config;
    const rows = this.#rows;
    const cols = this.#cols;
    const pixels = this.#pixels;
    const size = rows * cols;
    const id = splitId(split);
    const params = sampleImageParams(
      config,
      seed,
      id,
      index,
      rows,
      cols,
      this.#rng,
      this.#params,
    );
    if (config.resample === "per-layer") {
      this.#warpPerLayer(src, srcOffset, params);
    } else {
      affineFor(params, rows, cols, this.#matrix);
      warpBilinear(
        src,
        srcOffset,
        rows,
        cols,
        this.#matrix,
        config.fill,
        this.#fillValue,
        pixels,
      );
    }
    applyBrightness(pixels, params.brightness, config.brightnessMode);
    gaussianBlur(pixels, rows, cols, params.blur, this.#scratch);
    if (params.noise > 0) {
      this.#rng.reseed(seed, id, index, STREAM.noise);
      addGaussianNoise(pixels, params.noise, this.#rng);
    }
    if (params.speckle > 0) {
      this.#rng.reseed(seed, id, index, STREAM.speckle);
      addSpeckle(pixels, params.speckle, this.#rng);
    }
    if (params.saltPepper > 0) {
      this.#rng.reseed(seed, id, index, STREAM.saltPepper);
      addSaltAndPepper(pixels, params.saltPepper, this.#rng);
    }
    corrupt?.(pixels);
    for (let p = 0; p < size; p++) {
      const v = pixels[p];
      // Round half up; values are clipped first, so `| 0` truncates a
      // non-negative number (NaN cannot occur: every step is finite).
      dst[dstOffset + p] = v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0;
    }
  }
}

/**
 * Brightness, then a clip to [0, 255] as Keras' `RandomBrightness` clips
 * to its value range; later noise then starts from valid intensities.
 */
function applyBrightness(
  pixels: Float32Array,
  brightness: number,
  mode: AugmentConfig["brightnessMode"],
): void {
  if (mode === "add") {
    const delta = 255 * brightness;
    for (let p = 0; p < pixels.length; p++) {
      const v = pixels[p] + delta;
      pixels[p] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  } else {
    for (let p = 0; p < pixels.length; p++) {
      const v = pixels[p] * brightness;
      pixels[p] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
}

/** What {@link augmentImages} transforms. */
export interface AugmentImagesOptions {
  /** `count · rows · cols` uint8 pixels, image after image (only read). */
  images: Uint8Array;
  /** Images to transform. */
  count: number;
  /** Image height. */
  rows: number;
  /** Image width. */
  cols: number;
  /** The transform. */
  config: AugmentConfig;
  /** The run's seed (a non-negative safe integer). */
  seed: number;
  /** Which split the images belong to (keys the generator). */
  split: SplitKey;
  /**
   * Index within the split of `images`' first image (default 0), so a
   * chunk transforms exactly as it would inside the whole split.
   */
  firstIndex?: number;
  /**
   * Index within the split of each image instead (`indices[j]` keys image
   * `j`): a subset in any order, e.g. one epoch's training images.
   */
  indices?: ArrayLike<number>;
  /**
   * Applied to each image's float pixels after the transform, before
   * rounding (a corruption mix), with the image's index in the split.
   */
  corrupt?: (pixels: Float32Array, index: number) => void;
  /**
   * Images `j` with `untransformed[j]` = 1 skip `config` and go through
   * the identity preset instead (the `corrupt` hook still applies): fresh
   * augmentation's upright share.
   */
  untransformed?: Uint8Array;
}

/**
 * Transform a run of images into a new array; the input is untouched.
 * Image `j` of `images` is keyed as index `firstIndex + j` of the split
 * (or `indices[j]`).
 *
 * ```ts
 * import { PRESETS } from "./mod.ts";
 *
 * const images = new Uint8Array(100 * 28 * 28); // 100 blank 28×28 digits
 * const out = augmentImages({ images, count: 100, rows: 28, cols: 28,
 *   config: PRESETS.seed, seed: 42, split: "train" });
 * ```
 */
export function augmentImages(
  options: AugmentImagesOptions,
): Uint8Array<ArrayBuffer> {
  const { images, count, rows, cols, config, seed, split } = options;
  const first = options.firstIndex ?? 0;
  const { indices, corrupt, untransformed } = options;
  if (indices && indices.length !== count) {
    throw new RangeError(
      `augmentImages: ${indices.length} indices for ${count} images`,
    );
  }
  if (untransformed && untransformed.length !== count) {
    throw new RangeError(
      `augmentImages: ${untransformed.length} untransformed flags for ${count} images`,
    );
  }
  const size = rows * cols;
  if (images.length < count * size) {
    throw new RangeError(
      `augmentImages: ${images.length} pixels cannot hold ${count} images of ${rows}×${cols}`,
    );
  }
  const out = new Uint8Array(count * size);
  const augmenter = new ImageAugmenter(config, rows, cols);
  const identity = untransformed &&
    new ImageAugmenter(PRESETS.none, rows, cols);
  for (let j = 0; j < count; j++) {
    const index = indices ? indices[j] : first + j;
    const chosen = identity && untransformed[j] ? identity : augmenter;
    chosen.augmentInto(
      images,
      j * size,
      out,
      j * size,
      seed,
      split,
      index,
      corrupt && ((pixels) => corrupt(pixels, index)),
    );
  }
  return out;
}

/**
 * Transform a whole split into a new {@link MnistSplit} (labels copied,
 * input untouched), in this thread.
 *
 * ```ts
 * import { loadMnist } from "../data/mod.ts";
 * import { PRESETS } from "./mod.ts";
 *
 * const clean = await loadMnist("data/mnist", "test");
 * const noisy = augmentSplit(clean, "test", PRESETS.seed, 42);
 * ```
 */
export function augmentSplit(
  split: MnistSplit,
  name: SplitKey,
  config: AugmentConfig,
  seed: number,
): MnistSplit {
  const images = augmentImages({
    images: split.images,
    count: split.count,
    rows: split.rows,
    cols: split.cols,
    config,
    seed,
    split: name,
  });
  return { ...split, images, labels: split.labels.slice() };
}
