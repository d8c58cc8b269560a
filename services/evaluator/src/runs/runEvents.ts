// In-process notifications: an item stored, a run's status changed. Server-sent-event streams wait on these
// (and poll the store as well, so a stream also follows a run that another replica executes).
import { EventEmitter } from "node:events";
import type { RunStatus, StoredItem } from "../store/types.js";

export interface RunEventMap {
  item: [runId: string, item: StoredItem];
  status: [runId: string, status: RunStatus];
}

export class RunEvents extends EventEmitter<RunEventMap> {
  constructor() {
    super();
    this.setMaxListeners(0);
  }

  /** Resolves on the next event for `runId`, after `timeoutMs`, or when `signal` aborts — whichever is first. */
  nextFor(runId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off("item", onItem);
        this.off("status", onStatus);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const onItem = (id: string) => id === runId && done();
      const onStatus = (id: string) => id === runId && done();
      const timer = setTimeout(done, timeoutMs);
      this.on("item", onItem);
      this.on("status", onStatus);
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}
