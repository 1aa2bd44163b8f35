/**
 * Classify pictures of handwritten digits with the trained models.
 *
 *     deno task predict [--json] [--show] [--no-preprocess] FILE...
 *
 * @module
 */

import {
  DATA_DIR_FLAG,
  defineScript,
  resolveDataDir,
  runMain,
} from "../lib/cli/flags.ts";
import {
  loadTrainedModels,
  predictFiles,
  resultError,
  resultJson,
  tableHeader,
  tableRows,
} from "../lib/predict/mod.ts";

const INFO = defineScript({
  usage: "deno task predict [flags] FILE...",
  summary: `
Classify PNG and JPEG pictures of digits (any size, colour or grayscale,
transparent = background) with every trained model in <data-dir>/models/,
after checking each model's files against its manifest. Each picture is
preprocessed as MNIST was: grayscale, dark ink on light paper inverted,
cropped to the ink, fit into 20×20 keeping the aspect ratio, centred by
mass in 28×28. Prints each model's top 3 classes per file. A file that
cannot be read (or shows no ink) is a one-line error naming it; the
others are still answered, and the exit code is 1.`,
  positionals: { name: "FILE", description: "PNG or JPEG picture", min: 1 },
  flags: {
    "data-dir": DATA_DIR_FLAG,
    json: {
      type: "boolean",
      description:
        'one JSON line per file: {"file", "predictions": {model: top 3}} or {"file", "error"}',
    },
    show: {
      type: "boolean",
      description: "write the 28×28 image the models saw as FILE.28x28.png",
    },
    "no-preprocess": {
      type: "boolean",
      description:
        "use the picture as it is (28×28, light ink on black, as MNIST)",
    },
  },
});

runMain(INFO, async (flags, files) => {
  const models = await loadTrainedModels(resolveDataDir(flags["data-dir"]));
  const width = Math.max(4, ...files.map((f) => f.length));
  if (!flags.json) console.log(tableHeader(width));
  let failed = 0;
  const results = predictFiles(files, models, {
    preprocess: !flags["no-preprocess"],
    show: flags.show,
    // `deno task` runs in the project folder; files are named from where
    // the user typed the command.
    cwd: Deno.env.get("INIT_CWD"),
  });
  for await (const result of results) {
    const error = resultError(result);
    if (error) failed++;
    if (flags.json) console.log(resultJson(result));
    else if (error) console.error(`error: ${error}`);
    else console.log(tableRows(result, width).join("\n"));
  }
  return failed > 0 ? 1 : 0;
});
