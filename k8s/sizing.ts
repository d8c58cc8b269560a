// Prints the sizing table of k8s/README.md: memory a model pod needs = weights + KV cache, where
//   KV cache bytes = 2 (K and V) × layers × KV heads × head dim × 2 bytes (f16) × contextSize × slots
// (node-llama-cpp gives each of the `slots` sequences its own contextSize cells).
// The small models' numbers are read from their GGUF headers (run `npm run models` first); the seed models'
// are their published architectures (config.json of Qwen/Qwen2.5-7B-Instruct and
// microsoft/Phi-3-mini-4k-instruct) and the published sizes of the GGUF files.
//   npx tsx k8s/sizing.ts
import { statSync } from "node:fs";
import path from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { defaultModelCacheDir, loadCatalog } from "@evalstack/model-catalog";

const catalog = loadCatalog();

interface Architecture {
  slot: string;
  model: string;
  layers: number;
  kvHeads: number;
  headDim: number;
  weightsBytes: number;
  contextSize: number;
  slots: number;
  note?: string;
}

const GiB = 1024 ** 3;

async function fromGguf(slot: string, contextSize: number, slots: number): Promise<Architecture> {
  const small = catalog.profile(slot, "small");
  const file = path.join(defaultModelCacheDir(), small.pypi!.file);
  const info = await readGgufFileInfo(file, { readTensorInfo: false });
  const meta = info.metadata as unknown as Record<string, Record<string, unknown>> & { general: { architecture: string; name?: string } };
  const arch = meta.general.architecture;
  const m = meta[arch] as {
    block_count: number;
    embedding_length: number;
    attention: { head_count: number; head_count_kv?: number; key_length?: number; sliding_window?: number };
  };
  const headDim = m.attention.key_length ?? m.embedding_length / m.attention.head_count;
  return {
    slot,
    model: `${small.description.replace(", ", " ")} (small)`,
    layers: m.block_count,
    kvHeads: m.attention.head_count_kv ?? m.attention.head_count,
    headDim,
    weightsBytes: statSync(file).size,
    contextSize,
    slots,
    note: m.attention.sliding_window ? "¹" : undefined,
  };
}

const seed: Architecture[] = [
  {
    slot: "qwen",
    model: "Qwen2.5-7B-Instruct Q4_K_M (seed)",
    layers: 28,
    kvHeads: 4,
    headDim: 128,
    weightsBytes: 4.68e9,
    contextSize: 8192,
    slots: 2,
  },
  {
    slot: "phi3",
    model: "Phi-3-mini-4k-instruct q4 (seed)",
    layers: 32,
    kvHeads: 32,
    headDim: 96,
    weightsBytes: 2.39e9,
    contextSize: 4096,
    slots: 2,
  },
];

const kvBytes = (a: Architecture) => 2 * a.layers * a.kvHeads * a.headDim * 2 * a.contextSize * a.slots;
const gib = (bytes: number) => (bytes / GiB).toFixed(2);

const rows = [...seed, await fromGguf("qwen", 8192, 2), await fromGguf("phi3", 4096, 2)];
console.log("| slot | model | layers | KV heads | head dim | KV per token | context × slots | weights | KV cache | weights + KV |");
console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const a of rows) {
  const perToken = 2 * a.layers * a.kvHeads * a.headDim * 2;
  console.log(
    `| ${a.slot} | ${a.model} | ${a.layers} | ${a.kvHeads} | ${a.headDim} | ${(perToken / 1024).toFixed(0)} KiB | ` +
      `${a.contextSize} × ${a.slots} | ${gib(a.weightsBytes)} GiB | ${gib(kvBytes(a))} GiB${a.note ? ` ${a.note}` : ""} | ` +
      `**${gib(a.weightsBytes + kvBytes(a))} GiB** |`,
  );
}
const windows = rows.filter((a) => a.note);
if (windows.length) console.log("\n¹ an upper bound: sliding-window attention layers keep fewer cells.");
