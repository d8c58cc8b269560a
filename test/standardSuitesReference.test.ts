// The standard suites' reference answers through a real evaluator's POST /v1/score and the real sandbox:
// every HumanEval canonical solution passes (as a completion of the prompt, and as a whole function in a
// python block), and the same problem with its body replaced by `return None` or `pass` fails; every GSM8K
// reference solution passes its numeric_answer check and the same solution with the final answer off by one
// fails. The items come from the evaluator's own GET /v1/suites/{id}, the data from the pinned wheels.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ensureAllSuiteData,
  parseGsm8k,
  parseHumanEval,
  suiteDataPath,
  type HumanEvalProblem,
  type SuiteItem,
} from "@evalstack/evaluator/suites";
import { type EvaluatorProcess, startEvaluator } from "./helpers/evaluator.js";
import { pooled, scoreReply, suiteItems } from "./helpers/scoreApi.js";
import { stopAll } from "./helpers/processes.js";

let evaluator: EvaluatorProcess;
const score = (item: SuiteItem, reply: string) => scoreReply(evaluator, item, reply);
const suite = (id: string) => suiteItems(evaluator, id);
let dataDir = "";
let problems: HumanEvalProblem[] = [];

beforeAll(async () => {
  await ensureAllSuiteData();
  problems = parseHumanEval(await readFile(suiteDataPath("humaneval")));
  dataDir = await mkdtemp(join(tmpdir(), "evalstack-standard-suites-"));
  evaluator = await startEvaluator({
    models: "qwen=127.0.0.1:9",
    dbPath: join(dataDir, "evalstack.db"),
    env: {
      EVALSTACK_SANDBOX_ISOLATION: "namespaces",
      // Both cores: the sandbox pool is the only work here.
      EVALSTACK_SANDBOX_CONCURRENCY: "2",
      LOG_LEVEL: "warn",
    },
  });
}, 180_000);

afterAll(async () => {
  await stopAll();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("humaneval through POST /v1/score in the real sandbox", () => {
  it("lists all 164 problems, task ids kept", async () => {
    const items = await suite("humaneval");
    expect(items).toHaveLength(164);
    expect(items.map((i) => i.id)).toEqual(problems.map((p) => p.task_id));
    expect(items[0]?.id).toBe("HumanEval/0");
  });

  it("every canonical solution passes, as a completion and as a whole function; return None and pass fail", async () => {
    const items = new Map((await suite("humaneval")).map((i) => [i.id, i]));
    const cases = problems.flatMap((p) => {
      const item = items.get(p.task_id) as SuiteItem;
      return [
        { p, item, kind: "canonical completion", reply: p.canonical_solution, expect: true },
        {
          p,
          item,
          kind: "canonical as a whole function",
          reply: "Here it is:\n```python\n" + p.prompt + p.canonical_solution + "```\n",
          expect: true,
        },
        { p, item, kind: "return None", reply: "    return None\n", expect: false },
        { p, item, kind: "pass", reply: "```python\n" + `def ${p.entry_point}(*args, **kwargs):\n    pass\n` + "```", expect: false },
      ];
    });
    const results = await pooled(cases, 4, async (c) => ({ c, r: await score(c.item, c.reply) }));
    const wrong = results
      .filter(({ c, r }) => r.passed !== c.expect || r.error !== undefined)
      .map(({ c, r }) => `${c.p.task_id} ${c.kind}: ${r.checks[0]?.detail ?? r.error}`);
    expect(wrong).toEqual([]);
    expect(results.filter(({ r }) => r.passed)).toHaveLength(2 * 164);
  }, 900_000);
});

describe("gsm8k through POST /v1/score", () => {
  it("every reference solution passes its numeric_answer check; off by one fails", async () => {
    const cases = parseGsm8k(await readFile(suiteDataPath("gsm8k"), "utf8"));
    const items = new Map((await suite("gsm8k")).map((i) => [i.id, i]));
    expect(items.size).toBe(100);
    const results = await pooled(cases, 4, async (c) => {
      const item = items.get(c.id) as SuiteItem;
      const wrong = c.upstream_answer.replace(/####\s*(-?[\d,]*\.?\d+)\s*$/, (_m, n: string) => `#### ${Number(n.replace(/,/g, "")) + 1}`);
      return { id: c.id, good: await score(item, c.upstream_answer), bad: await score(item, wrong) };
    });
    expect(results.filter((r) => !r.good.passed).map((r) => `${r.id}: ${r.good.checks[0]?.detail}`)).toEqual([]);
    expect(results.filter((r) => r.bad.passed).map((r) => r.id)).toEqual([]);
  }, 300_000);
});
