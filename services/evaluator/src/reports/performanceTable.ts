import { NOT_REPORTED, fmtBytes, fmtCount, fmtMs, fmtRate } from "./format.js";
import type { PerformanceRow as ReportPerformanceRow, Report, UnreportedFigure } from "./reportTypes.js";

export interface PerformanceRow {
  label: string;
  /** One formatted cell per model, in the order of `report.performance`. */
  cells: string[];
}

/**
 * The seed's performance table (size, load time, first-token latency, speed, memory), formatted once so the
 * Markdown and HTML reports, the terminal and the web UI show the same rows. A figure the target does not report
 * (an OpenAI-compatible server: size, load time, memory) reads "not reported"; timings the evaluator measured
 * itself (client-side) say so.
 */
export function performanceTable(report: Report): PerformanceRow[] {
  const latency = (model: string) => report.latency.find((l) => l.model === model);
  // Rows of reports stored before OpenAI targets existed have no kind: gRPC, everything reported.
  const unreported = (p: ReportPerformanceRow, figure: UnreportedFigure) => (p.not_reported ?? []).includes(figure);
  const reported = (figure: UnreportedFigure, cell: (p: ReportPerformanceRow) => string) => (p: ReportPerformanceRow) =>
    unreported(p, figure) ? NOT_REPORTED : cell(p);
  const timing = (cell: (p: ReportPerformanceRow) => string) => (p: ReportPerformanceRow) => {
    const text = cell(p);
    return p.timings_measured === "client" && text !== "n/a" ? `${text} (client-side)` : text;
  };
  const rows: [string, (p: ReportPerformanceRow) => string][] = [
    ["Model", (p) => p.model_name || "n/a"],
    ["Parameters", reported("parameter_count", (p) => fmtCount(p.parameter_count))],
    ["Quantization", reported("quantization", (p) => p.quantization || "n/a")],
    ["Model size (file)", reported("file_size_bytes", (p) => fmtBytes(p.file_size_bytes))],
    ["Load time", reported("load_ms", (p) => fmtMs(p.load_ms))],
    ["First-token latency p50", timing((p) => fmtMs(p.ttft_ms_p50))],
    ["First-token latency p95", timing((p) => fmtMs(p.ttft_ms_p95))],
    ["Generation speed p50 (tokens/s)", timing((p) => fmtRate(p.tokens_per_second_p50))],
    ["End-to-end p50", timing((p) => fmtMs(p.e2e_ms_p50))],
    ["End-to-end p95", timing((p) => fmtMs(latency(p.model)?.e2e_ms_p95 ?? null))],
    ["Peak RAM", reported("peak_ram_bytes", (p) => fmtBytes(p.peak_ram_bytes))],
    ["GPU memory", reported("vram_bytes", (p) => (p.vram_bytes ? fmtBytes(p.vram_bytes) : "none (CPU)"))],
    ["GPU", reported("gpu", (p) => p.gpu || "none")],
    ["Replies measured", (p) => String(latency(p.model)?.replies ?? 0)],
  ];
  return rows.map(([label, cell]) => ({ label, cells: report.performance.map(cell) }));
}
