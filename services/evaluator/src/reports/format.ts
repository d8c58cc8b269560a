// Number and text formatting shared by the renderers.
import type { ModelSnapshot } from "../runs/types.js";

/** The cell of a figure an OpenAI-compatible server does not report (never a made-up number). */
export const NOT_REPORTED = "not reported";

/** One line naming the model actually behind a name: GGUF facts for a gRPC target, the served id for an OpenAI one. */
export function describeSnapshot(s: ModelSnapshot): string {
  if (s.kind === "openai")
    return `${s.model_name} (OpenAI-compatible server; size, parameters, load time and memory not reported) at ${s.target}`;
  return `${s.model_name} (${s.architecture}, ${s.quantization || "n/a"}, ${fmtCount(s.parameter_count)} parameters, sha256 ${s.sha256.slice(0, 12)}) at ${s.target}`;
}

export function fmtMs(ms: number | null): string {
  if (ms === null) return "n/a";
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

export function fmtBytes(bytes: number | null): string {
  if (bytes === null || bytes === 0) return "n/a";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v >= 100 || u === 0 ? 0 : v >= 10 ? 1 : 2)} ${units[u]}`;
}

export function fmtCount(n: number | null): string {
  if (n === null || n === 0) return "n/a";
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(0)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} K`;
  return String(n);
}

export function fmtRate(x: number | null): string {
  return x === null ? "n/a" : x.toFixed(1);
}

export function fmtP(p: number): string {
  if (p >= 0.999) return "1.000";
  return p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}

export const VERDICT_TEXT = {
  a_better: (a: string) => `${a} better`,
  b_better: (_a: string, b: string) => `${b} better`,
  no_significant_difference: () => "no significant difference",
  sample_too_small: () => "sample too small",
} as const;

/** Markdown table cell: no pipes or newlines. */
export function mdCell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}
