// One item of a run: its prompt, the checks it defines, and every model's reply side by side with the
// check results and timings (one repeat at a time).
import { html } from "hono/html";
import { fmtMs, fmtRate } from "../../reports/format.js";
import type { ItemRow, Run } from "../api.js";
import { layout, swatch, time, type Html, type Session } from "../layout.js";

export function itemPage(options: {
  session: Session;
  run: Run;
  itemId: string;
  repeat: number;
  dimension: string | null;
  prompt: string | null;
  checks: { type: string }[] | null;
  replies: ItemRow[];
}): Html {
  const { run, itemId, repeat, replies } = options;
  const body = html`<p class="meta"><a href="/runs/${run.id}">← Run ${run.id}</a> · <a href="/runs/${run.id}#items">items</a></p>
<h1>Item <code>${itemId}</code></h1>
<p class="meta">${options.dimension ? options.dimension.replace(/_/g, " ") : ""} · suite ${run.suite_id}${run.repeats > 1 ? html` · repeat ${repeat} of ${run.repeats}: ${Array.from({ length: run.repeats }, (_, r) => (r === repeat ? html`<b>${r}</b> ` : html`<a href="?repeat=${r}">${r}</a> `))}` : ""}</p>
<section class="card" aria-labelledby="prompt-title"><h2 id="prompt-title" style="margin-top:0">Prompt</h2>
<pre id="item-prompt" tabindex="0">${options.prompt ?? "(not recorded)"}</pre>
${
  options.checks?.length
    ? html`<h3>Checks</h3><ul class="check-results" id="item-checks">${options.checks.map((c) => html`<li><code>${JSON.stringify(c)}</code></li>`)}</ul>`
    : html`<p class="meta">${options.dimension === "latency" ? "A latency item: scored from its timings, not checked." : ""}</p>`
}
</section>
<h2>Replies</h2>
${replies.length === 0 ? html`<p class="meta">No reply stored yet for this item and repeat.</p>` : ""}
<div class="replies" id="item-replies">${run.models.map((m) => {
    const r = replies.find((x) => x.model === m);
    return reply(run, m, r);
  })}</div>`;
  return layout({ title: `Item ${itemId}`, page: "item", session: options.session, body });
}

function reply(run: Run, model: string, r: ItemRow | undefined): Html {
  if (!r)
    return html`<article class="reply-card" data-model="${model}"><h3>${swatch(run.models, model)}</h3><p class="meta">No reply yet.</p></article>`;
  const outcome = r.status === "error" ? "failed" : r.passed === null ? "measured" : r.passed ? "completed" : "failed";
  const label = r.status === "error" ? "error" : r.passed === null ? "measured" : r.passed ? "passed" : "failed";
  const stats: [string, string][] = [
    ["TTFT", fmtMs(r.ttft_ms)],
    ["tokens/s", fmtRate(r.tokens_per_second)],
    ["prompt tokens", String(r.prompt_tokens)],
    ["completion tokens", String(r.completion_tokens)],
    ["queue", fmtMs(r.queue_ms)],
    ["decode", fmtMs(r.decode_ms)],
    ["total", fmtMs(r.total_ms)],
    ["finish", r.finish_reason],
    ["attempts", String(r.attempts)],
  ];
  return html`<article class="reply-card" data-model="${model}">
<h3>${swatch(run.models, model)} <span class="badge ${outcome}">${label}</span>${r.checks_total !== null ? html` <span class="meta">${r.checks_passed}/${r.checks_total} checks</span>` : ""}</h3>
<pre class="reply-text" tabindex="0">${r.reply || "(empty)"}</pre>
${r.error ? html`<p class="alert">${r.error}</p>` : ""}
${r.checks.length ? html`<ul class="check-results">${r.checks.map((c) => html`<li class="${c.passed ? "pass" : "fail"}">${c.passed ? "✓" : "✗"} <code>${c.type}</code>: ${c.detail}${c.error ? html` <span class="warn">(${c.error})</span>` : ""}</li>`)}</ul>` : ""}
<dl class="stats">${stats.map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>
<p class="meta">stored ${time(r.completed_at)}</p>
</article>`;
}
