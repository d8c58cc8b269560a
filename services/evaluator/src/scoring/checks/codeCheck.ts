// The `code` check: the reply's code in one sandbox, the item's tests in another calling it (Sandbox.runTests);
// passes only when the tests ran to their end, as the judge's own exit status says.

import type { SandboxLanguage } from "../sandbox/sandbox.js";
import { SANDBOX_CEILINGS } from "../sandbox/limits.js";
import type { CheckResult } from "../types.js";
import { type CheckSpec, excerpt, requireString } from "./checkSpec.js";
import { assembleProgram, PYTHON_IDENTIFIER } from "./codeProgram.js";

const LANGUAGE_TAGS: Record<SandboxLanguage, string[]> = {
  python: ["python", "python3", "py", "py3"],
  javascript: ["javascript", "js", "node", "nodejs", "cjs", "mjs"],
};

const FENCED = /^[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*\n([\s\S]*?)^[ \t]*\1[ \t]*$/gm;

/** The code to run: the first fenced block in the language, else the first fenced block, else the reply. */
export function extractCode(reply: string, language: SandboxLanguage): { code: string; source: string } {
  const blocks: { tag: string; body: string }[] = [];
  FENCED.lastIndex = 0;
  for (let m = FENCED.exec(reply); m !== null; m = FENCED.exec(reply)) {
    blocks.push({ tag: (m[2] ?? "").toLowerCase(), body: (m[3] ?? "").replace(/\r?\n$/, "") });
  }
  // An unterminated last fence (a reply cut off by max_tokens) still counts as a block.
  if (blocks.length === 0) {
    const open = /^[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*\n([\s\S]*)$/m.exec(reply);
    if (open) blocks.push({ tag: (open[2] ?? "").toLowerCase(), body: open[3] ?? "" });
  }
  const inLanguage = blocks.find((b) => LANGUAGE_TAGS[language].includes(b.tag));
  if (inLanguage) return { code: inLanguage.body, source: `fenced ${inLanguage.tag} block` };
  if (blocks[0]) return { code: blocks[0].body, source: `first fenced block${blocks[0].tag ? ` (${blocks[0].tag})` : ""}` };
  return { code: reply, source: "whole reply" };
}

/** The last n meaningful lines (a traceback's caret and tilde markers are skipped). */
function lastLines(text: string, n: number): string {
  return text
    .trimEnd()
    .split("\n")
    .filter((l) => !/^[\s^~]*$/.test(l))
    .slice(-n)
    .join(" | ");
}

export const codeCheck: CheckSpec = {
  fields: ["language", "tests", "timeout_ms", "prefix", "entry_point"],
  validate(check, path, issues) {
    if (check.language !== "python" && check.language !== "javascript") {
      issues.push({ path: `${path}.language`, message: check.language === undefined ? "is required" : `must be "python" or "javascript"` });
    }
    requireString(check, "tests", path, issues);
    if (check.prefix !== undefined && typeof check.prefix !== "string")
      issues.push({ path: `${path}.prefix`, message: "must be a string" });
    const entry = check.entry_point;
    if (entry !== undefined) {
      if (typeof entry !== "string" || !PYTHON_IDENTIFIER.test(entry))
        issues.push({ path: `${path}.entry_point`, message: "must be a function name (letters, digits, _)" });
      else if (check.language !== "python") issues.push({ path: `${path}.entry_point`, message: "is for python code checks" });
      else if (check.prefix === undefined)
        issues.push({ path: `${path}.entry_point`, message: "needs a prefix (the code whose stub the reply may replace)" });
    }
    const t = check.timeout_ms;
    if (t !== undefined && !(typeof t === "number" && Number.isInteger(t) && t > 0 && t <= SANDBOX_CEILINGS.timeoutMs)) {
      issues.push({ path: `${path}.timeout_ms`, message: `must be an integer from 1 to ${SANDBOX_CEILINGS.timeoutMs}` });
    }
  },
  async run(check, reply, ctx): Promise<CheckResult> {
    const language = check.language as SandboxLanguage;
    if (!ctx.sandbox) throw new Error("no sandbox is configured for code checks in this process");
    const extracted = extractCode(reply, language);
    const { program: code, mode } = assembleProgram(check as { prefix?: string; entry_point?: string }, extracted.code);
    const source = mode === "as is" ? extracted.source : `${extracted.source}, ${mode}`;
    const timeoutMs = typeof check.timeout_ms === "number" ? check.timeout_ms : undefined;
    const r = await ctx.sandbox.runTests(language, code, check.tests as string, timeoutMs !== undefined ? { timeoutMs } : {});
    const ms = Math.round(r.durationMs);
    const isolation = r.isolation;
    const from = `code from ${source}; ${isolation} sandbox`;
    if (r.timedOut) return { type: "code", passed: false, detail: `timed out after ${ms} ms (${from})`, isolation };
    if (r.passed) return { type: "code", passed: true, detail: `tests passed in ${ms} ms (${from})`, isolation };
    const judge = r.judge;
    const why =
      judge.exitCode === null ? `killed by ${judge.signal ?? "a signal"}` : r.candidateEnded ? "not tested" : `exit ${judge.exitCode}`;
    // The judge says why (a failed assertion, the code ended early); the code's own traceback adds where.
    const tail = [lastLines(judge.stderr || judge.stdout, 2), r.candidateEnded ? lastLines(r.candidate.stderr, 1) : ""]
      .filter(Boolean)
      .join(" | ");
    return { type: "code", passed: false, detail: `${why} (${from})${tail ? `: ${excerpt(tail, 200)}` : ""}`, isolation };
  },
};
