/**
 * The train-time corruption mix (issue #14's robust recipe): thirteen image
 * operations disjoint from MNIST-C's fifteen corruptions, drawn per image
 * by (seed, epoch, index), alone or AugMix-style. See `mix.ts` for which
 * test corruption each is meant to transfer to, and why.
 *
 * @module
 */

export {
  MAX_MIX_DEPTH,
  MAX_MIX_WIDTH,
  MIX_NAMES,
  MIX_STREAM_BASE,
  type MixConfig,
  MixCorruptor,
  MIXES,
  type MixName,
  type MixOpRange,
  validateMixConfig,
} from "./mix.ts";
export {
  clip255,
  MIX_OP_NAMES,
  type MixOp,
  type MixOpName,
  type MixScratch,
} from "./op.ts";
export { MIX_OPS } from "./registry.ts";
export { sampleBeta, sampleDirichlet, sampleGamma } from "./sampling.ts";
export { raiseRect } from "./backdrop_bar.ts";
export {
  BAR_MIN_ASPECT,
  BAR_MIN_FILL,
  type BarRect,
  barRect,
} from "./bar_erasing.ts";
export { scaleContrast } from "./contrast.ts";
export { ELASTIC_SPACING, elasticGridSide, elasticWarp } from "./elastic.ts";
export { fillRect } from "./erasing.ts";
export { applyGamma } from "./gamma.ts";
export { addIllumination, type IlluminationField } from "./illumination.ts";
export { invert } from "./inversion.ts";
export { solarize } from "./solarize.ts";
export { crossMorphology } from "./stroke_width.ts";
