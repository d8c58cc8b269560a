// The HTML report: one self-contained file (inline CSS, inline SVG, one inline script for the item filter and
// pages; no external assets, no network requests).

import { escapeHtml as h, fmtMs, fmtP, fmtRate } from "./format.js";
import { capacityTable } from "./capacitySection.js";
import { SUITE_TABLE_HEADER, suiteTable, verdictWithSampleSize } from "./suiteTable.js";
import { performanceTable } from "./performanceTable.js";
import type { Report } from "./reportTypes.js";
import { latencyCharts, PALETTE, radarChart } from "./svgCharts.js";

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", sans-serif; margin: 0; color: #111827; background: #f9fafb; }
main { max-width: 1180px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 10px; } h3 { font-size: 14px; margin: 16px 0 6px; }
.meta { color: #6b7280; font-size: 12px; }
.card { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 14px 16px; margin-bottom: 14px; }
.grid { display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; }
th { white-space: nowrap; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { border-bottom: 1px solid #e5e7eb; padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; font-weight: 600; font-size: 12px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.pass { color: #047857; } .fail { color: #b91c1c; } .partial { color: #b45309; }
.verdict { font-weight: 600; }
pre { white-space: pre-wrap; word-break: break-word; background: #f3f4f6; padding: 8px; border-radius: 6px; margin: 4px 0; font-size: 12px; max-height: 260px; overflow: auto; }
.filters { display: flex; flex-wrap: wrap; gap: 10px; margin-bottom: 8px; align-items: center; }
.filters label { font-size: 12px; color: #374151; }
.filters input, .filters select { font: inherit; padding: 3px 6px; }
#items td.reply, #items td.checks { font-size: 12px; white-space: pre-wrap; word-break: break-word; max-width: 360px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
.notes li { color: #92400e; }
`;

// The item table is paginated: every row's HTML is embedded once as JSON (escaped, so no reply can close the
// script element) and only the current page of matching rows is in the DOM, so a run of 10,000 items opens
// as fast as one of 50. Without scripts, the first page is there as plain HTML.
const SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('items-data').textContent);
  var body = document.querySelector('#items tbody');
  var dim = document.getElementById('f-dimension');
  var model = document.getElementById('f-model');
  var outcome = document.getElementById('f-outcome');
  var text = document.getElementById('f-text');
  var count = document.getElementById('f-count');
  var pageInfo = document.getElementById('f-page');
  var prev = document.getElementById('f-prev');
  var next = document.getElementById('f-next');
  var size = Number(body.getAttribute('data-page-size'));
  var page = 0;
  function matching() {
    var q = text.value.trim().toLowerCase();
    return data.filter(function (r) {
      return (!dim.value || r.d === dim.value) && (!model.value || r.m === model.value)
        && (!outcome.value || r.o === outcome.value) && (!q || r.t.indexOf(q) !== -1);
    });
  }
  function draw() {
    var rows = matching();
    var pages = Math.max(1, Math.ceil(rows.length / size));
    if (page >= pages) page = pages - 1;
    body.innerHTML = rows.slice(page * size, (page + 1) * size).map(function (r) { return r.h; }).join('');
    count.textContent = rows.length + ' of ' + data.length + ' rows';
    pageInfo.textContent = 'page ' + (page + 1) + ' of ' + pages;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }
  function refilter() { page = 0; draw(); }
  [dim, model, outcome].forEach(function (el) { el.addEventListener('change', refilter); });
  text.addEventListener('input', refilter);
  prev.addEventListener('click', function () { page--; draw(); });
  next.addEventListener('click', function () { page++; draw(); });
  draw();
})();
`;

/** Item rows per page of the HTML report's table. */
export const ITEMS_PAGE_SIZE = 100;

/** JSON that can sit inside a <script> element: no "<" (so no "</script>"), no U+2028/2029 line breaks. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function outcomeOf(passRate: number): "pass" | "fail" | "partial" {
  return passRate >= 1 ? "pass" : passRate <= 0 ? "fail" : "partial";
}

export function renderHtml(report: Report): string {
  const models = report.models.map((m) => m.name);
  const color = (m: string) => PALETTE[models.indexOf(m) % PALETTE.length] as string;
  const swatch = (m: string) => `<span class="swatch" style="background:${color(m)}"></span>${h(m)}`;
  const { run } = report;
  const pair = models.length >= 2;
  const o: string[] = [];
  o.push(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`);
  o.push(
    `<link rel="icon" href="data:,"><title>${h(`Evaluation report: ${models.join(" vs ")}`)}</title><style>${STYLE}</style></head><body><main>`,
  );
  o.push(`<h1>Evaluation report: ${models.map(h).join(" vs ")}</h1>`);
  o.push(
    `<div class="meta">Run <code>${h(run.id)}</code> · suite <code>${h(run.suite_id)}</code> · ${run.repeats} repeat(s) · ${h(run.status)} · created ${h(run.created_at)}${run.completed_at ? ` · completed ${h(run.completed_at)}` : ""}</div>`,
    `<div class="meta">Code sandbox: ${h(report.sandbox.summary)}</div>`,
  );

  // Scores
  o.push(
    `<h2>Scores per dimension (0-10)</h2><div class="grid"><div class="card">${radarChart(report)}</div><div class="card" style="flex:1;min-width:0;overflow-x:auto">`,
  );
  o.push(
    `<table id="scores"><thead><tr><th>Dimension</th><th class="num">Items</th>${models.map((m) => `<th class="num">${swatch(m)} score [95% CI]</th>`).join("")}${pair ? `<th class="num">McNemar p</th><th>Verdict</th>` : ""}</tr></thead><tbody>`,
  );
  for (const d of report.dimensions) {
    const c = d.comparisons[0];
    o.push(
      `<tr data-dimension="${h(d.dimension)}"><td>${h(d.label)}</td><td class="num">${d.items}</td>${models
        .map((m) => {
          const s = d.per_model.find((x) => x.model === m);
          return `<td class="num">${s && s.items > 0 ? `<b>${s.score.toFixed(1)}</b> [${s.interval.low.toFixed(1)}–${s.interval.high.toFixed(1)}]` : "n/a"}</td>`;
        })
        .join(
          "",
        )}${pair ? `<td class="num">${c ? fmtP(c.p_value) : ""}</td><td class="verdict" title="${h(c?.summary ?? "")}">${c ? h(verdictWithSampleSize(c)) : ""}</td>` : ""}</tr>`,
    );
  }
  o.push(`</tbody></table>`);
  const summaries = report.dimensions.flatMap((d) => d.comparisons.map((c) => `<li>${h(`${d.label}: ${c.summary}`)}</li>`));
  if (summaries.length > 0) o.push(`<ul class="meta">${summaries.join("")}</ul>`);
  o.push(`</div></div>`);

  // Suites and published scores
  const suiteRows = suiteTable(report);
  if (suiteRows.length > 0) {
    o.push(
      `<h2>Suites and published scores</h2><p class="meta">pass@1 in percent (with repeats, pass@k by the HumanEval paper's unbiased estimator), 95% Wilson interval over the items, beside the published score of the model as loaded (matched on its GGUF name).</p>`,
    );
    o.push(
      `<table id="suites"><thead><tr>${SUITE_TABLE_HEADER.map((x, i) => `<th${i === 1 || i === 4 || i === 6 ? ' class="num"' : ""}>${h(x)}</th>`).join("")}</tr></thead><tbody>`,
    );
    for (const r of suiteRows) {
      o.push(
        `<tr><td><code>${h(r.suite)}</code></td><td class="num">${h(r.items)}</td><td>${swatch(r.model)}</td><td>${h(r.modelName)}</td><td class="num"><b>${h(r.measured)}</b></td><td>${h(r.passAtK)}</td><td class="num">${h(r.published)}</td><td class="meta">${h(r.publishedUnder)}</td></tr>`,
      );
    }
    o.push(`</tbody></table>`);
  }

  // Performance
  const t = report.latency_targets;
  o.push(`<h2>Performance</h2><p class="meta">Targets: TTFT ≤ ${t.ttft_ms} ms and ≥ ${t.tokens_per_second} tokens/s per reply.</p>`);
  o.push(
    `<div class="grid">${latencyCharts(report)
      .map((svg) => `<div class="card">${svg}</div>`)
      .join("")}</div>`,
  );
  o.push(
    `<table id="performance"><thead><tr><th>Metric</th>${models.map((m) => `<th class="num">${swatch(m)}</th>`).join("")}</tr></thead><tbody>`,
  );
  for (const { label, cells } of performanceTable(report)) {
    o.push(`<tr><td>${h(label)}</td>${cells.map((c) => `<td class="num">${h(c)}</td>`).join("")}</tr>`);
  }
  o.push(`</tbody></table>`);

  if (report.capacity.length > 0) {
    o.push(
      `<h2>Capacity</h2><p class="meta">The highest request rate one replica sustained within the SLOs, on this run's serving configuration.</p>`,
    );
    o.push(
      `<table id="capacity"><thead><tr><th>Metric</th>${report.capacity.map((r) => `<th class="num">${swatch(r.model)}</th>`).join("")}</tr></thead><tbody>`,
    );
    for (const { label, cells } of capacityTable(report.capacity)) {
      o.push(`<tr><td>${h(label)}</td>${cells.map((c) => `<td class="num">${h(c)}</td>`).join("")}</tr>`);
    }
    o.push(`</tbody></table>`);
  }

  // Examples
  o.push(`<h2>Examples</h2>`);
  for (const d of report.dimensions) {
    const exs = report.examples.filter((e) => e.dimension === d.dimension);
    if (exs.length === 0) continue;
    o.push(`<div class="card"><h3>${h(d.label)}</h3>`);
    for (const e of exs) {
      o.push(
        `<div><b class="${e.kind}">${e.kind === "pass" ? "Passed" : "Failed"}</b>: <code>${h(e.item_id)}</code>, ${swatch(e.model)}</div>`,
      );
      if (e.prompt) o.push(`<pre>${h(e.prompt)}</pre>`);
      o.push(
        `<pre>${h(e.reply || "(empty)")}</pre><ul>${e.checks.map((c) => `<li class="${c.passed ? "pass" : "fail"}">${c.passed ? "✓" : "✗"} <code>${h(c.type)}</code>: ${h(c.detail)}</li>`).join("")}</ul>`,
      );
    }
    o.push(`</div>`);
  }

  // Recommendations
  o.push(
    `<h2>Recommendations</h2><table id="recommendations"><thead><tr><th>Scenario</th><th>Recommendation</th><th>Basis</th></tr></thead><tbody>`,
  );
  for (const r of report.recommendations)
    o.push(`<tr><td>${h(r.scenario)}</td><td><b>${h(r.recommendation)}</b></td><td class="meta">${h(r.basis)}</td></tr>`);
  o.push(`</tbody></table>`);

  // Items
  const dims = report.dimensions.map((d) => d.dimension);
  o.push(`<h2>Items</h2><div class="filters">`);
  o.push(
    `<label>Dimension <select id="f-dimension"><option value="">all</option>${dims.map((d) => `<option value="${h(d)}">${h(report.dimensions.find((x) => x.dimension === d)?.label ?? d)}</option>`).join("")}</select></label>`,
  );
  o.push(
    `<label>Model <select id="f-model"><option value="">all</option>${models.map((m) => `<option value="${h(m)}">${h(m)}</option>`).join("")}</select></label>`,
  );
  o.push(
    `<label>Outcome <select id="f-outcome"><option value="">all</option><option value="pass">passed</option><option value="fail">failed</option><option value="partial">partly (repeats)</option></select></label>`,
  );
  o.push(
    `<label>Search <input id="f-text" type="search" placeholder="id, reply, check…"></label><span id="f-count" class="meta"></span></div>`,
  );
  o.push(
    `<label><button id="f-prev" type="button">‹ previous</button> <span id="f-page" class="meta"></span> <button id="f-next" type="button">next ›</button></label>`,
  );
  o.push(
    `<table id="items"><thead><tr><th>Item</th><th>Dimension</th><th>Model</th><th class="num">Pass rate</th><th class="num">Checks</th><th class="num">TTFT</th><th class="num">tok/s</th><th>Reply</th><th>Check details</th></tr></thead><tbody data-page-size="${ITEMS_PAGE_SIZE}">`,
  );
  const rows = report.items.map((it) => {
    const oc = outcomeOf(it.pass_rate);
    const html =
      `<tr data-dimension="${h(it.dimension)}" data-model="${h(it.model)}" data-outcome="${oc}"><td><code>${h(it.item_id)}</code></td><td>${h(it.dimension)}</td><td>${swatch(it.model)}</td>` +
      `<td class="num ${oc}">${(it.pass_rate * 100).toFixed(0)}%${it.errors ? ` (${it.errors} err)` : ""}</td><td class="num">${(it.instruction_score * 100).toFixed(0)}%</td>` +
      `<td class="num">${h(fmtMs(it.ttft_ms))}</td><td class="num">${h(fmtRate(it.tokens_per_second))}</td><td class="reply">${h(it.reply)}</td><td class="checks">${h(it.checks)}</td></tr>`;
    const search = `${it.item_id} ${it.dimension} ${it.model} ${it.reply} ${it.checks}`.toLowerCase();
    return { d: it.dimension, m: it.model, o: oc, t: search, h: html };
  });
  for (const r of rows.slice(0, ITEMS_PAGE_SIZE)) o.push(r.h);
  o.push(`</tbody></table>`);
  o.push(`<script id="items-data" type="application/json">${scriptSafeJson(rows)}</script>`);
  if (report.notes.length > 0) o.push(`<h2>Notes</h2><ul class="notes">${report.notes.map((n) => `<li>${h(n)}</li>`).join("")}</ul>`);
  o.push(`<p class="meta">Generated ${h(report.generated_at)} by evalstack.</p></main><script>${SCRIPT}</script></body></html>`);
  return o.join("\n");
}
