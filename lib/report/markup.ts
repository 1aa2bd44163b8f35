/**
 * The report's tiny inline markup — `` `code` `` and `**bold**` — turned
 * into HTML, plus HTML escaping. Markdown needs no conversion: the markup
 * is Markdown.
 *
 * @module
 */

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/**
 * Inline markup to HTML: the text is escaped, then `` `x` `` becomes
 * `<code>x</code>` and `**x**` becomes `<strong>x</strong>`.
 *
 * @example
 * ```ts
 * inlineHtml("run `deno task train:cnn`"); // "run <code>deno task train:cnn</code>"
 * ```
 */
export function inlineHtml(text: string): string {
  // Split on code spans first, so `**` inside code stays literal.
  return text.split(/(`[^`]*`)/).map((part) => {
    if (part.startsWith("`") && part.endsWith("`") && part.length >= 2) {
      return `<code>${escapeHtml(part.slice(1, -1))}</code>`;
    }
    return escapeHtml(part).replace(
      /\*\*([^*]+)\*\*/g,
      "<strong>$1</strong>",
    );
  }).join("");
}
