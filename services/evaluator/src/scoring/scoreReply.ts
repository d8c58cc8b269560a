// Scoring one reply against one item: every check runs; the item passes when all pass (prompt-level), and
// the share of checks passed is the instruction-level score.

import { checkSpec } from "./checks/registry.js";
import type { Sandbox } from "./sandbox/sandbox.js";
import type { CheckResult, ItemScore } from "./types.js";
import type { SuiteItem } from "../suites/types.js";

export async function scoreReply(item: SuiteItem, reply: string, options: { sandbox?: Sandbox } = {}): Promise<ItemScore> {
  const checks: CheckResult[] = [];
  for (const check of item.checks) {
    const spec = checkSpec(check.type);
    if (!spec) {
      checks.push({ type: check.type, passed: false, detail: `unknown check type '${check.type}'` });
      continue;
    }
    try {
      checks.push(await spec.run(check, reply, { ...(options.sandbox ? { sandbox: options.sandbox } : {}) }));
    } catch (err) {
      // The check could not be evaluated (e.g. no interpreter for the sandbox): an error, never a silent fail.
      const message = (err as Error).message;
      checks.push({ type: check.type, passed: false, detail: `check could not run: ${message}`, error: message });
    }
  }
  const passedCount = checks.filter((c) => c.passed).length;
  const errors = checks.filter((c) => c.error !== undefined).map((c) => `${c.type}: ${c.error}`);
  return {
    passed: errors.length === 0 && checks.every((c) => c.passed),
    score: checks.length === 0 ? 1 : passedCount / checks.length,
    checks,
    ...(errors.length > 0 ? { error: errors.join("; ") } : {}),
  };
}

/** The synchronous path for items without code checks (used by the benchmark and bulk rescoring). */
export function scoreReplySync(item: SuiteItem, reply: string): ItemScore {
  const checks: CheckResult[] = item.checks.map((check) => {
    const spec = checkSpec(check.type);
    if (!spec) return { type: check.type, passed: false, detail: `unknown check type '${check.type}'` };
    const r = spec.run(check, reply, {});
    if (r instanceof Promise) throw new Error(`check type '${check.type}' is asynchronous; use scoreReply`);
    return r;
  });
  const passedCount = checks.filter((c) => c.passed).length;
  return { passed: checks.every((c) => c.passed), score: checks.length === 0 ? 1 : passedCount / checks.length, checks };
}
