// The suite format's types: items, their messages and checks. A public format: change it only compatibly.

export type Dimension = "instruction_following" | "math" | "code" | "structured" | "latency";
export const DIMENSIONS: readonly Dimension[] = ["instruction_following", "math", "code", "structured", "latency"];

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** One check: `type` plus its own fields (see scoring/checks for each type's semantics). */
export interface Check {
  type: string;
  [field: string]: unknown;
}

export interface SuiteItem {
  id: string;
  dimension: Dimension;
  /** Normalised: a suite file may give `prompt` instead, which becomes one user message. */
  messages: ChatMessage[];
  max_tokens?: number;
  checks: Check[];
}

export interface Suite {
  id: string;
  description: string;
  items: SuiteItem[];
  builtin: boolean;
}
