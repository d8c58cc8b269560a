// The built-in suites: seed-50 (the seed article's comparison, 10 items per dimension), smoke-6, and the
// standard benchmarks whose data is cached (standard/standardSuites.ts: humaneval, gsm8k).

import { readFileSync } from "node:fs";
import type { Suite } from "./types.js";
import { parseSuiteText, validateSuiteItems } from "./parseSuite.js";
import { standardSuites } from "./standard/standardSuites.js";

const SMOKE_IDS = [
  "if-01-seed-companies",
  "math-01-seed-students",
  "code-01-seed-even-squares",
  "struct-01-seed-youngest",
  "if-02-lowercase-haiku",
  "lat-01-short",
];

let cache: Suite[] | null = null;

export function builtinSuites(): Suite[] {
  if (cache) return cache.map((s) => ({ ...s, items: [...s.items] }));
  const text = readFileSync(new URL("./builtin/seed-50.jsonl", import.meta.url), "utf8");
  const seed = parseSuiteText(text, "jsonl");
  const smoke = SMOKE_IDS.map((id) => {
    const item = seed.find((i) => i.id === id);
    if (!item) throw new Error(`smoke-6 names ${id}, which seed-50 lacks`);
    return item;
  });
  cache = [
    {
      id: "seed-50",
      description:
        "The seed article's comparison: 50 prompts, 10 per dimension (instruction following, math, code, structured data, latency), Chinese and English; includes the article's four worked examples verbatim.",
      items: seed,
      builtin: true,
    },
    {
      id: "smoke-6",
      description: "A 6-item subset of seed-50 (one or two per dimension) for quick checks and CI.",
      items: smoke,
      builtin: true,
    },
    // Converted items go through the same validation as an uploaded suite.
    ...standardSuites().map((s) => ({ ...s, items: validateSuiteItems(s.items) })),
  ];
  return builtinSuites();
}

export function builtinSuite(id: string): Suite | undefined {
  return builtinSuites().find((s) => s.id === id);
}
