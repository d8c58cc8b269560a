// A capacity result as loadtests/capacity-search.ts writes it (schema evalstack.capacity/v1): the search's
// outcome plus what it was measured on, so that it can be matched with a quality run of the same serving.
import type { CapacityCurveResult, CapacitySearchOptions, CapacitySlo } from "./search.js";

/** The model facts that make a capacity result comparable with a quality run: same weights, same serving. */
export interface CapacitySnapshotKey {
  name: string;
  service: string;
  sha256: string;
  slots: number;
  threads: number;
  gpu: string;
  gpuLayers: number;
}

export interface CapacityResult extends CapacityCurveResult {
  schema: "evalstack.capacity/v1";
  target: string;
  model: CapacitySnapshotKey | null;
  slo: CapacitySlo;
  search: CapacitySearchOptions & { warmupMs: number; maxVUs: number };
  workload: { prompts: string; count: number; maxTokens: number; inputTokens?: number };
  /** The load generator's machine (loadtests/lib/machine.ts). */
  machine: Record<string, unknown>;
  startedAt: string;
  durationMs: number;
}
