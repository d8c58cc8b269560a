// What scoring returns for one reply: each check's result and the item's score.

export interface CheckResult {
  type: string;
  passed: boolean;
  detail: string;
  /** Set when the check could not be evaluated (e.g. the sandbox has no python3): never a silent pass. */
  error?: string;
  /** Code checks: the sandbox isolation the code ran under. */
  isolation?: "namespaces" | "rlimits";
}

export interface ItemScore {
  /** Prompt-level: every check passed. */
  passed: boolean;
  /** Instruction-level: the share of checks passed (1 for an item without checks). */
  score: number;
  checks: CheckResult[];
  /** Set when a check could not be evaluated: the item is an error, not a pass or a fail. */
  error?: string;
}
