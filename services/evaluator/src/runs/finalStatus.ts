// A run's terminal status from its stored counts: completed (no errors), partial (some), failed (all, or
// items never stored).
import type { RunCounts, RunStatus } from "../store/types.js";

export function finalStatus(counts: Pick<RunCounts, "done" | "errors">, totalItems: number): { status: RunStatus; error: string | null } {
  if (counts.done < totalItems) return { status: "failed", error: `${totalItems - counts.done} items were never stored` };
  if (counts.errors === 0) return { status: "completed", error: null };
  if (counts.errors === counts.done) return { status: "failed", error: `every item failed (${counts.errors})` };
  return { status: "partial", error: `${counts.errors} of ${counts.done} items failed` };
}
