/**
 * MNIST on disk and in memory: the IDX file format (gzip'd or not),
 * NumPy's `.npy` format, splits of uint8 images and labels, test-set
 * folders (IDX or MNIST-C's `.npy`, and roots of such folders), and stage
 * 1, `fetch`, which downloads or copies the four original files and checks
 * each against its pinned SHA-256.
 *
 * @module
 */

export * from "./fetch.ts";
export * from "./idx.ts";
export * from "./mnist.ts";
export * from "./npy.ts";
export * from "./testset.ts";
