/**
 * The web app as static files, for any static web server (or a laptop
 * with no Deno): the page, its script and style, `preprocess.js`,
 * `tf.min.js`, the models and the noisy test split, laid out as the
 * server serves them.
 *
 * @module
 */

import { join } from "node:path";
import { writeFileAtomic } from "../core/mod.ts";
import type { Site } from "./site.ts";

/**
 * Write every asset of `site` under `dir` (created if needed; files of
 * the same names are replaced, each atomically). Returns the paths
 * written, relative to `dir`.
 */
export async function exportSite(site: Site, dir: string): Promise<string[]> {
  const written: string[] = [];
  // The page last: it never points at a file not yet written.
  const paths = [...site.assets.keys()].sort((a, b) =>
    Number(a.endsWith(".html")) - Number(b.endsWith(".html"))
  );
  for (const path of paths) {
    const asset = site.assets.get(path)!;
    const relative = path.slice(1);
    await writeFileAtomic(join(dir, ...relative.split("/")), asset.body);
    written.push(relative);
  }
  return written;
}
