/**
 * Training checkpoints: one file holding the loop's state (as JSON) and
 * named groups of tensors (model weights, optimizer slots, best weights).
 * One file, written atomically, so a crash leaves either the previous
 * checkpoint or the new one — never a model from one epoch beside an
 * optimizer from another.
 *
 * Encoding ({@link encodeCheckpoint}, also how replicas pass their state
 * to Workers): the 8 bytes `NMCKPT1\n`, a little-endian uint32 header
 * length, the header (UTF-8 JSON: state and, per group, the tfjs weight
 * specs and byte range), then the tensor bytes.
 *
 * File ({@link writeCheckpoint}): the 8 bytes `NMCKPT2\n`, the SHA-256 of
 * the rest (32 bytes), then the encoding. A file whose bytes no longer
 * match — a flipped bit, an edited weight or `epochsDone` — is refused
 * rather than resumed into a different or under-trained model.
 *
 * @module
 */

import {
  type Json,
  NoisyMnistError,
  tf,
  writeFileAtomic,
} from "../core/mod.ts";

const MAGIC = new TextEncoder().encode("NMCKPT1\n");
const FILE_MAGIC = new TextEncoder().encode("NMCKPT2\n");
const DIGEST_BYTES = 32;

/** Tensors of one group, in order. */
export type TensorGroup = tf.Tensor[];

interface GroupHeader {
  specs: tf.io.WeightsManifestEntry[];
  offset: number;
  length: number;
}

interface Header {
  state: Json;
  groups: Record<string, GroupHeader>;
}

/** A checkpoint that cannot be read. */
export class CheckpointError extends NoisyMnistError {}

/** Encode `state` and tensor `groups` into checkpoint bytes. */
export async function encodeCheckpoint(
  state: Json,
  groups: Record<string, TensorGroup>,
): Promise<Uint8Array> {
  const headerGroups: Record<string, GroupHeader> = {};
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensors] of Object.entries(groups)) {
    // Index names keep order and stay unique whatever the variables' names.
    const named = tensors.map((tensor, i) => ({ name: `${i}`, tensor }));
    const { data, specs } = await tf.io.encodeWeights(named);
    const bytes = new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
    headerGroups[name] = { specs, offset, length: bytes.length };
    chunks.push(bytes);
    offset += bytes.length;
  }
  const header = new TextEncoder().encode(
    JSON.stringify({ state, groups: headerGroups } satisfies Header),
  );
  const out = new Uint8Array(MAGIC.length + 4 + header.length + offset);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, header.length, true);
  out.set(header, MAGIC.length + 4);
  let at = MAGIC.length + 4 + header.length;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** SHA-256 of `bytes`, raw. */
async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
}

/** True when `bytes` begin with `prefix`. */
function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length &&
    prefix.every((b, i) => bytes[i] === b);
}

/** The one-line error for an unusable checkpoint file. */
function unusable(label: string, why: string): CheckpointError {
  return new CheckpointError(
    `${label}: ${why}; delete it, or drop --resume to start over`,
  );
}

/**
 * Write `state` and tensor `groups` to `path` atomically, behind a SHA-256
 * of all of it.
 */
export async function writeCheckpoint(
  path: string,
  state: Json,
  groups: Record<string, TensorGroup>,
): Promise<void> {
  const payload = await encodeCheckpoint(state, groups);
  const out = new Uint8Array(FILE_MAGIC.length + DIGEST_BYTES + payload.length);
  out.set(FILE_MAGIC, 0);
  out.set(await sha256(payload), FILE_MAGIC.length);
  out.set(payload, FILE_MAGIC.length + DIGEST_BYTES);
  await writeFileAtomic(path, out);
}

/** A checkpoint read back: its state and tensor groups (caller disposes). */
export interface Checkpoint {
  /** The loop state as saved. */
  state: Json;
  /** Tensor groups by name, tensors in saved order. */
  groups: Record<string, tf.Tensor[]>;
}

/**
 * Read a checkpoint written by {@link writeCheckpoint}; refuses one whose
 * SHA-256 does not match its bytes.
 */
export async function readCheckpoint(path: string): Promise<Checkpoint> {
  const bytes = await Deno.readFile(path);
  if (startsWith(bytes, MAGIC)) {
    throw unusable(path, "an older checkpoint without a SHA-256 checksum");
  }
  const start = FILE_MAGIC.length + DIGEST_BYTES;
  if (!startsWith(bytes, FILE_MAGIC) || bytes.length < start) {
    throw unusable(path, "not a noisy-mnist checkpoint");
  }
  const payload = bytes.subarray(start);
  const digest = await sha256(payload);
  if (!digest.every((b, i) => bytes[FILE_MAGIC.length + i] === b)) {
    throw unusable(
      path,
      "SHA-256 checksum mismatch (changed or damaged since it was written)",
    );
  }
  return decodeCheckpoint(payload, path);
}

/** Decode checkpoint bytes; `label` names them in errors. */
export function decodeCheckpoint(bytes: Uint8Array, label: string): Checkpoint {
  const bad = (why: string) => unusable(label, why);
  if (
    bytes.length < MAGIC.length + 4 ||
    !MAGIC.every((b, i) => bytes[i] === b)
  ) {
    throw bad("not a noisy-mnist checkpoint");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(MAGIC.length, true);
  const start = MAGIC.length + 4;
  if (start + headerLength > bytes.length) throw bad("truncated header");
  let header: Header;
  try {
    header = JSON.parse(
      new TextDecoder().decode(bytes.subarray(start, start + headerLength)),
    );
  } catch {
    throw bad("unreadable header");
  }
  const dataStart = start + headerLength;
  const groups: Record<string, tf.Tensor[]> = {};
  for (const [name, group] of Object.entries(header.groups)) {
    const from = dataStart + group.offset;
    if (from + group.length > bytes.length) throw bad("truncated tensors");
    const buffer = bytes.slice(from, from + group.length).buffer;
    const map = tf.io.decodeWeights(buffer, group.specs);
    groups[name] = group.specs.map((spec) => map[spec.name]);
  }
  return { state: header.state, groups };
}
