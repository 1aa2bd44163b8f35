/**
 * Stage 4 (report): read the noisy dataset and the trained models'
 * artifacts and write `<data-dir>/report/index.html` (self-contained),
 * `report.md` with `figures/` beside it, and the stage's `manifest.json`.
 *
 * With robustness results (`robustness/`), their manifest is an input
 * too, and so are the clean MNIST test files the sample corruptions
 * start from.
 *
 * The report's inputs are the upstream manifests' hashes: a manifest
 * records its stage's outputs, so retraining a model or rebuilding the
 * dataset changes them, and an unchanged set means an unchanged report.
 *
 * @module
 */

import { join, relative } from "node:path";
import { runStage, writeFileAtomic } from "../core/mod.ts";
import { NOISY_FILES } from "../data/mod.ts";
import { type ModelName, trainTask } from "../train/mod.ts";
import { buildContent, GALLERY_SIZE } from "./content.ts";
import { DIGIT_SCALE } from "./digits.ts";
import { renderHtml } from "./html.ts";
import {
  findUpstream,
  loadReportInputs,
  MODEL_FILES,
  NOISY_SAMPLES_FILE,
  reportOrder,
} from "./load.ts";
import { chartFile, renderMarkdown, SAMPLES_FILE } from "./markdown.ts";
import { cleanTestFiles, ROBUSTNESS_TASK } from "./robustness_load.ts";
import { ROBUSTNESS_DIR, ROBUSTNESS_FILES } from "../robustness/mod.ts";
import { STUDY_DIR, STUDY_FILES } from "../study/mod.ts";
import { STUDY_TASK } from "./study_load.ts";

/**
 * Bumped when the report's content or layout changes, so existing reports
 * are rebuilt by the next run.
 */
export const REPORT_VERSION = 2;

/** The report's files, relative to `<data-dir>/report`. */
export const REPORT_FILES = {
  html: "index.html",
  markdown: "report.md",
  figures: "figures",
  screenshot: "screenshot.png",
} as const;

/** The report folder of a data folder. */
export function reportDir(dataDir: string): string {
  return join(dataDir, "report");
}

/** Options of {@link runReportStage}. */
export interface ReportStageOptions {
  /** Artifact folder (holds `noisy/` and `models/`). */
  dataDir: string;
  /** Rebuild even if up to date. */
  force?: boolean;
  /** One-line status messages. */
  onLog?: (line: string) => void;
  /** The build time shown in the report (default: now). */
  now?: Date;
}

/** What {@link runReportStage} did. */
export type ReportStageResult =
  | { status: "up to date"; dir: string }
  | {
    status: "built";
    dir: string;
    /** Files written, relative to `dir`. */
    files: string[];
    /** Models the report could not include. */
    missing: ModelName[];
  };

async function listFiles(dir: string, root = dir): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) out.push(...await listFiles(path, root));
      else out.push(relative(root, path));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return out;
}

/**
 * Build the report, or skip it when its manifest matches today's inputs
 * and parameters. Refuses with a MissingInputError when there is nothing
 * to report (no noisy dataset, or no trained model), and with a DataError
 * when a file it reads does not match its stage's manifest.
 *
 * @example
 * ```ts
 * const result = await runReportStage({ dataDir: "data", onLog: console.log });
 * if (result.status === "built") console.log(result.files.length, "files");
 * ```
 */
export async function runReportStage(
  options: ReportStageOptions,
): Promise<ReportStageResult> {
  const log = options.onLog ?? (() => {});
  const dir = reportDir(options.dataDir);
  const upstream = await findUpstream(options.dataDir);
  // With robustness results, the sample corruptions start from the clean
  // test digits: an input too, when present.
  const cleanFiles = upstream.robustness
    ? await cleanTestFiles(options.dataDir) ?? []
    : [];
  const run = await runStage({
    stage: "report",
    dir,
    params: {
      version: REPORT_VERSION,
      gallerySize: GALLERY_SIZE,
      digitScale: DIGIT_SCALE,
    },
    upstream: [
      {
        name: "noisy",
        dir: join(options.dataDir, "noisy"),
        task: "deno task augment",
        files: [NOISY_FILES.test.images, NOISY_FILES.test.labels],
        optionalFiles: [NOISY_SAMPLES_FILE],
      },
      ...reportOrder(upstream).map((name) => ({
        name: `models/${name}`,
        dir: join(options.dataDir, "models", name),
        task: trainTask(name),
        files: Object.values(MODEL_FILES),
      })),
      // Only once the robustness stage has run: its manifest joins the
      // inputs (new results rebuild the report) and results.json is
      // checked against it like every other file read.
      ...(upstream.robustness
        ? [{
          name: ROBUSTNESS_DIR,
          dir: join(options.dataDir, ROBUSTNESS_DIR),
          task: ROBUSTNESS_TASK,
          // samples.png is drawn after the stage, outside its manifest.
          files: [ROBUSTNESS_FILES.results],
        }]
        : []),
      // Only once a study has written its summary (checked likewise).
      ...(upstream.study
        ? [{
          name: STUDY_DIR,
          dir: join(options.dataDir, STUDY_DIR),
          task: STUDY_TASK,
          files: [STUDY_FILES.summary],
        }]
        : []),
    ],
    inputs: cleanFiles.map(([name, path]) => ({
      name,
      path,
      task: "deno task fetch",
    })),
    rerun: options.force ? "--force" : undefined,
    startedAt: options.now,
    work: async ({ inputs, startedAt }) => {
      const data = await loadReportInputs(options.dataDir, upstream);
      for (const name of data.missing) {
        log(`report: ${name} is not trained; run \`deno task train:${name}\``);
      }
      const content = await buildContent(data, {
        upstreamHashes: inputs,
        now: startedAt,
      });

      const files = new Map<string, Uint8Array | string>();
      const charts = [
        content.accuracyChart,
        ...(content.models ? [content.models.chart] : []),
        ...content.learningCharts,
        ...content.confusionCharts,
        content.perClassChart,
        ...content.robustness.charts,
        ...(content.study?.charts ?? []),
      ];
      for (const chart of charts) files.set(chartFile(chart), chart.svg);
      for (const gallery of content.galleries) {
        for (const tile of gallery.tiles) files.set(tile.file, tile.png);
      }
      for (const sample of content.robustness.samples) {
        files.set(sample.file, sample.png);
      }
      if (content.data.samplesPng) {
        files.set(SAMPLES_FILE, content.data.samplesPng);
      }
      // Figures first, pages last: a page never points at a figure not yet
      // written.
      for (const [name, bytes] of files) {
        await writeFileAtomic(join(dir, name), bytes);
      }
      await writeFileAtomic(join(dir, REPORT_FILES.html), renderHtml(content));
      await writeFileAtomic(
        join(dir, REPORT_FILES.markdown),
        renderMarkdown(content),
      );
      // Figures of an earlier report (another model's gallery…) would
      // linger and mislead a reader browsing the folder.
      const figuresDir = join(dir, REPORT_FILES.figures);
      for (const name of await listFiles(figuresDir)) {
        const path = join(REPORT_FILES.figures, name);
        if (!files.has(path)) await Deno.remove(join(dir, path));
      }

      const written = [
        REPORT_FILES.html,
        REPORT_FILES.markdown,
        ...files.keys(),
      ];
      return {
        status: "done",
        outputs: written,
        results: {
          models: data.models.map((m) => m.name),
          missing: data.missing,
          charts: charts.length,
          digits: content.galleries.reduce((n, g) => n + g.tiles.length, 0),
          robustness: content.robustness.status,
        },
        value: { files: written, missing: data.missing },
      };
    },
  });
  if (run.status === "up to date") return { status: "up to date", dir };
  return { status: "built", dir, ...run.value };
}
