/**
 * Section 4, the noisy dataset described: the augment stage's parameters
 * and results as recorded in its manifest, and counts measured here on
 * the noisy test split.
 *
 * @module
 */

import type { Json } from "../core/mod.ts";
import type { DataSection, KeyValue } from "./content_types.ts";
import { formatInt, formatJsonValue } from "./format.ts";
import type { ReportInputs } from "./load.ts";

/**
 * Key/value rows of a manifest's `params` or `results`, nested objects
 * flattened to dotted keys (`pixels.noisy.test.mean`), so any stage's
 * record reads as a flat table whatever its shape.
 *
 * @example
 * ```ts
 * keyValues({ seed: 7, pixels: { mean: 0.25 } });
 * // [{ key: "seed", value: "7" }, { key: "pixels.mean", value: "0.25" }]
 * ```
 */
export function keyValues(
  record: { [key: string]: Json } | undefined,
  prefix = "",
): KeyValue[] {
  return Object.entries(record ?? {}).flatMap(([key, value]) => {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      return keyValues(value, name);
    }
    return [{ key: name, value: formatJsonValue(value) }];
  });
}

/**
 * The data section of the report. Counts are measured on the loaded test
 * split rather than read from the manifest, so they describe the images
 * the models were actually scored on.
 *
 * @example
 * ```ts
 * import { loadReportInputs } from "./mod.ts";
 *
 * const inputs = await loadReportInputs("data");
 * const { params, counts } = dataSection(inputs);
 * ```
 */
export function dataSection(inputs: ReportInputs): DataSection {
  const test = inputs.noisy.test;
  const perDigit = new Array<number>(10).fill(0);
  for (const label of test.labels) perDigit[label]++;
  return {
    params: keyValues(inputs.noisy.manifest.params),
    results: keyValues(inputs.noisy.manifest.results),
    counts: [
      { key: "noisy test images", value: formatInt(test.count) },
      { key: "image size", value: `${test.rows} × ${test.cols}` },
      {
        key: "test images per digit (0–9)",
        value: perDigit.map(formatInt).join(", "),
      },
    ],
    samplesPng: inputs.noisy.samplesPng,
  };
}
