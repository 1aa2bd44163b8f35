/**
 * Every {@link MixOpName} mapped to its implementation. The `Record` type
 * makes a name without an implementation a compile error.
 *
 * @module
 */

import { BACKDROP_BAR_OP } from "./backdrop_bar.ts";
import { BAR_ERASING_OP } from "./bar_erasing.ts";
import { CONTRAST_OP } from "./contrast.ts";
import { ELASTIC_OP } from "./elastic.ts";
import { ERASING_OP } from "./erasing.ts";
import { GAMMA_OP } from "./gamma.ts";
import { GAUSSIAN_BLUR_OP } from "./gaussian_blur.ts";
import { GAUSSIAN_NOISE_OP } from "./gaussian_noise.ts";
import { ILLUMINATION_OP } from "./illumination.ts";
import { INVERSION_OP } from "./inversion.ts";
import type { MixOp, MixOpName } from "./op.ts";
import { SOLARIZE_OP } from "./solarize.ts";
import { SPECKLE_OP } from "./speckle.ts";
import { STROKE_WIDTH_OP } from "./stroke_width.ts";

/** The implementation of each mix operation, by name. */
export const MIX_OPS: Readonly<Record<MixOpName, MixOp>> = Object.freeze({
  gaussian_noise: GAUSSIAN_NOISE_OP,
  speckle: SPECKLE_OP,
  gaussian_blur: GAUSSIAN_BLUR_OP,
  contrast: CONTRAST_OP,
  elastic: ELASTIC_OP,
  erasing: ERASING_OP,
  inversion: INVERSION_OP,
  gamma: GAMMA_OP,
  illumination: ILLUMINATION_OP,
  stroke_width: STROKE_WIDTH_OP,
  bar_erasing: BAR_ERASING_OP,
  backdrop_bar: BACKDROP_BAR_OP,
  solarize: SOLARIZE_OP,
});
