/**
 * Ctrl-C as a request rather than a kill, for long work that can stop
 * cleanly at its next checkpoint (training, the study): the first Ctrl-C
 * logs what will happen and sets a flag the work polls; a second exits
 * at once with 130.
 *
 * @module
 */

import { logLine } from "../core/mod.ts";

/** A Ctrl-C listener installed by {@link listenForStop}. */
export interface StopRequests {
  /** Whether Ctrl-C has been pressed (polled between batches). */
  requested(): boolean;
  /** Remove the listener (Ctrl-C kills the process again). */
  dispose(): void;
}

/**
 * Listen for Ctrl-C until `dispose()`. The first press logs
 * `explain()` on its own line (called then, so it can say what the work is
 * doing at that moment); the second exits with 130 without waiting.
 *
 * @example
 * ```ts
 * import { listenForStop } from "./interrupt.ts";
 *
 * const stop = listenForStop(() => "stopping after this batch (Ctrl-C again to abort)");
 * try {
 *   for (let batch = 0; batch < 3 && !stop.requested(); batch++) {
 *     // … one batch of work …
 *   }
 * } finally {
 *   stop.dispose();
 * }
 * ```
 */
export function listenForStop(explain: () => string): StopRequests {
  let pressed = false;
  const onSigint = () => {
    if (pressed) Deno.exit(130);
    pressed = true;
    logLine(`\n${explain()}`);
  };
  Deno.addSignalListener("SIGINT", onSigint);
  return {
    requested: () => pressed,
    dispose: () => Deno.removeSignalListener("SIGINT", onSigint),
  };
}
