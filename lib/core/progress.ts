/**
 * Progress reporting on stderr: a redrawn bar with rate and ETA when stderr
 * is a terminal, silence otherwise (logs and CI stay readable; callers
 * print one summary line per stage or epoch with {@link logLine}).
 *
 * @module
 */

const encoder = new TextEncoder();

/** Write one line to stderr (always, terminal or not). */
export function logLine(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}

/** Human-readable byte count: `9.9 MB`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/**
 * A duration for people: as a clock for progress bars (`0:07`, `12:03`,
 * `1:02:03`; `--:--` when unknown) or in words for reports (`42.0 s`,
 * `4 min 07 s`, `1 h 02 min`; `–` when unknown).
 *
 * @example
 * ```ts
 * import { formatDuration } from "./progress.ts";
 *
 * console.log(formatDuration(247)); // "4:07"
 * console.log(formatDuration(247, "words")); // "4 min 07 s"
 * ```
 */
export function formatDuration(
  seconds: number,
  style: "clock" | "words" = "clock",
): string {
  if (!Number.isFinite(seconds) || seconds < 0) {
    return style === "clock" ? "--:--" : "–";
  }
  if (style === "words" && seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  if (style === "clock") {
    return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
  }
  if (h === 0) return `${m} min ${sec} s`;
  // Hours: whole minutes, rounded from the exact total.
  const minutes = Math.round(s / 60);
  return `${Math.floor(minutes / 60)} h ${
    String(minutes % 60).padStart(2, "0")
  } min`;
}

/** Options of a {@link ProgressBar}. */
export interface ProgressOptions {
  /** Text before the bar, e.g. a file or stage name. */
  label: string;
  /** Units of work in total (bytes, images, batches). */
  total: number;
  /** How to print amounts and rates. */
  unit?: "bytes" | "items";
  /** Name of an item for rates, e.g. `img` gives `1,234 img/s`. */
  itemName?: string;
  /** Force drawing on or off; default: only when stderr is a terminal. */
  enabled?: boolean;
}

/** A single-line progress bar with rate and ETA, redrawn at most 10×/s. */
export class ProgressBar {
  readonly #options: Required<ProgressOptions>;
  readonly #start = performance.now();
  #done = 0;
  #lastDraw = 0;
  #extra = "";

  constructor(options: ProgressOptions) {
    this.#options = {
      unit: "items",
      itemName: "it",
      enabled: Deno.stderr.isTerminal(),
      ...options,
    };
  }

  /** Seconds since the bar was created. */
  get elapsed(): number {
    return (performance.now() - this.#start) / 1000;
  }

  /** Work units per second so far. */
  get rate(): number {
    return this.#done / Math.max(this.elapsed, 1e-9);
  }

  /** Set the amount done (and optional trailing text, e.g. a loss). */
  update(done: number, extra?: string): void {
    this.#done = done;
    if (extra !== undefined) this.#extra = extra;
    const now = performance.now();
    if (now - this.#lastDraw >= 100 || done >= this.#options.total) {
      this.#lastDraw = now;
      this.#draw();
    }
  }

  /** Add `amount` to the amount done. */
  tick(amount = 1, extra?: string): void {
    this.update(this.#done + amount, extra);
  }

  /** Erase the bar (the caller then prints its own summary line). */
  finish(): void {
    if (this.#options.enabled) {
      Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
    }
  }

  #draw(): void {
    if (!this.#options.enabled) return;
    const { label, total, unit, itemName } = this.#options;
    const fraction = total > 0 ? Math.min(this.#done / total, 1) : 0;
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    const rate = this.rate;
    const eta = rate > 0 ? (total - this.#done) / rate : Infinity;
    const amount = unit === "bytes"
      ? `${formatBytes(this.#done)}/${formatBytes(total)} ${
        formatBytes(rate)
      }/s`
      : `${this.#done}/${total} ${
        Math.round(rate).toLocaleString("en-US")
      } ${itemName}/s`;
    const pct = `${(fraction * 100).toFixed(0).padStart(3)}%`;
    const line = `${label} ${bar} ${pct} ${amount} ETA ${formatDuration(eta)}` +
      (this.#extra ? ` ${this.#extra}` : "");
    const columns = terminalColumns();
    Deno.stderr.writeSync(
      encoder.encode(`\r\x1b[2K${line.slice(0, columns - 1)}`),
    );
  }
}

function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 120;
  }
}

/**
 * One progress bar per key — a file, a split, an epoch — created on the
 * first report for that key; a report for another key erases the current
 * bar and starts the next.
 *
 * ```ts
 * const bars = new KeyedProgress((split: string, total) => ({
 *   label: `augment ${split}`,
 *   total,
 *   itemName: "img",
 * }));
 * bars.update("train", 500, 60000);
 * bars.update("test", 100, 10000); // erases train's bar, starts test's
 * bars.finish();
 * ```
 */
export class KeyedProgress<K> {
  readonly #options: (key: K, total: number) => ProgressOptions;
  #bar: ProgressBar | undefined;
  #key: K | undefined;

  /** `options` gives the bar of `key` (label, unit) with `total` work. */
  constructor(options: (key: K, total: number) => ProgressOptions) {
    this.#options = options;
  }

  /** The current bar, if any (for tests). */
  get current(): ProgressBar | undefined {
    return this.#bar;
  }

  /** Report `done` of `total` for `key` (and optional trailing text). */
  update(key: K, done: number, total: number, extra?: string): void {
    if (this.#bar === undefined || key !== this.#key) {
      this.#bar?.finish();
      this.#key = key;
      this.#bar = new ProgressBar(this.#options(key, total));
    }
    this.#bar.update(done, extra);
  }

  /** Erase the current bar; the next report starts a new one. */
  finish(): void {
    this.#bar?.finish();
    this.#bar = undefined;
    this.#key = undefined;
  }
}
