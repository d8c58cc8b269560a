// One lease round of a replica: renew the leases it holds (an execution whose lease was lost, or whose run
// finished elsewhere, is stopped), then claim free or lapsed runs up to its capacity.
import type { Store } from "../store/types.js";

export class Stopped extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "Stopped";
  }
}

export interface LeaseHolder {
  /** The runs this replica executes now. */
  held(): string[];
  /** Stops the execution of a run whose lease is gone. */
  lost(runId: string, reason: Stopped): void;
  /** How many more runs this replica takes (0: none). */
  capacity(): number;
  /** False once the replica is stopping: claim nothing more. */
  accepting(): boolean;
}

/** Renews, then claims; returns the run ids newly claimed. */
export async function leaseRound(store: Store, instanceId: string, leaseMs: number, holder: LeaseHolder): Promise<string[]> {
  const mine = holder.held();
  if (mine.length) {
    const held = new Set(await store.renewLeases(instanceId, mine, leaseMs));
    for (const id of mine) if (!held.has(id)) holder.lost(id, new Stopped("lease lost or run finished elsewhere (cancelled?)"));
  }
  if (!holder.accepting()) return [];
  const free = holder.capacity();
  if (free <= 0) return [];
  return store.claimRuns(instanceId, leaseMs, free);
}
