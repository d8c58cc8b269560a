// One run: its settings, live progress per model while it runs (the client script follows
// GET /v1/runs/{id}/events and reloads the page when the run completes), then the dimension scores chart,
// the performance table and charts, report downloads, and the per-reply item table with its filters.
import { html, raw } from "hono/html";
import { fmtMs, fmtP, fmtRate } from "../../reports/format.js";
import { capacityTable } from "../../reports/capacitySection.js";
import { SUITE_TABLE_HEADER, suiteTable, verdictWithSampleSize } from "../../reports/suiteTable.js";
import { performanceTable } from "../../reports/performanceTable.js";
import { latencyCharts, radarChart } from "../../reports/svgCharts.js";
import { DIMENSIONS } from "../../suites/types.js";
import type { ItemRow, Report, Run } from "../api.js";
import { badge, durationBetween, fmtDuration, layout, progressBar, swatch, tableWrap, time, type Html, type Session } from "../layout.js";

export const ITEMS_PAGE_SIZE = 50;
export const OUTCOMES = ["passed", "failed", "error"] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface ItemFilters {
  model?: string;
  dimension?: string;
  outcome?: Outcome;
  offset: number;
}

const ACTIVE = new Set(["queued", "running"]);

export function runPage(options: {
  session: Session;
  run: Run;
  report: Report | null;
  items: ItemRow[];
  itemsTotal: number;
  filters: ItemFilters;
}): Html {
  const { run, report } = options;
  const active = ACTIVE.has(run.status);
  const body = html`<p class="meta"><a href="/runs">← Runs</a></p>
<h1>Run <code>${run.id}</code> <span id="run-state">${badge(run.status)}</span></h1>
${settings(run)}
${actions(run, active)}
${progressCard(run, active)}
${report && report.items.length > 0 ? html`${scores(report, active)}${suites(report)}${performance(report)}${capacity(report)}` : ""}
${itemsSection(run, options.items, options.itemsTotal, options.filters)}`;
  return layout({
    title: `Run ${run.id}`,
    page: "run",
    session: options.session,
    body,
    data: { "run-id": run.id, "run-status": run.status },
  });
}

function settings(run: Run): Html {
  const sampling = Object.entries(run.sampling)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
  const concurrency = Object.entries(run.concurrency)
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ");
  return html`<div class="card"><dl class="kv">
<dt>Suite</dt><dd>${run.suite_id} · ${run.total_items} replies (${run.total_items / Math.max(1, run.models.length * run.repeats)} items × ${run.models.length} models × ${run.repeats} repeat${run.repeats > 1 ? "s" : ""})</dd>
<dt>Models</dt><dd>${run.models.map((m, i) => html`${i ? ", " : ""}${swatch(run.models, m)}`)}${run.model_snapshots.length ? html` <span class="meta">(${run.model_snapshots.map((s) => `${s.name}: ${s.model_name} ${s.quantization}`).join("; ")})</span>` : ""}</dd>
<dt>Sampling</dt><dd>${sampling || "model defaults"}${run.max_tokens ? ` · max_tokens ≤ ${run.max_tokens}` : ""}${concurrency ? ` · concurrency ${concurrency}` : ""}</dd>
<dt>Created</dt><dd>${time(run.created_at)}</dd>
<dt>Started</dt><dd>${time(run.started_at)}</dd>
<dt>Finished</dt><dd>${run.completed_at ? html`${time(run.completed_at)}${run.started_at ? ` · took ${fmtDuration(durationBetween(run.started_at, run.completed_at))}` : ""}` : "not yet"}</dd>
${run.error ? html`<dt>Error</dt><dd class="fail">${run.error}</dd>` : ""}
</dl></div>`;
}

function actions(run: Run, active: boolean): Html {
  return html`<div class="actions" style="margin-bottom:14px" id="run-actions">
<span class="meta">Report:</span>
${(["md", "html", "json", "csv"] as const).map((f) => html`<a class="button secondary" href="/runs/${run.id}/report/${f}" download data-format="${f}">${f.toUpperCase()}</a>`)}
<a class="button secondary" href="/runs/${run.id}/items.csv" download>Items CSV</a>
${active ? html`<button type="button" id="run-cancel" class="secondary">Cancel run</button>` : ""}
<span id="run-action-status" class="meta" role="status"></span>
</div>
<div id="run-action-error" class="alert" role="alert"></div>`;
}

function progressCard(run: Run, active: boolean): Html {
  const p = run.progress;
  return html`<section class="card" id="progress" aria-labelledby="progress-title">
<h2 id="progress-title" style="margin-top:0">Progress <span class="meta" id="progress-total">${p.done}/${p.total} replies${p.errors ? `, ${p.errors} errors` : ""}</span></h2>
<div class="model-progress">
${run.models.map((m) => {
  const b = p.by_model[m] ?? { total: 0, done: 0, completed: 0, errors: 0, passed: 0 };
  return html`<div>${swatch(run.models, m)}</div><div data-progress-bar="${m}">${progressBar(b.done, b.total, `${m} progress`)}</div><div class="meta" data-progress-text="${m}">${progressText(b)}</div>`;
})}
</div>
${active ? html`<h3>Latest replies</h3><ol class="feed" id="feed" aria-live="polite" reversed></ol><p class="meta" id="live-status" role="status">Following the run live…</p>` : ""}
</section>`;
}

export function progressText(b: { total: number; done: number; errors: number; passed: number }): string {
  return `${b.done}/${b.total} done · ${b.passed} passed${b.errors ? ` · ${b.errors} errors` : ""}`;
}

function scores(report: Report, active: boolean): Html {
  const models = report.models.map((m) => m.name);
  const pair = models.length >= 2;
  return html`<h2 id="scores-title">Scores per dimension (0–10)${active ? html` <span class="meta">so far</span>` : ""}</h2>
<div class="grid">
<div class="card" id="scores-chart">${raw(radarChart(report))}</div>
<div style="flex:1 1 420px;min-width:0">${tableWrap(
    "Scores",
    html`<table id="scores"><thead><tr><th>Dimension</th><th class="num">Items</th>${models.map((m) => html`<th class="num">${swatch(models, m)} score [95% CI]</th>`)}${pair ? html`<th class="num">McNemar p</th><th>Verdict</th>` : ""}</tr></thead>
<tbody>${report.dimensions.map((d) => {
      const c = d.comparisons[0];
      return html`<tr><td>${d.label}</td><td class="num">${d.items}</td>${models.map((m) => {
        const s = d.per_model.find((x) => x.model === m);
        return html`<td class="num">${s && s.items > 0 ? html`<b>${s.score.toFixed(1)}</b> [${s.interval.low.toFixed(1)}–${s.interval.high.toFixed(1)}]` : "n/a"}</td>`;
      })}${pair ? html`<td class="num">${c ? fmtP(c.p_value) : ""}</td><td title="${c?.summary ?? ""}">${c ? verdictWithSampleSize(c) : ""}</td>` : ""}</tr>`;
    })}</tbody></table>`,
  )}
${report.notes.length ? html`<ul class="meta">${report.notes.map((n) => html`<li>${n}</li>`)}</ul>` : ""}
</div>
</div>`;
}

function suites(report: Report): Html {
  const rows = suiteTable(report);
  if (rows.length === 0) return html``;
  const models = report.models.map((m) => m.name);
  return html`<h2 id="suites-title">Suites and published scores</h2>
<p class="meta">pass@1 in percent, 95% Wilson interval over the items, beside the published score of the model as loaded.</p>
${tableWrap(
  "Suites",
  html`<table id="suites"><thead><tr>${SUITE_TABLE_HEADER.map((x) => html`<th>${x}</th>`)}</tr></thead>
<tbody>${rows.map(
    (r) =>
      html`<tr><td><code>${r.suite}</code></td><td class="num">${r.items}</td><td>${swatch(models, r.model)}</td><td>${r.modelName}</td><td class="num"><b>${r.measured}</b></td><td>${r.passAtK}</td><td class="num">${r.published}</td><td class="meta">${r.publishedUnder}</td></tr>`,
  )}</tbody></table>`,
)}`;
}

function performance(report: Report): Html {
  const models = report.models.map((m) => m.name);
  const t = report.latency_targets;
  return html`<h2 id="performance-title">Performance</h2>
<p class="meta">Targets: TTFT ≤ ${t.ttft_ms} ms and ≥ ${t.tokens_per_second} tokens/s per reply.</p>
${tableWrap(
  "Performance",
  html`<table id="performance"><thead><tr><th>Metric</th>${report.performance.map((p) => html`<th class="num">${swatch(models, p.model)}</th>`)}</tr></thead>
<tbody>${performanceTable(report).map(({ label, cells }) => html`<tr><td>${label}</td>${cells.map((c) => html`<td class="num">${c}</td>`)}</tr>`)}</tbody></table>`,
)}
<div class="grid" style="margin-top:14px">${latencyCharts(report).map((svg) => html`<div class="card">${raw(svg)}</div>`)}</div>`;
}

/** Capacity next to quality, when a capacity result is attached to the run (POST /v1/runs/{id}/capacity). */
function capacity(report: Report): Html | string {
  if (report.capacity.length === 0) return "";
  const models = report.models.map((m) => m.name);
  return html`<h2 id="capacity-title">Capacity</h2>
<p class="meta">The highest request rate one replica sustained within the SLOs, on this run's serving configuration.</p>
${tableWrap(
  "Capacity",
  html`<table id="capacity"><thead><tr><th>Metric</th>${report.capacity.map((r) => html`<th class="num">${swatch(models, r.model)}</th>`)}</tr></thead>
<tbody>${capacityTable(report.capacity).map(({ label, cells }) => html`<tr><td>${label}</td>${cells.map((c) => html`<td class="num">${c}</td>`)}</tr>`)}</tbody></table>`,
)}`;
}

function outcomeOf(i: ItemRow): { cls: string; text: string } {
  if (i.status === "error") return { cls: "fail", text: "error" };
  if (i.passed === null) return { cls: "", text: "measured" };
  return i.passed ? { cls: "pass", text: "passed" } : { cls: "fail", text: "failed" };
}

function itemsSection(run: Run, items: ItemRow[], total: number, f: ItemFilters): Html {
  const opt = (value: string, label: string, current: string | undefined) =>
    html`<option value="${value}"${value === (current ?? "") ? raw(" selected") : ""}>${label}</option>`;
  const filterQuery = (offset: number) => {
    const q = new URLSearchParams();
    if (f.model) q.set("model", f.model);
    if (f.dimension) q.set("dimension", f.dimension);
    if (f.outcome) q.set("outcome", f.outcome);
    if (offset) q.set("offset", String(offset));
    const s = q.toString();
    return `/runs/${run.id}${s ? `?${s}` : ""}#items`;
  };
  const filtered = Boolean(f.model || f.dimension || f.outcome);
  return html`<h2 id="items">Items</h2>
<form method="get" action="/runs/${run.id}#items" class="row card" id="item-filters" aria-label="Filter the items">
<div class="field"><label for="f-model">Model</label><select id="f-model" name="model">${opt("", "all", f.model)}${run.models.map((m) => opt(m, m, f.model))}</select></div>
<div class="field"><label for="f-dimension">Dimension</label><select id="f-dimension" name="dimension">${opt("", "all", f.dimension)}${DIMENSIONS.map((d) => opt(d, d.replace(/_/g, " "), f.dimension))}</select></div>
<div class="field"><label for="f-outcome">Outcome</label><select id="f-outcome" name="outcome">${opt("", "all", f.outcome)}${opt("passed", "passed", f.outcome)}${opt("failed", "failed", f.outcome)}${opt("error", "error", f.outcome)}</select></div>
<div class="actions"><button type="submit">Filter</button>${filtered ? html`<a href="/runs/${run.id}#items">Clear</a>` : ""}</div>
</form>
<p class="meta" id="items-count" role="status">${total === 0 ? "No replies" : `${f.offset + 1}–${f.offset + items.length} of ${total} replies`}${filtered ? " (filtered)" : ""}</p>
${
  items.length === 0
    ? ""
    : tableWrap(
        "Items",
        html`<table id="item-table"><thead><tr><th>Item</th><th>Model</th>${run.repeats > 1 ? html`<th class="num">Repeat</th>` : ""}<th>Dimension</th><th>Outcome</th><th class="num">Checks</th><th class="num">TTFT</th><th class="num">tok/s</th><th class="num">Tokens</th><th>Reply</th></tr></thead>
<tbody>${items.map((i) => {
          const o = outcomeOf(i);
          return html`<tr data-model="${i.model}" data-dimension="${i.dimension}" data-outcome="${o.text}">
<td><a href="/runs/${run.id}/items/${encodeURIComponent(i.item_id)}?repeat=${i.repeat}"><code>${i.item_id}</code></a></td>
<td>${swatch(run.models, i.model)}</td>${run.repeats > 1 ? html`<td class="num">${i.repeat}</td>` : ""}
<td>${i.dimension.replace(/_/g, " ")}</td>
<td class="${o.cls}">${o.text}</td>
<td class="num">${i.checks_total === null ? "—" : `${i.checks_passed}/${i.checks_total}`}</td>
<td class="num">${i.status === "error" ? "—" : fmtMs(i.ttft_ms)}</td>
<td class="num">${i.status === "error" ? "—" : fmtRate(i.tokens_per_second)}</td>
<td class="num">${i.prompt_tokens}→${i.completion_tokens}</td>
<td class="reply">${i.status === "error" ? html`<span class="fail">${(i.error ?? "").slice(0, 160)}</span>` : excerpt(i.reply)}</td>
</tr>`;
        })}</tbody></table>`,
        "item-table-wrap",
      )
}
${
  total > ITEMS_PAGE_SIZE
    ? html`<nav class="pager" aria-label="Pages of items">${f.offset > 0 ? html`<a href="${filterQuery(Math.max(0, f.offset - ITEMS_PAGE_SIZE))}">← previous</a>` : ""}${f.offset + ITEMS_PAGE_SIZE < total ? html`<a href="${filterQuery(f.offset + ITEMS_PAGE_SIZE)}">next →</a>` : ""}</nav>`
    : ""
}`;
}

function excerpt(text: string, max = 160): string {
  const t = text.trim();
  if (!t) return "(empty)";
  return t.length > max ? `${t.slice(0, max)}…` : t;
}
