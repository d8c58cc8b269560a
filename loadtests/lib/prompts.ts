// The prompts a load test sends: a JSON array (or JSONL) of suite-like items. The default is the seed-50
// suite, exported by scripts/loadtest.ts; prompts/fallback.json stands in when that suite is not available.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface PromptMessage {
  role: string;
  content: string;
}

export interface Prompt {
  id: string;
  messages: PromptMessage[];
  /** The item's own max_tokens; a load test's MAX_TOKENS caps it. */
  maxTokens?: number;
}

export const FALLBACK_PROMPTS_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "prompts", "fallback.json");

function normalise(raw: unknown, index: number, file: string): Prompt {
  const where = `${file}[${index}]`;
  if (typeof raw === "string") return { id: `p${index}`, messages: [{ role: "user", content: raw }] };
  if (typeof raw !== "object" || raw === null) throw new Error(`${where}: expected an object or a string`);
  const item = raw as Record<string, unknown>;
  const id = typeof item.id === "string" ? item.id : `p${index}`;
  let messages: PromptMessage[];
  if (Array.isArray(item.messages)) {
    messages = item.messages.map((m, i) => {
      const message = m as Record<string, unknown>;
      if (typeof message.role !== "string" || typeof message.content !== "string") {
        throw new Error(`${where}.messages[${i}]: expected {role, content} strings`);
      }
      return { role: message.role, content: message.content };
    });
  } else if (typeof item.prompt === "string") {
    messages = [{ role: "user", content: item.prompt }];
  } else {
    throw new Error(`${where}: needs "messages" or "prompt"`);
  }
  if (messages.length === 0) throw new Error(`${where}: no messages`);
  const maxTokens = typeof item.max_tokens === "number" ? item.max_tokens : undefined;
  return maxTokens === undefined ? { id, messages } : { id, messages, maxTokens };
}

/** Reads a JSON array or JSONL file of prompts. */
export function loadPrompts(file: string): Prompt[] {
  const text = readFileSync(file, "utf8");
  const trimmed = text.trimStart();
  const raws: unknown[] = trimmed.startsWith("[")
    ? (JSON.parse(text) as unknown[])
    : text
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line) as unknown);
  const prompts = raws.map((raw, i) => normalise(raw, i, file));
  if (prompts.length === 0) throw new Error(`${file}: no prompts`);
  return prompts;
}
