/**
 * The web app, `deno task serve`: a page to draw a digit on, with both
 * models' live predictions computed in the browser by TensorFlow.js from
 * the pinned npm package (no CDN), the same preprocessing module as
 * `deno task predict`, a read-only server, a static export, and a check
 * of it all in headless Chromium. `client.ts` is the page's script: it
 * is bundled for the browser, never imported here.
 *
 * @module
 */

export * from "./export.ts";
export * from "./page.ts";
export * from "./server.ts";
export * from "./site.ts";
export * from "./browser_check.ts";
