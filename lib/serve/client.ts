/// <reference lib="dom" />
/**
 * The web app's script, bundled for the browser as `app.js`: a drawing
 * pad (pointer events: mouse, touch and pen), live predictions of every
 * model as bars while drawing, the 28×28 input beside the pad, "clear",
 * and "random test digit" from the noisy test set.
 *
 * TensorFlow.js comes from `tf.min.js` (the pinned npm package's bundle)
 * as the global `tf`, running on its wasm backend (`tf-backend-wasm.min.js`
 * and its `.wasm` binaries, same package version) or else on `cpu`; the preprocessing is `lib/predict/preprocess.ts`
 * itself, served as the ES module `preprocess.js` and imported at run
 * time, so the browser and `deno task predict` run the same code. The
 * imports below are types only: nothing of Deno's side is bundled.
 *
 * For checks and curious users the page exposes `window.noisyMnist`
 * (`PageApi` in page.ts).
 *
 * @module
 */

import type { tf as Tf } from "../core/mod.ts";
import type * as Predict from "../predict/mod.ts";
import type { PageApi, PageConfig } from "./page.ts";

type Preprocess = Pick<
  typeof Predict,
  "preprocessDetailed" | "NoInkError" | "toGrayBytes" | "MNIST_SIDE"
>;

/** tfjs' wasm backend adds `tf.wasm` (tf-backend-wasm.min.js). */
interface WasmBackend {
  setWasmPaths(prefix: string): void;
}

const tf = (globalThis as unknown as { tf: typeof Tf & { wasm?: WasmBackend } })
  .tf;
const SIDE = 28;
const STROKE = 18;

const $ = <T extends HTMLElement>(id: string) =>
  document.getElementById(id) as T;
const config = JSON.parse($("config").textContent ?? "{}") as PageConfig;
const pad = $<HTMLCanvasElement>("pad");
const padContext = pad.getContext("2d", { willReadFrequently: true })!;
const inputCanvas = $<HTMLCanvasElement>("input");
const inputContext = inputCanvas.getContext("2d")!;
const status = $("status");
const caption = $("caption");
const defaultCaption = caption.textContent ?? "";

let models: Tf.LayersModel[] = [];
let preprocess: Preprocess;
let input: Float32Array = new Float32Array(SIDE * SIDE);
let shown: Record<string, number[]> | null = null;

const api: PageApi = {
  ready: false,
  updates: 0,
  input: () => Array.from(input),
  predictions: () => shown,
  padImage: () => {
    const image = padContext.getImageData(0, 0, pad.width, pad.height);
    return {
      width: image.width,
      height: image.height,
      data: Array.from(image.data),
    };
  },
  showTestDigit,
  testDigitCount: async () => (await testDigits()).count,
};
(globalThis as unknown as { noisyMnist: PageApi }).noisyMnist = api;

function clearPad(): void {
  padContext.fillStyle = "#fff";
  padContext.fillRect(0, 0, pad.width, pad.height);
}

function drawInput(pixels: Float32Array): void {
  const image = inputContext.createImageData(SIDE, SIDE);
  const gray = preprocess.toGrayBytes(pixels);
  for (let i = 0; i < gray.length; i++) {
    image.data.set([gray[i], gray[i], gray[i], 255], i * 4);
  }
  inputContext.putImageData(image, 0, 0);
}

/** Each model's probabilities for one 28×28 input. */
function classify(pixels: Float32Array): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  config.models.forEach((model, i) => {
    const result = tf.tidy(() =>
      models[i].predict(tf.tensor4d(pixels, [1, SIDE, SIDE, 1])) as Tf.Tensor
    );
    out[model.name] = Array.from(result.dataSync());
    result.dispose();
  });
  return out;
}

/** Draw the bars (or empty them), marking the best class and the truth. */
function showPredictions(
  predictions: Record<string, number[]> | null,
  truth?: number,
): void {
  shown = predictions;
  for (const figure of document.querySelectorAll<HTMLElement>("figure.chart")) {
    const p = predictions?.[figure.dataset.model ?? ""];
    const best = p ? p.indexOf(Math.max(...p)) : -1;
    figure.querySelector(".answer")!.textContent = p
      ? `${best} (${(p[best] * 100).toFixed(1)} %)`
      : "";
    for (const bar of figure.querySelectorAll<HTMLElement>(".bar")) {
      const c = Number(bar.dataset.class);
      const value = p ? p[c] : 0;
      bar.dataset.probability = p ? String(value) : "";
      bar.classList.toggle("best", c === best);
      bar.classList.toggle("truth", c === truth);
      bar.querySelector<HTMLElement>(".fill")!.style.height = `${value * 100}%`;
      bar.querySelector(".value")!.textContent = p && value >= 0.005
        ? `${Math.round(value * 100)}`
        : "";
    }
  }
  api.updates++;
}

/** Preprocess the pad and predict; "no ink" clears the predictions. */
function update(): void {
  const image = padContext.getImageData(0, 0, pad.width, pad.height);
  try {
    input = preprocess.preprocessDetailed(image).pixels;
  } catch (error) {
    if (!(error instanceof preprocess.NoInkError)) throw error;
    input = new Float32Array(SIDE * SIDE);
    drawInput(input);
    showPredictions(null);
    status.textContent = "Draw a digit in the box.";
    return;
  }
  drawInput(input);
  showPredictions(classify(input));
  status.textContent = "Keep drawing, or clear and start again.";
}

let scheduled = false;
function schedule(): void {
  if (scheduled || !api.ready) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    update();
  });
}

// Drawing: one pointer at a time; coalesced events keep fast strokes
// smooth; a pen's pressure sets the width.
let stroke: { id: number; x: number; y: number } | null = null;

function point(event: PointerEvent): { x: number; y: number } {
  const box = pad.getBoundingClientRect();
  return {
    x: (event.clientX - box.left) * pad.width / box.width,
    y: (event.clientY - box.top) * pad.height / box.height,
  };
}

function lineTo(event: PointerEvent): void {
  if (!stroke) return;
  const to = point(event);
  padContext.lineWidth = event.pointerType === "pen"
    ? STROKE * (0.4 + 0.9 * (event.pressure || 0.5))
    : STROKE;
  padContext.beginPath();
  padContext.moveTo(stroke.x, stroke.y);
  padContext.lineTo(to.x, to.y);
  padContext.stroke();
  stroke = { id: stroke.id, ...to };
}

pad.addEventListener("pointerdown", (event) => {
  if (event.pointerType === "mouse" && event.button !== 0) return;
  if (caption.textContent !== defaultCaption) {
    // Leaving a test digit: back to drawing.
    caption.textContent = defaultCaption;
    clearPad();
  }
  pad.setPointerCapture(event.pointerId);
  stroke = { id: event.pointerId, ...point(event) };
  lineTo(event);
  schedule();
  event.preventDefault();
});
pad.addEventListener("pointermove", (event) => {
  if (!stroke || event.pointerId !== stroke.id) return;
  const events = event.getCoalescedEvents?.() ?? [];
  for (const e of events.length ? events : [event]) lineTo(e);
  schedule();
});
for (const type of ["pointerup", "pointercancel"] as const) {
  pad.addEventListener(type, (event) => {
    if (stroke && event.pointerId === stroke.id) stroke = null;
    schedule();
  });
}

$("clear").addEventListener("click", () => {
  clearPad();
  caption.textContent = defaultCaption;
  schedule();
});

// The noisy test set: MNIST's own IDX format, gzip'd; loaded on first use.
interface TestDigits {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}
let digits: Promise<TestDigits> | undefined;

async function gunzipped(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok || !response.body) {
    throw new Error(`${url}: HTTP ${response.status}`);
  }
  const stream = response.body.pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function idx(bytes: Uint8Array, magic: number, rank: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== magic) throw new Error("not an IDX file");
  return bytes.subarray(4 + 4 * rank);
}

function testDigits(): Promise<TestDigits> {
  const files = config.testDigits;
  if (!files) return Promise.reject(new Error("no noisy test set"));
  digits ??= Promise.all([
    gunzipped(files.images),
    gunzipped(files.labels),
  ]).then(([images, labels]) => ({
    images: idx(images, 0x803, 3),
    labels: idx(labels, 0x801, 1),
    count: files.count,
  }));
  return digits;
}

async function showTestDigit(index: number): Promise<number> {
  const set = await testDigits();
  if (!(index >= 0 && index < set.count)) {
    throw new RangeError(`no test digit ${index}`);
  }
  const pixels = set.images.subarray(
    index * SIDE * SIDE,
    (index + 1) * SIDE * SIDE,
  );
  input = Float32Array.from(pixels, (v) => v / 255);
  const label = set.labels[index];
  clearPad();
  drawInput(input);
  showPredictions(classify(input), label);
  caption.textContent =
    `Noisy test digit #${index} (label ${label}), as the models were tested on it.`;
  status.textContent = "Draw on the pad to go back to drawing.";
  return label;
}

$("random").addEventListener("click", async () => {
  status.textContent = "loading the noisy test set…";
  try {
    const { count } = await testDigits();
    await showTestDigit(Math.floor(Math.random() * count));
  } catch (error) {
    status.textContent = `could not load the test digits: ${error}`;
  }
});

/**
 * tfjs' wasm backend (SIMD where the browser has it), the one the Deno
 * side runs on too; tfjs' plain JavaScript `cpu` backend if it fails.
 */
async function startBackend(base: URL): Promise<string> {
  if (config.wasm && tf.wasm) {
    // The folder of the binaries; without cross-origin isolation tfjs
    // picks the SIMD (or plain) one, never the threaded one.
    tf.wasm.setWasmPaths(base.href);
    try {
      if (await tf.setBackend("wasm")) {
        await tf.ready();
        return "wasm";
      }
    } catch (error) {
      console.warn(`tfjs wasm backend unavailable (${error}); using cpu`);
    }
  }
  await tf.setBackend("cpu");
  await tf.ready();
  return "cpu";
}

async function start(): Promise<void> {
  clearPad();
  padContext.strokeStyle = "#000";
  padContext.lineCap = "round";
  padContext.lineJoin = "round";
  const base = new URL(".", import.meta.url);
  api.backend = await startBackend(base);
  $("backend").textContent = ` on ${api.backend}`;
  preprocess = await import(new URL("preprocess.js", base).href);
  models = await Promise.all(
    config.models.map((m) =>
      tf.loadLayersModel(new URL(`models/${m.name}/model.json`, base).href)
    ),
  );
  api.ready = true;
  update();
}

start().catch((error) => {
  api.error = String(error);
  status.textContent = `could not start: ${error}`;
  console.error(error);
});
