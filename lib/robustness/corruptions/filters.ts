/**
 * The filter half of the MNIST-C catalogue: glass blur, motion blur, fog,
 * spatter and Canny edges, in MNIST-C's order.
 *
 * @module
 */

import type { Corruption } from "../corruption.ts";
import { cannyEdgesCorruption } from "./canny.ts";
import { fogCorruption } from "./fog.ts";
import { glassBlurCorruption } from "./glass_blur.ts";
import { motionBlurCorruption } from "./motion_blur.ts";
import { spatterCorruption } from "./spatter.ts";

/** `glass_blur`, `motion_blur`, `fog`, `spatter`, `canny_edges`. */
export const FILTER_CORRUPTIONS: readonly Corruption[] = [
  glassBlurCorruption,
  motionBlurCorruption,
  fogCorruption,
  spatterCorruption,
  cannyEdgesCorruption,
];
