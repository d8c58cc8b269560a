// npm run capacity: turns capacity results (loadtests/capacity-search.ts) into a sizing per model.
//
//   npm run capacity -- --from loadtests/results --target-rps 5 --gpu-hour-usd 2.5 [--headroom 0.2]
//                       [--model qwen] [--gpus-per-replica 1 | --values my-values.yaml] [--json]
//
// GPUs per replica come from the chart's values (modelDefaults.gpu merged with the model's models: entry;
// gpu.enabled false = 0) unless --gpus-per-replica says otherwise.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { loadCapacityResults, sizeModel, validateSizingOptions, type Sizing, type SizingOptions } from "@evalstack/capacity";
import { markdownTable, num } from "@evalstack/loadtests/lib/markdown";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CHART_VALUES = path.join(ROOT, "k8s", "charts", "evalstack", "values.yaml");

interface GpuValues {
  enabled?: boolean;
  count?: number;
}

/** GPUs one replica of `model` requests in these chart values. */
export function gpusPerReplicaFromValues(valuesFile: string, model: string): number {
  let values: { modelDefaults?: { gpu?: GpuValues }; models?: { name: string; gpu?: GpuValues }[] };
  try {
    values = parseYaml(readFileSync(valuesFile, "utf8")) ?? {};
  } catch (error) {
    throw new Error(`--values ${valuesFile}: ${(error as Error).message}`);
  }
  const entry = values.models?.find((m) => m.name === model);
  if (!entry) {
    throw new Error(
      `--values ${valuesFile}: no models: entry named "${model}" (it has: ${(values.models ?? []).map((m) => m.name).join(", ") || "none"}); pass --gpus-per-replica`,
    );
  }
  const gpu = { ...values.modelDefaults?.gpu, ...entry.gpu };
  return gpu.enabled === false ? 0 : (gpu.count ?? 1);
}

function usd(value: number | null): string {
  if (value === null) return "—";
  return value >= 100 ? `$${value.toFixed(0)}` : `$${value.toFixed(2)}`;
}

export function renderSizing(sizings: Sizing[], options: SizingOptions): string {
  const rows = sizings.map((s) => [
    s.model,
    s.sustainableRpsPerReplica > 0 ? num(s.sustainableRpsPerReplica) : "none",
    s.replicas === null ? "—" : String(s.replicas),
    s.gpus === null ? "—" : `${s.gpus} (${s.gpusPerReplica}/replica)`,
    usd(s.costPerHourUsd),
    usd(s.costPerMillionOutputTokensUsd),
    s.pendingPerReplica === null ? "—" : num(s.pendingPerReplica, 1),
  ]);
  const slo = sizings[0]?.slo;
  const lines = [
    `Sizing for ${options.targetRps} req/s, headroom ${(options.headroom * 100).toFixed(0)}%, $${options.gpuHourUsd}/GPU-hour` +
      (slo ? `, under TTFT p95 ≤ ${slo.ttftP95Ms} ms, TPOT p95 ≤ ${slo.tpotP95Ms} ms, errors ≤ ${(slo.errorRate * 100).toFixed(1)}%` : ""),
    "",
    markdownTable(
      ["model", "req/s per replica", "replicas", "GPUs", "cost/hour", "cost / M output tokens", "KEDA pendingPerReplica"],
      rows,
      ["l"],
    ),
  ];
  for (const s of sizings) if (s.note) lines.push("", `${s.model}: ${s.note}`);
  return `${lines.join("\n")}\n`;
}

export function main(argv = process.argv.slice(2)): number {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        from: { type: "string" },
        "target-rps": { type: "string" },
        "gpu-hour-usd": { type: "string", default: "0" },
        headroom: { type: "string", default: "0.2" },
        model: { type: "string" },
        "gpus-per-replica": { type: "string" },
        values: { type: "string", default: CHART_VALUES },
        json: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    });
    if (values.help) {
      console.log(
        readFileSync(fileURLToPath(import.meta.url), "utf8")
          .split("\n")
          .slice(0, 7)
          .join("\n")
          .replace(/^\/\/ ?/gm, ""),
      );
      return 0;
    }
    if (!values.from) throw new Error("--from: required (a capacity-*.json file or a folder of them)");
    if (values["target-rps"] === undefined) throw new Error("--target-rps: required (the request rate to size for)");
    const options: SizingOptions = {
      targetRps: Number(values["target-rps"]),
      headroom: Number(values.headroom),
      gpuHourUsd: Number(values["gpu-hour-usd"]),
    };
    validateSizingOptions(options);
    const fixedGpus = values["gpus-per-replica"] === undefined ? undefined : Number(values["gpus-per-replica"]);
    const sizings = loadCapacityResults(path.resolve(values.from), values.model).map(({ result }) => {
      const model = result.model?.service || result.model?.name || result.target;
      return sizeModel(result, fixedGpus ?? gpusPerReplicaFromValues(values.values, model), options);
    });
    process.stdout.write(values.json ? `${JSON.stringify({ options, sizings }, null, 2)}\n` : renderSizing(sizings, options));
    return 0;
  } catch (error) {
    console.error(`capacity: ${(error as Error).message}`);
    return 2;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exit(main());
