// The standard benchmark suites built from cached registry data (scripts/fetchSuites.ts, the test set-up
// and npm run compare fetch it). A suite whose data is not cached is not listed; standardSuitesMissing says
// which, and how to fetch them.

import { existsSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import type { Suite } from "../types.js";
import { GSM8K_DESCRIPTION, gsm8kItem, parseGsm8k } from "./gsm8k.js";
import { HUMANEVAL_DESCRIPTION, humanEvalItem, parseHumanEval } from "./humaneval.js";
import { IFBENCH_DESCRIPTION, ifbenchItem, ifbenchVerifiable, parseIfbench } from "./ifbench.js";
import { IFEVAL_DESCRIPTION, IFEVAL_LOOSE_NOTE, ifevalItem, parseIfeval } from "./ifeval.js";
import { SUITE_DATA_SOURCES, suiteDataPath, type StandardSuiteData } from "./sources.js";

interface StandardSuiteDef {
  id: string;
  data: StandardSuiteData;
  build(raw: Buffer): Suite["items"];
  description: string;
}

export const STANDARD_SUITES: readonly StandardSuiteDef[] = [
  { id: "humaneval", data: "humaneval", build: (raw) => parseHumanEval(raw).map(humanEvalItem), description: HUMANEVAL_DESCRIPTION },
  { id: "gsm8k", data: "gsm8k", build: (raw) => parseGsm8k(raw.toString("utf8")).map(gsm8kItem), description: GSM8K_DESCRIPTION },
  {
    id: "ifeval",
    data: "ifeval",
    build: (raw) => parseIfeval(raw.toString("utf8")).map((p) => ifevalItem(p)),
    description: IFEVAL_DESCRIPTION,
  },
  {
    id: "ifeval-loose",
    data: "ifeval",
    build: (raw) => parseIfeval(raw.toString("utf8")).map((p) => ifevalItem(p, { loose: true })),
    description: IFEVAL_LOOSE_NOTE + IFEVAL_DESCRIPTION,
  },
  {
    id: "ifbench",
    data: "ifbench",
    build: (raw) => ifbenchVerifiable(parseIfbench(raw.toString("utf8"))).map(ifbenchItem),
    description: IFBENCH_DESCRIPTION,
  },
];

/** Reads and verifies a cached data file; null when absent. A file that fails its pin is an error, not a silent gap. */
export function readSuiteData(name: StandardSuiteData): Buffer | null {
  const file = suiteDataPath(name);
  if (!existsSync(file)) return null;
  const raw = readFileSync(file);
  const digest = createHash("sha256").update(raw).digest("hex");
  if (digest !== SUITE_DATA_SOURCES[name].memberSha256)
    throw new Error(
      `${file}: sha256 ${digest} does not match the pinned ${SUITE_DATA_SOURCES[name].memberSha256}; delete it and run npm run suites`,
    );
  return raw;
}

export function standardSuites(): Suite[] {
  const suites: Suite[] = [];
  for (const def of STANDARD_SUITES) {
    const raw = readSuiteData(def.data);
    if (!raw) continue;
    const source = SUITE_DATA_SOURCES[def.data];
    suites.push({
      id: def.id,
      description: `${def.description} Source: ${source.source}. License: ${source.license}.`,
      items: def.build(raw),
      builtin: true,
    });
  }
  return suites;
}

/** Standard suites whose data is not cached (fetch with: npm run suites). */
export function standardSuitesMissing(): string[] {
  return STANDARD_SUITES.filter((d) => !existsSync(suiteDataPath(d.data))).map((d) => d.id);
}
