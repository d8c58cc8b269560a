// Runs: the new-run form (the client script posts it to POST /v1/runs and opens the run) and the list of
// runs, newest first, with their status, models, suite, timing, progress and per-model pass counts.
import { html } from "hono/html";
import type { RunRow, SuiteRow } from "../api.js";
import {
  badge,
  durationBetween,
  fmtDuration,
  layout,
  modelColor,
  progressBar,
  tableWrap,
  time,
  type Html,
  type Session,
} from "../layout.js";

export interface ModelCounts {
  done: number;
  completed: number;
  errors: number;
  passed: number;
}

export const RUNS_PAGE_SIZE = 25;

export function runsPage(options: {
  session: Session;
  models: string[];
  suites: SuiteRow[];
  runs: RunRow[];
  total: number;
  offset: number;
  countsByRun: Map<string, Record<string, ModelCounts>>;
}): Html {
  const { models, suites, runs, total, offset } = options;
  const defaultSuite = suites.find((s) => s.id === "smoke-6") ?? suites[0];
  const body = html`<h1>Runs</h1>
<section class="card" id="new-run" aria-labelledby="new-run-title">
<h2 id="new-run-title" style="margin-top:0">New run <span class="meta">every item of a suite, sent to each chosen model</span></h2>
<form id="run-form" class="stack" novalidate>
<div class="row">
<div class="field" style="flex:2 1 220px"><label for="run-suite">Suite</label>
<select id="run-suite" name="suite" required>${suites.map((s) => html`<option value="${s.id}"${s.id === defaultSuite?.id ? " selected" : ""}>${s.id} (${s.item_count} items)</option>`)}</select></div>
<div class="field"><label for="run-repeats">Repeats</label><input type="number" id="run-repeats" name="repeats" value="1" min="1" max="100" step="1"></div>
<div class="field"><label for="run-max-tokens">Max tokens (ceiling)</label><input type="number" id="run-max-tokens" name="max_tokens" value="64" min="1" max="32768" step="1"></div>
<div class="field"><label for="run-temperature">Temperature</label><input type="number" id="run-temperature" name="temperature" value="0" min="0" max="5" step="0.1"></div>
<div class="field"><label for="run-seed">Seed</label><input type="number" id="run-seed" name="seed" min="0" step="1" placeholder="none"></div>
<div class="field"><label for="run-concurrency">Concurrency per model</label><input type="number" id="run-concurrency" name="concurrency" min="1" max="256" step="1" placeholder="slots"></div>
</div>
<fieldset><legend>Models</legend><div class="checks-inline">
${models.map((m) => html`<label><input type="checkbox" name="models" value="${m}" checked><span class="swatch" style="background:${modelColor(models, m)}" aria-hidden="true"></span>${m}</label>`)}
</div></fieldset>
<div class="actions"><button type="submit" id="run-start">Start run</button><span id="run-status" class="meta" role="status"></span></div>
<div id="run-error" class="alert" role="alert"></div>
</form>
</section>
<h2 id="runs-title">All runs <span class="meta">(${total})</span></h2>
${runs.length === 0 ? html`<p class="meta">No runs yet: start one above.</p>` : tableWrap("Runs", runsTable(runs, options.countsByRun), "runs")}
${pager(total, offset)}`;
  return layout({
    title: "Runs",
    page: "runs",
    session: options.session,
    body,
    data: { offset: String(offset), "page-size": String(RUNS_PAGE_SIZE) },
  });
}

function runsTable(runs: RunRow[], countsByRun: Map<string, Record<string, ModelCounts>>): Html {
  return html`<table>
<thead><tr><th>Run</th><th>Status</th><th>Suite</th><th>Models</th><th>Started</th><th class="num">Duration</th><th>Progress</th><th>Passed (per model)</th></tr></thead>
<tbody>${runs.map((r) => {
    const models = r.models.split(",").filter(Boolean);
    const counts = countsByRun.get(r.id) ?? {};
    const duration = durationBetween(r.started_at, r.completed_at);
    return html`<tr data-run="${r.id}" data-status="${r.status}">
<td><a href="/runs/${r.id}"><code>${r.id}</code></a></td>
<td data-cell="status">${badge(r.status)}${r.error ? html`<div class="meta fail" title="${r.error}">${r.error.slice(0, 80)}</div>` : ""}</td>
<td>${r.suite_id}${r.repeats > 1 ? html` <span class="meta">×${r.repeats}</span>` : ""}</td>
<td>${models.join(", ")}</td>
<td>${time(r.started_at ?? r.created_at)}</td>
<td class="num">${r.completed_at ? fmtDuration(duration) : r.started_at ? html`<span class="meta">running</span>` : "—"}</td>
<td style="min-width:120px" data-cell="progress">${progressBar(r.done, r.total_items, `run ${r.id} progress`)}<span class="meta" data-cell="progress-text">${r.done}/${r.total_items}${r.errors ? html` · <span class="fail">${r.errors} errors</span>` : ""}</span></td>
<td>${models.map((m) => {
      const c = counts[m];
      return html`<div><span class="swatch" style="background:${modelColor(models, m)}" aria-hidden="true"></span>${m}: ${c ? html`<b>${c.passed}</b>/${c.done}` : "0/0"}</div>`;
    })}</td>
</tr>`;
  })}</tbody></table>`;
}

function pager(total: number, offset: number): Html | string {
  if (total <= RUNS_PAGE_SIZE) return "";
  const prev = Math.max(0, offset - RUNS_PAGE_SIZE);
  const next = offset + RUNS_PAGE_SIZE;
  return html`<nav class="pager" aria-label="Pages of runs">
${offset > 0 ? html`<a href="/runs?offset=${prev}">← newer</a>` : ""}
<span class="meta">${offset + 1}–${Math.min(total, offset + RUNS_PAGE_SIZE)} of ${total}</span>
${next < total ? html`<a href="/runs?offset=${next}">older →</a>` : ""}
</nav>`;
}
