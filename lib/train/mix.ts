/**
 * Where fresh augmentation meets the corruption mixes of
 * `lib/augment/mix/`: a recipe names its mix by string (names, not
 * functions, cross into the fresh-augmentation Worker), and this one
 * function turns the name into the corruptor.
 *
 * @module
 */

import { UsageError } from "../core/mod.ts";
import {
  MIX_NAMES,
  type MixConfig,
  MixCorruptor,
  MIXES,
  type MixName,
} from "../augment/mod.ts";

/**
 * The corruptor of the mix `name` for `rows × cols` images, or undefined
 * for `none` (no corruption). An unknown mix throws a one-line
 * {@link UsageError}.
 *
 * ```ts
 * resolveMix("none", 28, 28); // undefined: images stay as transformed
 * resolveMix("robust", 28, 28)?.opsFor(42, 0, 7); // the ops image 7 draws
 * ```
 */
export function resolveMix(
  name: string,
  rows: number,
  cols: number,
): MixCorruptor | undefined {
  if (!isMixName(name)) {
    throw new UsageError(
      `unknown mix "${name}"; use one of: ${MIX_NAMES.join(", ")}`,
    );
  }
  return name === "none"
    ? undefined
    : new MixCorruptor(MIXES[name], rows, cols);
}

/**
 * The settings of the mix `name`, or undefined for `none` and for a name
 * that is not a mix. A training run records them with its recipe: the
 * recipe names its mix, and a retuned mix under the same name must not
 * pass for the one an old model was trained with.
 *
 * ```ts
 * mixSettings("robust")?.identity; // the share of images left clean
 * mixSettings("none"); // undefined
 * ```
 */
export function mixSettings(name: string): MixConfig | undefined {
  return isMixName(name) && name !== "none" ? MIXES[name] : undefined;
}

function isMixName(name: string): name is MixName {
  return (MIX_NAMES as readonly string[]).includes(name);
}
