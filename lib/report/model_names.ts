/**
 * How the report names and colours a trained model folder, for any
 * `models/<name>/`: the study's two keep their fixed label and colour,
 * and a recipe variant such as `cnn-robust` is labelled after its
 * architecture (`CNN robust`) with a colour of its own, so tables and
 * charts can list any set of trained models.
 *
 * @example
 * ```ts
 * import { modelColor, modelLabel } from "./model_names.ts";
 *
 * console.log(modelLabel("cnn"), modelLabel("cnn-robust")); // CNN CNN robust
 * console.log(modelColor("dense")); // #d95f02
 * ```
 *
 * @module
 */

const STUDY_LABELS: Readonly<Record<string, string>> = {
  dense: "Dense",
  cnn: "CNN",
};

const STUDY_COLORS: Readonly<Record<string, string>> = {
  dense: "#d95f02",
  cnn: "#1b6ca8",
};

// Lighter or darker kin of the study's colours first (a robust CNN reads
// as a CNN), then distinct hues for anything else.
const VARIANT_COLORS: Readonly<Record<string, string>> = {
  "cnn-robust": "#1b9e77",
  "dense-robust": "#7570b3",
};
const OTHER_COLORS = ["#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"];

/**
 * The label of model folder `name`: the study's own labels, else the
 * architecture's label followed by the rest of the name
 * (`cnn-robust` → `CNN robust`), else the name itself.
 */
export function modelLabel(name: string): string {
  const study = STUDY_LABELS[name];
  if (study) return study;
  const dash = name.indexOf("-");
  const base = dash > 0 ? STUDY_LABELS[name.slice(0, dash)] : undefined;
  return base ? `${base} ${name.slice(dash + 1).replaceAll("-", " ")}` : name;
}

/**
 * The colour of model folder `name` in every chart: fixed for the study's
 * models and the robust recipes, else picked from a palette by a hash of
 * the name (so it does not depend on which other models exist).
 */
export function modelColor(name: string): string {
  const fixed = STUDY_COLORS[name] ?? VARIANT_COLORS[name];
  if (fixed) return fixed;
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return OTHER_COLORS[hash % OTHER_COLORS.length];
}
