/**
 * `inversion`: white-on-black becomes black-on-white. MNIST-C's stripe
 * inverts two side bands and its fog/brightness push the background up;
 * seeing some inverted digits teaches the network that polarity is not
 * the class. Kept rare in the recommended mix: it is far from MNIST.
 *
 * @module
 */

import type { MixOp } from "./op.ts";

/**
 * `v ← v + amount·(255 − 2v)`: amount 1 inverts, 0.5 gives flat grey.
 *
 * ```ts
 * import { invert } from "./inversion.ts";
 * const px = new Float32Array([0, 55, 255]);
 * invert(px, 1); // px is [255, 200, 0]
 * ```
 */
export function invert(pixels: Float32Array, amount: number): void {
  for (let p = 0; p < pixels.length; p++) {
    pixels[p] += amount * (255 - 2 * pixels[p]);
  }
}

/** Inversion blended with the image; severity = the blend amount. */
export const INVERSION_OP: MixOp = {
  name: "inversion",
  severity: "blend amount (1 = full inversion)",
  limits: [0, 1],
  apply(pixels, _rows, _cols, severity) {
    invert(pixels, severity);
  },
};
