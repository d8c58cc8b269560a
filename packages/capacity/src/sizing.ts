// From a capacity result (one replica's sustainable rate under the SLOs) to a sizing: replicas, GPUs and
// cost for a target request rate. Assumes replicas scale linearly, each behind the same load balancing:
// loadtests/README.md ("Capacity") says when that fails.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { round } from "./numbers.js";
import type { CapacityResult } from "./types.js";

export interface SizingOptions {
  targetRps: number;
  /** Share of each replica's sustainable rate held back for bursts and failover (0.2: plan at 80%). */
  headroom: number;
  gpuHourUsd: number;
}

export interface Sizing {
  model: string;
  sha256: string | null;
  sustainableRpsPerReplica: number;
  /** The rate each replica is planned to carry: sustainable x (1 - headroom). */
  plannedRpsPerReplica: number;
  replicas: number | null;
  gpusPerReplica: number;
  gpus: number | null;
  costPerHourUsd: number | null;
  /** At the target rate, with the mean reply length measured at the sustainable rate. */
  costPerMillionOutputTokensUsd: number | null;
  meanOutputTokens: number | null;
  /** KEDA's pendingPerReplica: requests in flight per replica at the planned rate (Little's law). */
  pendingPerReplica: number | null;
  slo: CapacityResult["slo"];
  /** Why there is no sizing (no rate met the SLOs), or a caveat. */
  note: string | null;
}

export function validateSizingOptions(options: SizingOptions): void {
  if (!(Number.isFinite(options.targetRps) && options.targetRps > 0))
    throw new Error(`--target-rps: must be a number > 0, got ${options.targetRps}`);
  if (!(Number.isFinite(options.headroom) && options.headroom >= 0 && options.headroom < 1)) {
    throw new Error(`--headroom: must be a share from 0 to below 1 (0.2 = plan each replica at 80%), got ${options.headroom}`);
  }
  if (!(Number.isFinite(options.gpuHourUsd) && options.gpuHourUsd >= 0))
    throw new Error(`--gpu-hour-usd: must be a number >= 0, got ${options.gpuHourUsd}`);
}

export function sizeModel(result: CapacityResult, gpusPerReplica: number, options: SizingOptions): Sizing {
  validateSizingOptions(options);
  if (!(Number.isInteger(gpusPerReplica) && gpusPerReplica >= 0))
    throw new Error(`--gpus-per-replica: must be a whole number >= 0, got ${gpusPerReplica}`);
  const model = result.model?.service || result.model?.name || result.target;
  const base = { model, sha256: result.model?.sha256 ?? null, slo: result.slo, gpusPerReplica };
  if (result.sustainableRps <= 0 || !result.atSustainable) {
    return {
      ...base,
      sustainableRpsPerReplica: 0,
      plannedRpsPerReplica: 0,
      replicas: null,
      gpus: null,
      costPerHourUsd: null,
      costPerMillionOutputTokensUsd: null,
      meanOutputTokens: null,
      pendingPerReplica: null,
      note: `meets the SLOs at no rate: ${result.noRateReason ?? "no step passed"}`,
    };
  }
  const planned = result.sustainableRps * (1 - options.headroom);
  // A hair of tolerance so that 5 / (2.5 x 1.0) is 2 replicas, not 3 from floating-point noise.
  const replicas = Math.max(1, Math.ceil(options.targetRps / planned - 1e-9));
  const gpus = replicas * gpusPerReplica;
  const costPerHour = gpus * options.gpuHourUsd;
  const meanTokens = result.atSustainable.meanOutputTokens;
  const tokensPerHour = meanTokens ? options.targetRps * meanTokens * 3600 : 0;
  const e2e = result.atSustainable.meanE2eMs;
  const notes: string[] = [];
  if (result.limitedByMaxRate) notes.push("the search stopped at --max-rate: one replica sustains more, so this over-provisions");
  if (gpusPerReplica === 0) notes.push("no GPU per replica: the cost counts GPUs only");
  return {
    ...base,
    sustainableRpsPerReplica: result.sustainableRps,
    plannedRpsPerReplica: round(planned, 4),
    replicas,
    gpus,
    costPerHourUsd: round(costPerHour, 4),
    costPerMillionOutputTokensUsd: tokensPerHour > 0 ? round((costPerHour / tokensPerHour) * 1e6, 4) : null,
    meanOutputTokens: meanTokens,
    pendingPerReplica: e2e === null ? null : round(planned * (e2e / 1000), 2),
    note: notes.length ? notes.join("; ") : null,
  };
}

/** Reads one capacity result, naming the file in every error. */
export function readCapacityResult(file: string): CapacityResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file}: not a readable JSON file (${(error as Error).message})`);
  }
  const result = parsed as Partial<CapacityResult>;
  if (result?.schema !== "evalstack.capacity/v1")
    throw new Error(`${file}: not a capacity result (schema "${String(result?.schema)}", expected "evalstack.capacity/v1")`);
  if (typeof result.sustainableRps !== "number" || !Array.isArray(result.curve) || !result.slo)
    throw new Error(`${file}: a capacity result without sustainableRps, curve or slo`);
  return result as CapacityResult;
}

/**
 * The capacity results under `from` (a file, or a folder of capacity-*.json), newest per model; `model`
 * keeps only that one and fails when the folder holds none for it.
 */
export function loadCapacityResults(from: string, model?: string): { file: string; result: CapacityResult }[] {
  if (!existsSync(from)) throw new Error(`--from ${from}: no such file or folder`);
  const files = statSync(from).isDirectory()
    ? readdirSync(from)
        .filter((name) => /^capacity-.*\.json$/.test(name))
        .map((name) => path.join(from, name))
    : [from];
  if (files.length === 0)
    throw new Error(`--from ${from}: no capacity results (capacity-*.json) in this folder; run loadtests/capacity-search.ts first`);
  const newest = new Map<string, { file: string; result: CapacityResult }>();
  for (const file of files) {
    const result = readCapacityResult(file);
    const name = result.model?.service || result.model?.name || result.target;
    const seen = newest.get(name);
    if (!seen || seen.result.startedAt < result.startedAt) newest.set(name, { file, result });
  }
  if (model !== undefined) {
    const found = newest.get(model);
    if (!found) throw new Error(`--from ${from}: no capacity result for model "${model}" (it holds: ${[...newest.keys()].join(", ")})`);
    return [found];
  }
  return [...newest.values()];
}
