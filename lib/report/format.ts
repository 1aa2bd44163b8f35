/**
 * Number formatting shared by the HTML page, the Markdown report and the
 * browser check, so a value reads the same everywhere and the check can
 * compare the page's text with `metrics.json` exactly.
 *
 * @module
 */

/**
 * A fraction as a percentage with two decimals, as the original study
 * published its figures.
 *
 * @example
 * ```ts
 * formatPercent(0.9673); // "96.73 %"
 * ```
 */
export function formatPercent(fraction: number, digits = 2): string {
  if (!Number.isFinite(fraction)) return "–";
  return `${(fraction * 100).toFixed(digits)} %`;
}

/** A signed difference of two fractions in percentage points: `+14.64 pp`. */
export function formatPoints(delta: number): string {
  if (!Number.isFinite(delta)) return "–";
  const text = (Math.abs(delta) * 100).toFixed(2);
  return `${delta < 0 ? "−" : "+"}${text} pp`;
}

/** A cross-entropy loss with four decimals. */
export function formatLoss(loss: number): string {
  return Number.isFinite(loss) ? loss.toFixed(4) : "–";
}

/** An integer with thousands separators: `1,234,567`. */
export function formatInt(value: number): string {
  return Number.isFinite(value)
    ? Math.round(value).toLocaleString("en-US")
    : "–";
}

/** A p-value: `0.0312`, or `< 1e-12` when it underflows what matters. */
export function formatPValue(p: number): string {
  if (!Number.isFinite(p)) return "–";
  if (p < 1e-12) return "< 1e-12";
  if (p < 1e-4) return p.toExponential(1);
  return p.toFixed(4);
}

/**
 * A JSON value from a manifest, compact and readable: numbers as they
 * are, `[lo, hi]` ranges as `lo … hi`, objects as `key: value` pairs.
 */
export function formatJsonValue(value: unknown): string {
  if (value === null || value === undefined) return "–";
  if (typeof value === "number") {
    return Number.isInteger(value)
      ? String(value)
      : String(Number(value.toPrecision(6)));
  }
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (Array.isArray(value)) {
    if (value.length === 2 && value.every((v) => typeof v === "number")) {
      return `${formatJsonValue(value[0])} … ${formatJsonValue(value[1])}`;
    }
    return `[${value.map(formatJsonValue).join(", ")}]`;
  }
  if (typeof value === "object") {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${formatJsonValue(v)}`)
      .join(", ");
  }
  return String(value);
}

/**
 * An ISO timestamp to the minute, in UTC: the report shows when a stage
 * ran, and seconds would only add noise. Anything that is not an ISO
 * timestamp is shown as it is, so a hand-edited manifest still reads.
 *
 * @example
 * ```ts
 * formatTimestamp("2025-01-01T01:02:03.456Z"); // "2025-01-01 01:02 UTC"
 * ```
 */
export function formatTimestamp(iso: string | undefined): string {
  const match = iso?.match(/^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/);
  return match ? `${match[1]} ${match[2]} UTC` : (iso ?? "–");
}
