/**
 * The web app's page and style sheet: a drawing pad, the 28×28 input the
 * models see, and one bar chart of the ten class probabilities per model.
 * The page's script (`client.ts`, bundled as `app.js`) fills them in; what
 * it needs to know about the models comes in a JSON block, so the page
 * runs no inline script and works under a strict Content-Security-Policy.
 *
 * @module
 */

/** One model as the page presents it. */
export interface PageModel {
  /** `dense` or `cnn`. */
  name: string;
  /** Its heading, e.g. `CNN`. */
  title: string;
  /** Noisy test accuracy from `metrics.json`, when known. */
  accuracy?: number;
}

/** What the page's script is told (the `#config` JSON block). */
export interface PageConfig {
  /** The models, in display order; served under `models/<name>/`. */
  models: PageModel[];
  /** TensorFlow.js version of `tf.min.js`. */
  tfjs: string;
  /** Serve the wasm backend's files (else the page runs on `cpu`). */
  wasm: boolean;
  /** The noisy test split's files, relative to the page; null if none. */
  testDigits: { images: string; labels: string; count: number } | null;
}

/** What the page shows and how to drive it: `window.noisyMnist`. */
export interface PageApi {
  /** True once the models are loaded. */
  ready: boolean;
  /** Times the predictions were redrawn (grows while drawing). */
  updates: number;
  /** Set when loading failed. */
  error?: string;
  /** The tfjs backend the models run on (`wasm`, else `cpu`). */
  backend?: string;
  /** The current 28×28 input on [0, 1] (all zeros when none). */
  input(): number[];
  /** Each model's ten probabilities as shown, or null when none are. */
  predictions(): Record<string, number[]> | null;
  /** The drawing pad's pixels (RGBA). */
  padImage(): { width: number; height: number; data: number[] };
  /** Show test digit `index` and what each model says; its label. */
  showTestDigit(index: number): Promise<number>;
  /** The number of test digits (loads them). */
  testDigitCount(): Promise<number>;
}

/** File names of the page's own assets. */
export const PAGE_FILES = {
  html: "index.html",
  css: "style.css",
  app: "app.js",
  preprocess: "preprocess.js",
  tfjs: "tf.min.js",
  tfjsGlobals: "tf-globals.js",
  tfjsWasm: "tf-backend-wasm.min.js",
} as const;

/**
 * The WebAssembly binaries of tfjs' wasm backend the page may load
 * (plain and SIMD; the threaded build needs cross-origin isolation).
 */
export const WASM_FILES = [
  "tfjs-backend-wasm.wasm",
  "tfjs-backend-wasm-simd.wasm",
] as const;

/**
 * `tf-globals.js`, loaded before `tf.min.js`. The regenerator runtime
 * inside tf.min.js assigns the global `regeneratorRuntime` in strict mode
 * and, when that throws because it is undeclared, retries through
 * `Function(…)`, which the page's Content-Security-Policy (no eval)
 * refuses, breaking all of tfjs. Declaring the global first avoids both.
 */
export const TFJS_GLOBALS_JS = "var regeneratorRuntime;\n";

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON safe inside `<script type="application/json">`. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

function chart(model: PageModel): string {
  const bars = Array.from(
    { length: 10 },
    (_, c) =>
      `<div class="bar" data-class="${c}"><span class="value"></span>` +
      `<span class="fill"></span><span class="digit">${c}</span></div>`,
  ).join(
    "",
  );
  const accuracy = model.accuracy === undefined
    ? ""
    : ` <span class="accuracy">${
      (model.accuracy * 100).toFixed(1)
    } % on the noisy test set</span>`;
  return `<figure class="chart" data-model="${escapeHtml(model.name)}">
<figcaption><b>${escapeHtml(model.title)}</b>${accuracy}
<span class="answer" aria-live="polite"></span></figcaption>
<div class="bars">${bars}</div>
</figure>`;
}

/** The page, `index.html`. */
export function renderPage(config: PageConfig): string {
  const random = config.testDigits
    ? `<button id="random" type="button">random test digit</button>`
    : `<button id="random" type="button" disabled title="no noisy test set: run deno task augment">random test digit</button>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>noisy-mnist: draw a digit</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${PAGE_FILES.css}">
<script src="${PAGE_FILES.tfjsGlobals}"></script>
<script src="${PAGE_FILES.tfjs}"></script>
<script src="${PAGE_FILES.tfjsWasm}"></script>
<script type="module" src="${PAGE_FILES.app}"></script>
</head>
<body>
<header>
<h1>Draw a digit</h1>
<p>Every trained model reads it as you draw, here in your browser
(TensorFlow.js ${
    escapeHtml(config.tfjs)
  }<span id="backend"></span>; nothing leaves this page).</p>
</header>
<main>
<section class="pad">
<canvas id="pad" width="280" height="280" aria-label="drawing pad: draw a digit with mouse, finger or pen"></canvas>
<div class="buttons">
<button id="clear" type="button">clear</button>
${random}
</div>
<p id="status" role="status">loading the models…</p>
</section>
<section class="seen">
<h2>What the models see</h2>
<canvas id="input" width="28" height="28" aria-label="the 28×28 input"></canvas>
<p id="caption">28×28, preprocessed as MNIST: inverted, cropped to the
ink, fit into 20×20, centred by mass.</p>
</section>
<section class="charts">
${config.models.map(chart).join("\n")}
</section>
</main>
<script type="application/json" id="config">${scriptJson(config)}</script>
</body>
</html>
`;
}

/** The style sheet, `style.css`. */
export const PAGE_CSS = `
:root { color-scheme: light; --ink: #1d2433; --muted: #5b6478;
  --accent: #2f6fde; --truth: #1a8f4c; --line: #d9dde5; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, sans-serif; color: var(--ink);
  background: #f5f6f9; }
header { padding: 1.2rem 2rem 0.4rem; }
h1 { margin: 0 0 0.2rem; font-size: 1.6rem; }
h2 { margin: 0 0 0.6rem; font-size: 1rem; }
header p { margin: 0; color: var(--muted); }
main { display: flex; flex-wrap: wrap; gap: 1.6rem; padding: 1rem 2rem 2rem;
  align-items: flex-start; }
section { background: #fff; border: 1px solid var(--line);
  border-radius: 10px; padding: 1rem; }
#pad { width: 280px; height: 280px; border: 1px solid var(--line);
  border-radius: 6px; background: #fff; touch-action: none;
  cursor: crosshair; display: block; }
.buttons { display: flex; gap: 0.6rem; margin-top: 0.7rem; }
button { font: inherit; padding: 0.35rem 0.9rem; border-radius: 6px;
  border: 1px solid var(--accent); background: #fff; color: var(--accent);
  cursor: pointer; }
button:disabled { border-color: var(--line); color: var(--muted);
  cursor: not-allowed; }
#status { margin: 0.6rem 0 0; color: var(--muted); max-width: 280px;
  min-height: 3em; }
.seen { width: 216px; }
#input { width: 168px; height: 168px; image-rendering: pixelated;
  background: #000; display: block; margin: 0 auto; }
#caption { font-size: 0.85rem; color: var(--muted); margin: 0.6rem 0 0; }
.charts { display: flex; flex-direction: column; gap: 1rem;
  min-width: 380px; }
figure { margin: 0; }
figcaption { margin-bottom: 0.4rem; }
.accuracy { color: var(--muted); font-size: 0.85rem; }
.answer { float: right; margin-left: 1rem; font-weight: 600; }
.bars { display: grid; grid-template-columns: repeat(10, 1fr); gap: 6px;
  height: 150px; align-items: end; }
.bar { display: flex; flex-direction: column; justify-content: flex-end;
  align-items: center; height: 100%; }
.fill { width: 100%; background: #b9c6de; border-radius: 3px 3px 0 0;
  height: 0; min-height: 1px; }
.bar.best .fill { background: var(--accent); }
.bar.truth .digit { color: #fff; background: var(--truth);
  border-radius: 4px; }
.value { font-size: 0.7rem; color: var(--muted); height: 1.1em; }
.digit { margin-top: 2px; padding: 0 5px; font-weight: 600; }
`;
