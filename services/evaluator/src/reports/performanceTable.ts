import { fmtBytes, fmtCount, fmtMs, fmtRate } from "./format.js";
import type { Report } from "./reportTypes.js";

export interface PerformanceRow {
  label: string;
  /** One formatted cell per model, in the order of `report.performance`. */
  cells: string[];
}

/**
 * The seed's performance table (size, load time, first-token latency, speed, memory), formatted once so the
 * Markdown and HTML reports, the terminal and the web UI show the same rows.
 */
export function performanceTable(report: Report): PerformanceRow[] {
  const latency = (model: string) => report.latency.find((l) => l.model === model);
  const rows: [string, (p: Report["performance"][number]) => string][] = [
    ["Model", (p) => p.model_name || "n/a"],
    ["Parameters", (p) => fmtCount(p.parameter_count)],
    ["Quantization", (p) => p.quantization || "n/a"],
    ["Model size (file)", (p) => fmtBytes(p.file_size_bytes)],
    ["Load time", (p) => fmtMs(p.load_ms)],
    ["First-token latency p50", (p) => fmtMs(p.ttft_ms_p50)],
    ["First-token latency p95", (p) => fmtMs(p.ttft_ms_p95)],
    ["Generation speed p50 (tokens/s)", (p) => fmtRate(p.tokens_per_second_p50)],
    ["End-to-end p50", (p) => fmtMs(p.e2e_ms_p50)],
    ["End-to-end p95", (p) => fmtMs(latency(p.model)?.e2e_ms_p95 ?? null)],
    ["Peak RAM", (p) => fmtBytes(p.peak_ram_bytes)],
    ["GPU memory", (p) => (p.vram_bytes ? fmtBytes(p.vram_bytes) : "none (CPU)")],
    ["GPU", (p) => p.gpu || "none"],
    ["Replies measured", (p) => String(latency(p.model)?.replies ?? 0)],
  ];
  return rows.map(([label, cell]) => ({ label, cells: report.performance.map(cell) }));
}
