// Inline SVG charts for the HTML report: a radar of the dimension scores and latency bar charts.
// Pure functions of the report's numbers; no scripts, no external assets.

import { escapeHtml } from "./format.js";
import type { Report } from "./reportTypes.js";

export const PALETTE = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2"];

const f1 = (x: number) => x.toFixed(1);

/** Radar chart: one axis per dimension (0-10), one polygon per model. */
export function radarChart(report: Report, size = 300): string {
  const dims = report.dimensions;
  const models = report.models.map((m) => m.name);
  const width = size + 140; // room for the axis labels left and right
  const cx = width / 2;
  const cy = size / 2;
  const r = size / 2 - 60;
  const n = Math.max(dims.length, 3);
  const point = (i: number, value: number): [number, number] => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / n;
    return [cx + Math.cos(angle) * r * (value / 10), cy + Math.sin(angle) * r * (value / 10)];
  };
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${size}" width="${width}" height="${size}" role="img" aria-label="Radar chart of the dimension scores">`,
  );
  for (const level of [2, 4, 6, 8, 10]) {
    const pts = Array.from({ length: n }, (_, i) => point(i, level).map(f1).join(",")).join(" ");
    parts.push(`<polygon points="${pts}" fill="none" stroke="#d1d5db" stroke-width="1"/>`);
  }
  dims.forEach((d, i) => {
    const [x, y] = point(i, 10);
    const [lx, ly] = point(i, 11.8);
    parts.push(`<line x1="${cx}" y1="${cy}" x2="${f1(x)}" y2="${f1(y)}" stroke="#d1d5db"/>`);
    const anchor = Math.abs(lx - cx) < 5 ? "middle" : lx > cx ? "start" : "end";
    parts.push(
      `<text x="${f1(lx)}" y="${f1(ly)}" font-size="12" text-anchor="${anchor}" dominant-baseline="middle" fill="#374151">${escapeHtml(d.label)}</text>`,
    );
  });
  parts.push(`<text x="${cx + 3}" y="${f1(cy - r - 3)}" font-size="9" fill="#9ca3af">10</text>`);
  models.forEach((m, mi) => {
    const color = PALETTE[mi % PALETTE.length] as string;
    const pts = dims
      .map((d, i) =>
        point(i, d.per_model.find((s) => s.model === m)?.score ?? 0)
          .map(f1)
          .join(","),
      )
      .join(" ");
    parts.push(
      `<polygon points="${pts}" fill="${color}" fill-opacity="0.15" stroke="${color}" stroke-width="2"><title>${escapeHtml(m)}</title></polygon>`,
    );
    dims.forEach((d, i) => {
      const s = d.per_model.find((x) => x.model === m)?.score ?? 0;
      const [x, y] = point(i, s);
      parts.push(
        `<circle cx="${f1(x)}" cy="${f1(y)}" r="3" fill="${color}"><title>${escapeHtml(`${m} · ${d.label}: ${s.toFixed(1)}/10`)}</title></circle>`,
      );
    });
  });
  models.forEach((m, mi) => {
    const color = PALETTE[mi % PALETTE.length] as string;
    parts.push(`<rect x="10" y="${size - 18 - 16 * (models.length - 1 - mi)}" width="10" height="10" fill="${color}"/>`);
    parts.push(`<text x="26" y="${size - 9 - 16 * (models.length - 1 - mi)}" font-size="12" fill="#111827">${escapeHtml(m)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}

interface Bar {
  label: string;
  value: number | null;
  color: string;
}

/** Horizontal bar chart with an optional target line. */
export function barChart(title: string, unit: string, bars: Bar[], target: number | null, width = 420): string {
  const rowH = 26;
  const left = 150;
  const right = 60;
  const top = 28;
  const height = top + bars.length * rowH + 26;
  const max = Math.max(1, target ?? 0, ...bars.map((b) => b.value ?? 0)) * 1.1;
  const scale = (v: number) => ((width - left - right) * v) / max;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}">`,
  );
  parts.push(`<text x="0" y="16" font-size="13" font-weight="600" fill="#111827">${escapeHtml(title)}</text>`);
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    parts.push(
      `<text x="${left - 6}" y="${y + 13}" font-size="11" text-anchor="end" dominant-baseline="middle" fill="#374151">${escapeHtml(b.label)}</text>`,
    );
    if (b.value === null) {
      parts.push(`<text x="${left}" y="${y + 13}" font-size="11" dominant-baseline="middle" fill="#9ca3af">n/a</text>`);
      return;
    }
    const w = Math.max(1, scale(b.value));
    parts.push(
      `<rect x="${left}" y="${y + 3}" width="${f1(w)}" height="${rowH - 8}" fill="${b.color}" rx="2"><title>${escapeHtml(`${b.label}: ${f1(b.value)} ${unit}`)}</title></rect>`,
    );
    parts.push(
      `<text x="${f1(left + w + 4)}" y="${y + 13}" font-size="11" dominant-baseline="middle" fill="#111827">${f1(b.value)} ${escapeHtml(unit)}</text>`,
    );
  });
  if (target !== null) {
    const x = left + scale(target);
    const bottom = top + bars.length * rowH;
    parts.push(`<line x1="${f1(x)}" y1="${top - 4}" x2="${f1(x)}" y2="${bottom}" stroke="#6b7280" stroke-dasharray="4 3"/>`);
    parts.push(
      `<text x="${f1(x)}" y="${bottom + 14}" font-size="10" text-anchor="middle" fill="#6b7280">target ${escapeHtml(String(target))} ${escapeHtml(unit)}</text>`,
    );
  }
  parts.push("</svg>");
  return parts.join("");
}

export function latencyCharts(report: Report): string[] {
  const models = report.models.map((m) => m.name);
  const color = (m: string) => PALETTE[models.indexOf(m) % PALETTE.length] as string;
  const ttftBars: Bar[] = report.latency.flatMap((l) => [
    { label: `${l.model} p50`, value: l.ttft_ms_p50, color: color(l.model) },
    { label: `${l.model} p95`, value: l.ttft_ms_p95, color: `${color(l.model)}99` },
  ]);
  const tpsBars: Bar[] = report.latency.map((l) => ({ label: `${l.model} p50`, value: l.tokens_per_second_p50, color: color(l.model) }));
  const e2eBars: Bar[] = report.latency.flatMap((l) => [
    { label: `${l.model} p50`, value: l.e2e_ms_p50, color: color(l.model) },
    { label: `${l.model} p95`, value: l.e2e_ms_p95, color: `${color(l.model)}99` },
  ]);
  return [
    barChart("Time to first token", "ms", ttftBars, report.latency_targets.ttft_ms),
    barChart("Generation speed", "tokens/s", tpsBars, report.latency_targets.tokens_per_second),
    barChart("End-to-end latency", "ms", e2eBars, null),
  ];
}
