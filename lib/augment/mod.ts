/**
 * Stage 2, `augment`: the study's transform of clean MNIST into the noisy
 * dataset (rotation, translation, zoom, brightness composed into one affine
 * map, resampled once, plus optional pixel corruptions), driven by keyed
 * random streams so each image's parameters depend only on (seed, split,
 * index); a Worker pool to use both cores; the `samples.png` contact sheet.
 *
 * @module
 */

export * from "./augment.ts";
export * from "./config.ts";
export * from "./corruptions.ts";
export * from "./pool.ts";
export * from "./samples.ts";
export * from "./stage.ts";
export * from "./warp.ts";
