/**
 * Request and reply over a module Worker, answered in order: what the
 * training replicas, the evaluation threads and the corruption prefetcher
 * each need. A worker that dies answers every pending and later request
 * with an error reply, so a caller waiting on it is never left hanging.
 *
 * @example
 * ```ts
 * import { NoisyMnistError, WorkerChannel } from "./mod.ts";
 *
 * type Request = { type: "square"; x: number };
 * type Reply = { type: "squared"; y: number };
 * const channel = new WorkerChannel<Request, Reply>(
 *   new URL("./square_worker.ts", import.meta.url),
 *   "square worker",
 *   NoisyMnistError,
 * );
 * const { y } = await channel.request({ type: "square", x: 3 }, "squared");
 * channel.terminate();
 * ```
 *
 * @module
 */

/** What a worker sends instead of a reply when it fails. */
export interface ErrorReply {
  type: "error";
  message: string;
}

/** A worker, its kind of error, and the replies awaited from it. */
export class WorkerChannel<Request, Reply extends { type: string }> {
  readonly #worker: Worker;
  readonly #waiting: ((reply: Reply | ErrorReply) => void)[] = [];
  #failure: string | undefined;

  /**
   * Start the module Worker at `url`. `what` names it in errors
   * (`training worker failed: …`), raised as `ErrorClass`.
   */
  constructor(
    url: URL,
    readonly what: string,
    readonly ErrorClass: new (message: string) => Error,
  ) {
    this.#worker = new Worker(url, { type: "module" });
    this.#worker.onmessage = (event: MessageEvent<Reply | ErrorReply>) => {
      this.#waiting.shift()?.(event.data);
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#failure = event.message;
      for (const resolve of this.#waiting.splice(0)) {
        resolve({ type: "error", message: event.message });
      }
    };
  }

  /** Send a request whose reply will be awaited; never rejects. */
  ask(
    request: Request,
    transfer: Transferable[] = [],
  ): Promise<Reply | ErrorReply> {
    if (this.#failure !== undefined) {
      return Promise.resolve({ type: "error", message: this.#failure });
    }
    const reply = new Promise<Reply | ErrorReply>((resolve) =>
      this.#waiting.push(resolve)
    );
    this.#worker.postMessage(request, transfer);
    return reply;
  }

  /** `reply` as the `type` expected; an error or another type throws. */
  expect<T extends Reply["type"]>(
    reply: Reply | ErrorReply,
    type: T,
  ): Extract<Reply, { type: T }> {
    if (reply.type === "error") {
      const { message } = reply as ErrorReply;
      throw new this.ErrorClass(
        `${this.what} failed: ${message.split("\n")[0]}`,
      );
    }
    if (reply.type !== type) {
      throw new this.ErrorClass(
        `${this.what} sent "${reply.type}", expected "${type}"`,
      );
    }
    return reply as Extract<Reply, { type: T }>;
  }

  /** {@link ask}, then {@link expect}. */
  async request<T extends Reply["type"]>(
    request: Request,
    type: T,
    transfer: Transferable[] = [],
  ): Promise<Extract<Reply, { type: T }>> {
    return this.expect(await this.ask(request, transfer), type);
  }

  /** Send a request that has no reply. */
  tell(request: Request, transfer: Transferable[] = []): void {
    this.#worker.postMessage(request, transfer);
  }

  /** Stop the worker. */
  terminate(): void {
    this.#worker.terminate();
  }
}
