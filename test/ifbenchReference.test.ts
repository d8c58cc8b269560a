// The ifbench suite through a real evaluator's POST /v1/score, with the IFBench reference verifiers
// (installed by npm run suites) as the oracle, run separately and directly on the reference's own
// test_instruction_following_strict/_loose over whole prompts:
// - the 276 prompts of the suite with seven replies each: the sample response IFBench's wheel ships for the
//   prompt, the same upper-cased, lower-cased, without punctuation, cut to 30 words, with its lines reversed,
//   and twice over: every check's verdict equals the oracle's per-instruction
//   verdict and every item's pass its follow_all_instructions, strict and loose;
// - the 18 prompts left out are exactly those using ratio:stop_words or words:start_verb, and such an
//   instruction, scored anyway, is an error naming the NLTK download it was refused, never a verdict.
// (The ifeval test's header, for the parts shared:)
// - one constructed reply that follows and one that breaks each of the 25 instruction types: our check
//   passes and fails them, and the oracle agrees;
// - all 541 prompts of the suite, each with three replies (the prompt itself, upper-cased, lower-cased
//   without commas): every check's verdict equals the oracle's per-instruction verdict, every item's pass
//   equals the oracle's follow_all_instructions (prompt-level), strict and loose;
// - bad input: a 1.2 MB reply is an error (not verified), odd unicode is verified, neither hangs.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ensureAllSuiteData,
  IFBENCH_UNAVAILABLE_INSTRUCTIONS,
  ifbenchVerifiable,
  parseIfbench,
  suiteDataPath,
  type IfbenchPrompt,
  type SuiteItem,
} from "@evalstack/evaluator/suites";
import { type EvaluatorProcess, startEvaluator } from "./helpers/evaluator.js";
import { pooled, type ScoreBody, scoreReply, suiteItems } from "./helpers/scoreApi.js";
import { stopAll } from "./helpers/processes.js";

let evaluator: EvaluatorProcess;
const score = (item: SuiteItem, reply: string) => scoreReply(evaluator, item, reply);
const suite = (id: string) => suiteItems(evaluator, id);
let dataDir = "";
const verifierDir = join(
  process.env.EVALSTACK_SUITE_CACHE_DIR ?? join(process.env.HOME ?? "", ".cache", "evalstack", "suites"),
  "v1",
  "ifbench-verifier",
);

// The oracle: the reference's own evaluation functions over whole prompts, in their own process, with the
// worker's guards (downloads blocked, Python's random seeded before each prompt; the worker seeds it before
// each instruction).
const ORACLE = `
import json, random, sys
sys.path.insert(0, sys.argv[4])
import verifier
verifier.block_network()
verifier.block_spacy_download()
sys.path.insert(0, sys.argv[1])
from ifbench import evaluation_lib as evaluation
out = []
for line in open(sys.argv[2]):
    c = json.loads(line)
    verdict = {}
    # One input for both, in the reference's order: its strict test drops the null arguments from the input
    # in place, and its loose test (which does not) relies on that, as run_eval does.
    inp = evaluation.InputExample(key=0, instruction_id_list=c["instruction_id_list"], prompt=c["prompt"], kwargs=[dict(k) for k in c["kwargs"]])
    for mode, test in (("strict", evaluation.test_instruction_following_strict), ("loose", evaluation.test_instruction_following_loose)):
        random.seed(0)
        o = test(inp, {c["prompt"]: c["response"]})
        verdict[mode] = o.follow_instruction_list
        verdict[mode + "_all"] = o.follow_all_instructions
    out.append(verdict)
json.dump(out, open(sys.argv[3], "w"))
`;

interface OracleCase {
  prompt: string;
  instruction_id_list: string[];
  kwargs: Record<string, unknown>[];
  response: string;
}
interface OracleVerdict {
  strict: boolean[];
  strict_all: boolean;
  loose: boolean[];
  loose_all: boolean;
}

async function oracle(cases: OracleCase[]): Promise<OracleVerdict[]> {
  const script = join(dataDir, "oracle.py");
  const input = join(dataDir, "oracle-in.jsonl");
  const output = join(dataDir, "oracle-out.json");
  await writeFile(script, ORACLE);
  await writeFile(input, `${cases.map((c) => JSON.stringify(c)).join("\n")}\n`);
  execFileSync(
    join(verifierDir, "venv", "bin", "python"),
    [script, verifierDir, input, output, join("services", "evaluator", "verifiers")],
    {
      env: {
        PATH: "/usr/bin:/bin",
        PYTHONHASHSEED: "0",
        PYTHONDONTWRITEBYTECODE: "1",
        NLTK_DATA: join(verifierDir, "nltk_data"),
        HOME: verifierDir,
      },
      stdio: ["ignore", "ignore", "pipe"],
      timeout: 600_000,
    },
  );
  return JSON.parse(await readFile(output, "utf8")) as OracleVerdict[];
}

beforeAll(async () => {
  await ensureAllSuiteData();
  execFileSync("bash", ["scripts/ci/install-verifier-envs.sh"], { stdio: "inherit" });
  dataDir = await mkdtemp(join(tmpdir(), "evalstack-ifbench-"));
  evaluator = await startEvaluator({
    models: "qwen=127.0.0.1:9",
    dbPath: join(dataDir, "evalstack.db"),
    env: {
      LOG_LEVEL: "warn",
    },
  });
}, 300_000);

afterAll(async () => {
  await stopAll();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("ifbench against the reference verifiers", () => {
  let all: IfbenchPrompt[] = [];
  let samples = new Map<string, string>();
  beforeAll(async () => {
    all = parseIfbench(await readFile(suiteDataPath("ifbench"), "utf8"));
    const lines = (await readFile(join(verifierDir, "ifbench", "data", "sample_output.jsonl"), "utf8")).split("\n").filter(Boolean);
    samples = new Map(lines.map((l) => JSON.parse(l) as { prompt: string; response: string }).map((r) => [r.prompt, r.response]));
  });

  it("lists the 276 verifiable prompts; the 18 left out are exactly those using an instruction without its data", async () => {
    const items = await suite("ifbench");
    expect(all).toHaveLength(294);
    expect(items).toHaveLength(276);
    expect(items.map((i) => i.id)).toEqual(ifbenchVerifiable(all).map((p) => `ifbench-${p.key}`));
    const left = all.filter((p) => !items.some((i) => i.id === `ifbench-${p.key}`));
    expect(left).toHaveLength(18);
    expect(left.every((p) => p.instruction_id_list.some((i) => IFBENCH_UNAVAILABLE_INSTRUCTIONS.includes(i)))).toBe(true);
    expect(items.flatMap((i) => i.checks).every((c) => c.type === "ifbench")).toBe(true);
  });

  for (const mode of ["strict", "loose"] as const) {
    it(`every check and every prompt-level verdict equals the reference's (${mode}), on seven replies per prompt`, async () => {
      const items = new Map((await suite("ifbench")).map((i) => [i.id, i]));
      const prompts = ifbenchVerifiable(all);
      const cases = prompts.flatMap((p) => {
        const sample = samples.get(p.prompt) ?? "";
        // The sample and mechanical variants of it, so that many instruction types are seen both followed and not.
        const words = sample.split(/\s+/).filter(Boolean);
        return [
          sample,
          sample.toUpperCase(),
          sample.toLowerCase(),
          sample.replace(/[^\p{L}\p{N}\s]/gu, ""),
          words.slice(0, 30).join(" "),
          sample.split("\n").reverse().join("\n"),
          `${sample}\n\n${sample}`,
        ].map((reply) => ({ p, reply }));
      });
      expect(cases.filter((c) => c.reply === "")).toEqual([]);
      const verdicts = await oracle(
        cases.map(({ p, reply }) => ({ prompt: p.prompt, instruction_id_list: p.instruction_id_list, kwargs: p.kwargs, response: reply })),
      );
      const ours = await pooled(cases, 4, ({ p, reply }) => {
        const item = items.get(`ifbench-${p.key}`) as SuiteItem;
        return score(mode === "strict" ? item : { ...item, checks: item.checks.map((c) => ({ ...c, loose: true })) }, reply);
      });
      const mismatches: string[] = [];
      const seen = new Map<string, Set<boolean>>();
      let promptsFollowed = 0;
      cases.forEach(({ p }, i) => {
        const o = verdicts[i] as OracleVerdict;
        const r = ours[i] as ScoreBody;
        const want = mode === "strict" ? o.strict : o.loose;
        const all = mode === "strict" ? o.strict_all : o.loose_all;
        if (r.error !== undefined) mismatches.push(`ifbench-${p.key} #${i % 7}: error ${r.error}`);
        else if (r.passed !== all || JSON.stringify(r.checks.map((c) => c.passed)) !== JSON.stringify(want))
          mismatches.push(
            `ifbench-${p.key} #${i % 7}: ours ${JSON.stringify(r.checks.map((c) => c.passed))}, reference ${JSON.stringify(want)}`,
          );
        if (r.passed) promptsFollowed++;
        p.instruction_id_list.forEach((id, k) => {
          const s = seen.get(id) ?? new Set<boolean>();
          s.add(want[k] === true);
          seen.set(id, s);
        });
      });
      expect(mismatches).toEqual([]);
      const both = [...seen.values()].filter((s) => s.size === 2).length;
      const oneSided = [...seen.entries()]
        .filter(([, s]) => s.size === 1)
        .map(([id, s]) => `${id} (${s.has(true) ? "always followed" : "never followed"})`)
        .sort();
      if (mode === "strict") console.log(`ifbench: instruction types seen in one direction only: ${oneSided.join(", ")}`);
      console.log(
        `ifbench ${mode}: ${promptsFollowed}/${cases.length} replies follow every instruction; ${both} of ${seen.size} instruction types seen both followed and not; the reference agrees on all`,
      );
      expect(promptsFollowed).toBe(verdicts.filter((v) => (mode === "strict" ? v.strict_all : v.loose_all)).length);
      expect(promptsFollowed).toBeGreaterThan(0);
      expect(promptsFollowed).toBeLessThan(cases.length);
    }, 900_000);
  }

  it("constructed replies: one that follows and one that breaks types the sample variants never follow", async () => {
    const csv = ["ID,Country,City,Year,Count", ...Array.from({ length: 7 }, (_, i) => `${i + 1},France,Paris,${2000 + i},${i * 10}`)];
    const constructed: { id: string; good: string; bad: string }[] = [
      { id: "words:alphabet", good: "Apples bring cats delight, every fig grows.", bad: "Apples bring dogs." },
      { id: "words:vowel", good: "A bad cat sat at a mat.", bad: "A bad cat sat on the mud, I guess." },
      { id: "words:consonants", good: "Strong black trucks crash.", bad: "A cat ran." },
      { id: "custom:multiples", good: "14, 21, 28, 35, 42, 49", bad: "14, 21, 28" },
      { id: "format:thesis", good: "<i>Cats rule the house.</i> They always have.", bad: "Cats rule the house. They always have." },
      { id: "format:no_bullets_bullets", good: "It rains. It pours.\n* umbrellas\n* boots", bad: "* umbrellas\n* boots" },
      { id: "custom:csv_city", good: csv.join("\n"), bad: csv.slice(0, 4).join("\n") },
    ];
    const items = await suite("ifbench");
    const cases = constructed.flatMap((c) => {
      const item = items.find((i) => i.checks.some((k) => k.instruction_id === c.id)) as SuiteItem;
      const check = item.checks.find((k) => k.instruction_id === c.id) as SuiteItem["checks"][number];
      const single: SuiteItem = { ...item, checks: [check] };
      return [
        { c, single, check, reply: c.good, expect: true },
        { c, single, check, reply: c.bad, expect: false },
      ];
    });
    const verdicts = await oracle(
      cases.map(({ single, check, reply }) => ({
        prompt: single.messages[0]?.content ?? "",
        instruction_id_list: [check.instruction_id as string],
        kwargs: [check.kwargs as Record<string, unknown>],
        response: reply,
      })),
    );
    const ours = await pooled(cases, 4, ({ single, reply }) => score(single, reply));
    const wrong = cases
      .map((k, i) => ({ k, ours: ours[i] as ScoreBody, oracle: verdicts[i] as OracleVerdict }))
      .filter(({ k, ours, oracle }) => ours.passed !== k.expect || oracle.strict_all !== k.expect || ours.error !== undefined)
      .map(
        ({ k, ours, oracle }) =>
          `${k.c.id} ${k.expect ? "good" : "bad"}: ours ${ours.passed} (${ours.checks[0]?.detail ?? ours.error}), reference ${oracle.strict_all}`,
      );
    expect(wrong).toEqual([]);
  }, 120_000);

  it("an instruction whose NLTK data is not installed is an error naming the refused download, never a verdict", async () => {
    const p = all.find((q) => q.instruction_id_list.includes("ratio:stop_words")) as IfbenchPrompt;
    const k = p.instruction_id_list.indexOf("ratio:stop_words");
    const item: SuiteItem = {
      id: "ifbench-stop-words",
      dimension: "instruction_following",
      messages: [{ role: "user", content: p.prompt }],
      checks: [{ type: "ifbench", instruction_id: "ratio:stop_words", kwargs: p.kwargs[k] ?? {}, prompt: p.prompt }],
    };
    const r = await score(item, "The cat sat on the mat and it was happy.");
    expect(r.passed).toBe(false);
    expect(r.error).toMatch(/nltk\.download\('stopwords'\) attempted: that NLTK data is not installed/);
  }, 120_000);
});
