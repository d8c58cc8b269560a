// Which sandbox isolation a run's code items ran under, from what is stored with each item (every code
// check records its mode), so a report never hides a weak or missing sandbox.

import type { RunItemResult } from "../runs/types.js";

export interface SandboxSummary {
  /** Code checks per isolation they ran under. */
  namespaces: number;
  rlimits: number;
  /** Code checks that could not run (e.g. "sandbox isolation unavailable"): errors, never passes. */
  unavailable: number;
  /** Code checks stored before the mode was recorded. */
  unrecorded: number;
  /** One line for every rendering: "namespaces (10 code checks)", "none (no code items)", ... */
  summary: string;
}

export function summarizeSandbox(items: RunItemResult[]): SandboxSummary {
  const s = { namespaces: 0, rlimits: 0, unavailable: 0, unrecorded: 0 };
  for (const item of items) {
    for (const check of item.score?.checks ?? []) {
      if (check.type !== "code") continue;
      if (check.isolation === "namespaces" || check.isolation === "rlimits") s[check.isolation]++;
      else if (check.error !== undefined) s.unavailable++;
      else s.unrecorded++;
    }
  }
  const parts: string[] = [];
  const n = (k: number) => `${k} code check${k === 1 ? "" : "s"}`;
  if (s.namespaces) parts.push(`namespaces (${n(s.namespaces)})`);
  if (s.rlimits) parts.push(`rlimits only, weak: no file-system, network or pid isolation (${n(s.rlimits)})`);
  if (s.unavailable) parts.push(`could not run (${n(s.unavailable)}, errors: sandbox isolation unavailable or not set up)`);
  if (s.unrecorded) parts.push(`not recorded (${n(s.unrecorded)}, stored before modes were recorded)`);
  return { ...s, summary: parts.length ? parts.join("; ") : "none (no code items)" };
}
