/**
 * The shape of what the report says: the {@link ReportContent} value the
 * HTML page and the Markdown file both render, its parts, and the fixed
 * figures it is measured against.
 *
 * Types only (plus two constants), so the renderers can depend on the
 * shape without pulling in the code that builds it.
 *
 * @module
 */

import type { ModelName } from "../train/mod.ts";
import type { Chart } from "./charts.ts";
import type { Confusion } from "./stats.ts";
import type { ModelsSection } from "./content_models.ts";
import type { StudySection } from "./content_study.ts";

/** The original study's published noisy-test accuracies. */
export const STUDY_ACCURACY: Readonly<Record<ModelName, number>> = {
  dense: 0.8209,
  cnn: 0.9673,
};

/**
 * How many digits each gallery shows. The report stage records it among
 * its parameters, so changing it rebuilds existing reports.
 */
export const GALLERY_SIZE = 24;

/** One cell of the summary table. */
export interface SummaryCell {
  /** The value as printed. */
  text: string;
  /** A smaller second line (interval, note), if any. */
  detail?: string;
}

/** One row of the summary table: a metric across the models. */
export interface SummaryRow {
  /** Stable key (`noisy-accuracy`…), a `data-metric` attribute in HTML. */
  key: string;
  /** Row heading. */
  label: string;
  /** One cell per model of {@link SummaryTable.models}; none if untrained. */
  cells: Partial<Record<string, SummaryCell>>;
  /** A row of the study's figures rather than our measurements. */
  reference?: boolean;
}

/** Models (folders of `models/`) as columns, metrics as rows. */
export interface SummaryTable {
  /** Columns, in order (trained or not): `dense`, `cnn`, `cnn-robust`… */
  models: string[];
  /** Models not trained, with the command that trains each. */
  missing: Partial<Record<string, string>>;
  /** The rows. */
  rows: SummaryRow[];
}

/** A key/value pair of a plain table. */
export interface KeyValue {
  /** The name. */
  key: string;
  /** The value, formatted. */
  value: string;
}

/** One digit of a gallery. */
export interface DigitTile {
  /** Index in the noisy test split. */
  index: number;
  /** True digit. */
  label: number;
  /** Predicted digit (the failing model's). */
  predicted: number;
  /** Its confidence. */
  confidence: number;
  /** A second line, e.g. the other model's verdict. */
  note?: string;
  /** The enlarged PNG. */
  png: Uint8Array;
  /** Its path relative to the report folder. */
  file: string;
}

/** A gallery of digits. */
export interface Gallery {
  /** Stable id (anchors, file names). */
  id: string;
  /** Heading. */
  title: string;
  /** What it shows and in which order (inline markup). */
  description: string;
  /** The digits. */
  tiles: DigitTile[];
  /** How many digits met the condition (the gallery shows the first). */
  total: number;
}

/** A stage's provenance, from its manifest. */
export interface ProvenanceRow {
  /** Stage name, e.g. `train:cnn`. */
  stage: string;
  /** Manifest path relative to the data folder. */
  manifest: string;
  /** SHA-256 of the manifest file. */
  hash: string;
  /** The seed, if the stage records one. */
  seed: string;
  /** When it ran. */
  startedAt: string;
  /** How long it ran. */
  duration: string;
  /** Tool versions. */
  versions: string;
  /** Input and output hashes, for the curious. */
  files: KeyValue[];
}

/** The noisy dataset, described. */
export interface DataSection {
  /** The transform's parameters (augment manifest `params`). */
  params: KeyValue[];
  /** Statistics the augment stage recorded (`results`). */
  results: KeyValue[];
  /** Counts measured here on the noisy test split. */
  counts: KeyValue[];
  /** `noisy/samples.png`, if present. */
  samplesPng?: Uint8Array;
}

/** The most frequent confusions of one model. */
export interface ModelConfusions {
  /** Which model. */
  model: ModelName;
  /** Largest off-diagonal cells on the noisy test split. */
  top: Confusion[];
  /** Test images it misclassified. */
  errors: number;
}

/** One corruption applied to a clean test digit, for the robustness section. */
export interface CorruptionSample {
  /** The corruption's name (`identity` for the clean digit). */
  name: string;
  /** `mnist-c` or `extra` (`identity` counts as `mnist-c`). */
  group: "mnist-c" | "extra";
  /** The severity shown (the corruption's default). */
  severity: number;
  /** The enlarged PNG. */
  png: Uint8Array;
  /** Its path relative to the report folder. */
  file: string;
}

/** The robustness section: absent, stale, or the results. */
export interface RobustnessSection {
  /**
   * `absent`: the benchmark has not run; `stale`: its results predate a
   * retrained model and are withheld; `fresh`: shown.
   */
  status: "absent" | "stale" | "fresh";
  /** Paragraphs (inline markup): what it shows, or what to run. */
  text: string[];
  /** MNIST-C accuracy, mCE, relative mCE, clean and noisy accuracy. */
  table?: SummaryTable;
  /** What mCE and relative mCE mean (inline markup). */
  tableNote?: string;
  /** Accuracy against severity: MNIST-C's fifteen, then the extras. */
  charts: Chart[];
  /** One clean digit, then each corruption of it at its default severity. */
  samples: CorruptionSample[];
  /** What the samples show (inline markup). */
  samplesCaption?: string;
}

/** Everything the report shows. */
export interface ReportContent {
  /** Page title. */
  title: string;
  /** When the report was built, `2025-01-01 12:00 UTC`. */
  generatedAt: string;
  /** Missing inputs and warnings (inline markup). */
  notices: string[];
  /** The answer, a few sentences (inline markup). */
  findings: string[];
  /** Why (or how far) the numbers can be trusted (inline markup). */
  trust: string[];
  /** Section 1. */
  summary: SummaryTable;
  /** Accuracy overview chart. */
  accuracyChart: Chart;
  /** Section 1: every trained model, when there are more than the study's. */
  models?: ModelsSection;
  /** Section 2: learning curves and learning rate. */
  learningCharts: Chart[];
  /** Section 3: confusion matrices, one per model. */
  confusionCharts: Chart[];
  /** Section 3: per-class precision/recall/F1. */
  perClassChart: Chart;
  /** Section 3/5: most frequent confusions. */
  confusions: ModelConfusions[];
  /** Section 4. */
  data: DataSection;
  /** Section 5. */
  galleries: Gallery[];
  /** Section 6: robustness to corruptions. */
  robustness: RobustnessSection;
  /** Across seeds, after section 6 (absent without a study). */
  study?: StudySection;
  /** Section 7. */
  provenance: ProvenanceRow[];
  /** Section 7: commands that reproduce the run. */
  commands: string[];
}
