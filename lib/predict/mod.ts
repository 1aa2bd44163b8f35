/**
 * Using the trained models: pictures of digits (PNG, JPEG) decoded,
 * preprocessed as MNIST was, and classified by every trained model after
 * its files are checked against its training manifest. `preprocess.ts`
 * is pure and dependency-free, so the `serve` page runs the same module
 * in the browser.
 *
 * @module
 */

export * from "./decode.ts";
export * from "./predict.ts";
export * from "./preprocess.ts";
