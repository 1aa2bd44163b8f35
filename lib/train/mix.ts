/**
 * THE SEAM between fresh augmentation and the corruption mixes of
 * `lib/augment/mix/` (written on another branch): a recipe names its mix
 * by string, and this one function turns the name into something that
 * corrupts pixels. Until the mixes are merged it knows only `none`; the
 * merge replaces the body of {@link resolveMix} (and {@link MIX_NAMES})
 * with `new MixCorruptor(MIXES[name], rows, cols)` and `Object.keys(MIXES)`.
 *
 * Names, not functions, cross into the fresh-augmentation Worker, which
 * calls {@link resolveMix} itself.
 *
 * @module
 */

import { UsageError } from "../core/mod.ts";

/** Corrupts one image in place: float pixels on [0, 255]. */
export interface PixelCorruptor {
  /**
   * Corrupt `pixels` (image `index` of `epoch` under `seed`) in place;
   * every random draw is keyed by (seed, epoch, index).
   */
  apply(
    pixels: Float32Array,
    seed: number,
    epoch: number,
    index: number,
  ): void;
}

/** The mix names the recipes and `--mix` accept. */
export const MIX_NAMES: readonly string[] = ["none", "robust"];

/**
 * The corruptor of the mix `name` for `rows × cols` images, or undefined
 * for `none` (no corruption). An unknown or not yet available mix throws
 * a one-line {@link UsageError}.
 *
 * ```ts
 * resolveMix("none", 28, 28); // undefined: images stay as transformed
 * ```
 */
export function resolveMix(
  name: string,
  _rows: number,
  _cols: number,
): PixelCorruptor | undefined {
  if (name === "none") return undefined;
  if (MIX_NAMES.includes(name)) {
    throw new UsageError(
      `mix "${name}" is not available on this build yet (lib/augment/mix is not merged); use --mix none`,
    );
  }
  throw new UsageError(
    `unknown mix "${name}"; use one of: ${MIX_NAMES.join(", ")}`,
  );
}
