// The ifeval suite through a real evaluator's POST /v1/score, with the IFEval reference verifier (installed
// by npm run suites) as the oracle, run separately and directly on the reference's own
// test_instruction_following_strict/_loose over whole prompts:
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
import { ensureAllSuiteData, parseIfeval, suiteDataPath, type IfevalPrompt, type SuiteItem } from "@evalstack/evaluator/suites";
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
  "ifeval-verifier",
);

// The oracle: the reference's own evaluation functions over whole prompts, in their own process. Python's
// random is seeded before each prompt as the worker seeds it before each instruction: only prompts 1122 and
// 1129 draw from it (a non-letter given to letter_frequency), each in one instruction, so both see the same
// first draw.
const ORACLE = `
import json, random, sys
sys.path.insert(0, sys.argv[1])
import langdetect
langdetect.DetectorFactory.seed = 0
import nltk
nltk.data.path[:] = [sys.argv[1] + "/nltk_data"]
from ifeval_ref import evaluation
out = []
for line in open(sys.argv[2]):
    c = json.loads(line)
    inp = evaluation.InputExample(key=0, instruction_id_list=c["instruction_id_list"], prompt=c["prompt"], kwargs=c["kwargs"])
    random.seed(0)
    s = evaluation.test_instruction_following_strict(inp, {c["prompt"]: c["response"]})
    random.seed(0)
    l = evaluation.test_instruction_following_loose(inp, {c["prompt"]: c["response"]})
    out.append({"strict": s.follow_instruction_list, "strict_all": s.follow_all_instructions, "loose": l.follow_instruction_list, "loose_all": l.follow_all_instructions})
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
  execFileSync(join(verifierDir, "venv", "bin", "python"), [script, verifierDir, input, output], {
    env: { PATH: "/usr/bin:/bin", PYTHONHASHSEED: "0" },
    stdio: ["ignore", "ignore", "pipe"],
    timeout: 600_000,
  });
  return JSON.parse(await readFile(output, "utf8")) as OracleVerdict[];
}

function itemFor(prompt: string, instruction_id: string, kwargs: Record<string, unknown>, loose = false): SuiteItem {
  return {
    id: "ifeval-constructed",
    dimension: "instruction_following",
    messages: [{ role: "user", content: prompt }],
    checks: [{ type: "ifeval", instruction_id, kwargs, prompt, ...(loose ? { loose: true } : {}) }],
  };
}

// One reply that follows the instruction and one that breaks it, for each of IFEval's 25 instruction types.
const GERMAN = "Heute ist das Wetter in Berlin sehr schön, und wir gehen am Nachmittag gemeinsam in den großen Park spazieren.";
const ENGLISH = "Today the weather in Berlin is very nice, and we are going for a walk in the big park this afternoon.";
const CONSTRUCTED: { id: string; kwargs: Record<string, unknown>; prompt?: string; good: string; bad: string }[] = [
  {
    id: "change_case:capital_word_frequency",
    kwargs: { capital_frequency: 2, capital_relation: "at least" },
    good: "THE CAT sat on the mat.",
    bad: "The cat sat on the mat.",
  },
  { id: "change_case:english_capital", kwargs: {}, good: ENGLISH.toUpperCase(), bad: ENGLISH },
  { id: "change_case:english_lowercase", kwargs: {}, good: ENGLISH.toLowerCase(), bad: ENGLISH },
  {
    id: "combination:repeat_prompt",
    kwargs: { prompt_to_repeat: "Write a haiku about rain." },
    prompt: "Write a haiku about rain.",
    good: "Write a haiku about rain.\nSoft rain on the roof",
    bad: "Soft rain on the roof",
  },
  {
    id: "combination:two_responses",
    kwargs: {},
    good: "Rain falls on the roof.\n******\nThe roof hears the rain.",
    bad: "Rain falls on the roof.",
  },
  {
    id: "detectable_content:number_placeholders",
    kwargs: { num_placeholders: 2 },
    good: "Dear [name], we will meet at [address].",
    bad: "Dear [name], we will meet at the station.",
  },
  {
    id: "detectable_content:postscript",
    kwargs: { postscript_marker: "P.S." },
    good: "See you soon.\nP.S. Bring an umbrella.",
    bad: "See you soon. Bring an umbrella.",
  },
  { id: "detectable_format:constrained_response", kwargs: {}, good: "My answer is yes.", bad: "Perhaps, it depends." },
  {
    id: "detectable_format:json_format",
    kwargs: {},
    good: '```json\n{"city": "Berlin", "rain": true}\n```',
    bad: "city: Berlin, rain: true",
  },
  {
    id: "detectable_format:multiple_sections",
    kwargs: { section_spliter: "SECTION", num_sections: 2 },
    good: "SECTION 1\nRain.\nSECTION 2\nSun.",
    bad: "Rain. Then sun.",
  },
  { id: "detectable_format:number_bullet_lists", kwargs: { num_bullets: 2 }, good: "* rain\n* sun", bad: "* rain\n* sun\n* snow" },
  {
    id: "detectable_format:number_highlighted_sections",
    kwargs: { num_highlights: 2 },
    good: "The *rain* and the *sun*.",
    bad: "The *rain* and the sun.",
  },
  { id: "detectable_format:title", kwargs: {}, good: "<<Rain in Berlin>>\nIt rained.", bad: "Rain in Berlin\nIt rained." },
  {
    id: "keywords:existence",
    kwargs: { keywords: ["umbrella", "river"] },
    good: "I took my umbrella to the river.",
    bad: "I took my umbrella to the park.",
  },
  { id: "keywords:forbidden_words", kwargs: { forbidden_words: ["storm"] }, good: "A calm and quiet day.", bad: "A storm is coming." },
  {
    id: "keywords:frequency",
    kwargs: { keyword: "rain", frequency: 3, relation: "at least" },
    good: "Rain, rain and more rain.",
    bad: "Rain and more rain.",
  },
  {
    id: "keywords:letter_frequency",
    kwargs: { letter: "z", let_frequency: 3, let_relation: "less than" },
    good: "A lazy day.",
    bad: "Zebras zigzag in a zoo.",
  },
  { id: "language:response_language", kwargs: { language: "de" }, good: GERMAN, bad: ENGLISH },
  {
    id: "length_constraints:nth_paragraph_first_word",
    kwargs: { num_paragraphs: 2, nth_paragraph: 2, first_word: "then" },
    good: "It rained all morning.\n\nThen the sun came out.",
    bad: "It rained all morning.\n\nLater the sun came out.",
  },
  {
    id: "length_constraints:number_paragraphs",
    kwargs: { num_paragraphs: 2 },
    good: "It rained.\n***\nThe sun came out.",
    bad: "It rained.\n***\nThe sun came out.\n***\nIt snowed.",
  },
  {
    id: "length_constraints:number_sentences",
    kwargs: { num_sentences: 2, relation: "less than" },
    good: "Mr. Smith stayed home all day.",
    bad: "It rained. The sun came out. It snowed.",
  },
  { id: "length_constraints:number_words", kwargs: { num_words: 8, relation: "at least" }, good: ENGLISH, bad: "It rained today." },
  { id: "punctuation:no_comma", kwargs: {}, good: "It rained and then the sun came out.", bad: "It rained, then the sun came out." },
  {
    id: "startend:end_checker",
    kwargs: { end_phrase: "Is there anything else I can help with?" },
    good: "It will rain. Is there anything else I can help with?",
    bad: "Is there anything else I can help with? It will rain.",
  },
  { id: "startend:quotation", kwargs: {}, good: '"It will rain tomorrow."', bad: "It will rain tomorrow." },
];

beforeAll(async () => {
  await ensureAllSuiteData();
  execFileSync("bash", ["scripts/ci/install-verifier-envs.sh"], { stdio: "inherit" });
  dataDir = await mkdtemp(join(tmpdir(), "evalstack-ifeval-"));
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

describe("ifeval: constructed replies per instruction type, through POST /v1/score", () => {
  it("covers all 25 instruction types", () => {
    expect(new Set(CONSTRUCTED.map((c) => c.id)).size).toBe(25);
  });

  it("the following reply passes and the breaking one fails, as the reference verifier says", async () => {
    const prompt = (c: (typeof CONSTRUCTED)[number]) => c.prompt ?? "Write about the weather.";
    const cases = CONSTRUCTED.flatMap((c) => [
      { c, reply: c.good, expect: true },
      { c, reply: c.bad, expect: false },
    ]);
    const verdicts = await oracle(
      cases.map(({ c, reply }) => ({ prompt: prompt(c), instruction_id_list: [c.id], kwargs: [c.kwargs], response: reply })),
    );
    const ours = await pooled(cases, 4, ({ c, reply }) => score(itemFor(prompt(c), c.id, c.kwargs), reply));
    const wrong = cases
      .map((k, i) => ({ k, ours: ours[i] as ScoreBody, oracle: verdicts[i] as OracleVerdict }))
      .filter(({ k, ours, oracle }) => ours.passed !== k.expect || oracle.strict_all !== k.expect || ours.error !== undefined)
      .map(
        ({ k, ours, oracle }) =>
          `${k.c.id} ${k.expect ? "good" : "bad"}: ours ${ours.passed} (${ours.checks[0]?.detail ?? ours.error}), reference ${oracle.strict_all}`,
      );
    expect(wrong).toEqual([]);
  }, 300_000);
});

describe("ifeval: all 541 prompts against the reference verifier", () => {
  let prompts: IfevalPrompt[] = [];
  beforeAll(async () => {
    prompts = parseIfeval(await readFile(suiteDataPath("ifeval"), "utf8"));
  });

  it("lists 541 items with 834 ifeval checks (strict), and the loose suite the same checks with loose", async () => {
    const strict = await suite("ifeval");
    const loose = await suite("ifeval-loose");
    expect(strict).toHaveLength(541);
    expect(strict.map((i) => i.id)).toEqual(prompts.map((p) => `ifeval-${p.key}`));
    expect(strict.flatMap((i) => i.checks)).toHaveLength(834);
    expect(new Set(strict.flatMap((i) => i.checks.map((c) => c.instruction_id))).size).toBe(25);
    expect(loose.flatMap((i) => i.checks).every((c) => c.type === "ifeval" && c.loose === true)).toBe(true);
  });

  for (const mode of ["strict", "loose"] as const) {
    it(`every check and every prompt-level verdict equals the reference's (${mode}), on three replies per prompt`, async () => {
      const items = new Map((await suite(mode === "strict" ? "ifeval" : "ifeval-loose")).map((i) => [i.id, i]));
      const cases = prompts.flatMap((p) =>
        [p.prompt, p.prompt.toUpperCase(), p.prompt.toLowerCase().replace(/,/g, "")].map((reply) => ({ p, reply })),
      );
      const verdicts = await oracle(
        cases.map(({ p, reply }) => ({ prompt: p.prompt, instruction_id_list: p.instruction_id_list, kwargs: p.kwargs, response: reply })),
      );
      const ours = await pooled(cases, 4, ({ p, reply }) => score(items.get(`ifeval-${p.key}`) as SuiteItem, reply));
      const mismatches: string[] = [];
      let promptsFollowed = 0;
      let instructionsFollowed = 0;
      cases.forEach(({ p }, i) => {
        const o = verdicts[i] as OracleVerdict;
        const r = ours[i] as ScoreBody;
        const want = mode === "strict" ? o.strict : o.loose;
        const all = mode === "strict" ? o.strict_all : o.loose_all;
        if (r.error !== undefined) mismatches.push(`ifeval-${p.key} #${i % 3}: error ${r.error}`);
        else if (r.passed !== all || JSON.stringify(r.checks.map((c) => c.passed)) !== JSON.stringify(want))
          mismatches.push(
            `ifeval-${p.key} #${i % 3}: ours ${JSON.stringify(r.checks.map((c) => c.passed))}, reference ${JSON.stringify(want)}`,
          );
        if (r.passed) promptsFollowed++;
        instructionsFollowed += r.checks.filter((c) => c.passed).length;
      });
      expect(mismatches).toEqual([]);
      console.log(
        `ifeval ${mode}: ${promptsFollowed}/${cases.length} replies follow every instruction, ${instructionsFollowed} instructions followed; the reference agrees on all`,
      );
      // The reference's own aggregates (print_report): prompt-level and instruction-level accuracy.
      expect(promptsFollowed).toBe(verdicts.filter((v) => (mode === "strict" ? v.strict_all : v.loose_all)).length);
      expect(instructionsFollowed).toBe(verdicts.flatMap((v) => (mode === "strict" ? v.strict : v.loose)).filter(Boolean).length);
      // The replies exercise both verdicts: some followed, some not.
      expect(promptsFollowed).toBeGreaterThan(0);
      expect(promptsFollowed).toBeLessThan(cases.length);
    }, 900_000);
  }
});

describe("ifeval: bad input", () => {
  it("a 1.2 MB reply is an error, not a verdict, and does not hang; odd unicode is verified", async () => {
    const item = itemFor("Write about the weather.", "punctuation:no_comma", {});
    // Under the API's 1,000,000-character limit, over the verifier's 1 MiB: 600,000 two-byte characters.
    const huge = await score(item, "é".repeat(600_000));
    expect(huge.passed).toBe(false);
    expect(huge.error).toMatch(/over the IFEval verifier's 1048576-byte limit/);
    const odd = "\u0000\u202e\u200b\ud800 \u{1F600} e\u0301 \uFFFF text without commas";
    const r = await score(item, odd);
    expect(r.error).toBeUndefined();
    expect(r.passed).toBe(true);
    const withComma = await score(item, `${odd},`);
    expect(withComma.passed).toBe(false);
  }, 120_000);

  it("a verifier that overruns its time limit is an error; its worker is killed and the next request gets a fresh one", async () => {
    const slow = await startEvaluator({
      models: "qwen=127.0.0.1:9",
      dbPath: join(dataDir, "short-timeout.db"),
      env: { EVALSTACK_IFEVAL_TIMEOUT_MS: "500", LOG_LEVEL: "warn" },
    });
    const post = async (item: SuiteItem, reply: string) =>
      (await (
        await slow.call("/v1/score", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ item, reply }),
        })
      ).json()) as ScoreBody;
    // Punkt over ~900 KB of one-word sentences takes seconds: well past 500 ms.
    const started = Date.now();
    const overrun = await post(
      itemFor("p", "length_constraints:number_sentences", { num_sentences: 2, relation: "less than" }),
      "Word. ".repeat(150_000),
    );
    expect(overrun.passed).toBe(false);
    expect(overrun.error).toMatch(/did not answer within 500 ms \(worker killed\)/);
    expect(Date.now() - started).toBeLessThan(30_000);
    const next = await post(itemFor("p", "punctuation:no_comma", {}), "no commas here");
    expect(next.error).toBeUndefined();
    expect(next.passed).toBe(true);
  }, 120_000);
});
