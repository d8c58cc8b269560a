// The `code` check: the reply's code plus the item's tests, run in the sandbox; passes on exit 0 in time.

import { randomUUID } from "node:crypto";
import { type SandboxLanguage, runInSandbox } from "../sandbox/sandbox.js";
import { SANDBOX_CEILINGS } from "../sandbox/limits.js";
import type { CheckResult } from "../types.js";
import { type CheckSpec, excerpt, requireString } from "./checkSpec.js";

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
  fields: ["language", "tests", "timeout_ms"],
  validate(check, path, issues) {
    if (check.language !== "python" && check.language !== "javascript") {
      issues.push({ path: `${path}.language`, message: check.language === undefined ? "is required" : `must be "python" or "javascript"` });
    }
    requireString(check, "tests", path, issues);
    const t = check.timeout_ms;
    if (t !== undefined && !(typeof t === "number" && Number.isInteger(t) && t > 0 && t <= SANDBOX_CEILINGS.timeoutMs)) {
      issues.push({ path: `${path}.timeout_ms`, message: `must be an integer from 1 to ${SANDBOX_CEILINGS.timeoutMs}` });
    }
  },
  async run(check, reply, ctx): Promise<CheckResult> {
    const language = check.language as SandboxLanguage;
    const { code, source } = extractCode(reply, language);
    // A random marker written after the tests: exiting 0 before the tests ran (sys.exit(0) in the reply) is
    // not a pass. It goes to stderr, which a correct solution rarely fills past the output cap.
    const marker = `evalstack-tests-completed-${randomUUID()}`;
    const done = language === "python" ? `import sys as _evalstack_sys\n_evalstack_sys.stderr.write("${marker}\\n")` : `process.stderr.write("${marker}\\n");`;
    const program = `${code}\n\n${check.tests as string}\n\n${done}\n`;
    const timeoutMs = typeof check.timeout_ms === "number" ? check.timeout_ms : ctx.sandbox?.timeoutMs;
    const r = await runInSandbox(language, program, { ...ctx.sandbox, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
    const ms = Math.round(r.durationMs);
    if (r.timedOut) return { type: "code", passed: false, detail: `timed out after ${ms} ms (code from ${source})` };
    if (r.exitCode === 0 && r.stderr.includes(marker)) return { type: "code", passed: true, detail: `tests passed in ${ms} ms (code from ${source})` };
    if (r.exitCode === 0) return { type: "code", passed: false, detail: `exited 0 before the tests completed (code from ${source})` };
    const why = r.exitCode === null ? `killed by ${r.signal ?? "a signal"}` : `exit ${r.exitCode}`;
    const tail = lastLines(r.stderr.replace(marker, "") || r.stdout, 2);
    return { type: "code", passed: false, detail: `${why} (code from ${source})${tail ? `: ${excerpt(tail, 160)}` : ""}` };
  },
};
