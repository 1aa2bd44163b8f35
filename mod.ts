/**
 * noisy-mnist: MNIST digits rotated, shifted, zoomed and re-lit, and a
 * fully connected network compared with a convolutional one on them.
 *
 * The scripts in `scripts/` are thin wrappers over these functions, so the
 * whole pipeline can also be driven from code:
 *
 * ```ts
 * import { fetchMnist, loadMnist } from "./mod.ts";
 *
 * await fetchMnist({ dataDir: "data", source: Deno.env.get("MNIST_SOURCE") });
 * const test = await loadMnist("data/mnist", "test");
 * console.log(test.count, test.rows, test.cols); // 10000 28 28
 * ```
 *
 * @module
 */

export {
  ChecksumError,
  DataError,
  FetchError,
  type IdxErrorKind,
  IdxFormatError,
  MissingInputError,
  NoisyMnistError,
  UsageError,
} from "./lib/errors.ts";
export {
  decodeIdx,
  encodeIdx,
  gunzip,
  gzip,
  type IdxArray,
  type IdxDataByDtype,
  type IdxDtype,
  isGzip,
  parseIdx,
  readIdx,
  serializeIdx,
  shapeSize,
  writeIdx,
  type WriteIdxOptions,
} from "./lib/idx.ts";
export {
  type FloatBatch,
  gatherBatch,
  labelHistogram,
  loadMnist,
  loadNoisy,
  loadSplitFiles,
  MNIST_FILES,
  type MnistSplit,
  NOISY_FILES,
  NUM_CLASSES,
  type Split,
  type SplitFiles,
  splitFromIdx,
  SPLITS,
  takeFirst,
} from "./lib/mnist.ts";
export { type TensorBatch, toTensors } from "./lib/tensors.ts";
export {
  type FetchedFile,
  fetchMnist,
  type FetchOptions,
  MNIST_FILE_NAMES,
  MNIST_MIRRORS,
  MNIST_SHA256,
  type TransferProgress,
} from "./lib/fetch.ts";
export { sha256File, sha256Hex, sha256Text } from "./lib/hash.ts";
export { writeFileAtomic, writeJsonAtomic } from "./lib/fsutil.ts";
