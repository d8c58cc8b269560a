// Playground: one prompt (typed, or a suite item) to several models at once. The client script posts it to
// POST /v1/compare/stream and fills one card per model as the deltas arrive, then the timings and token
// counts of each reply; for a suite item it scores each reply with POST /v1/score and lists the checks.
import { html } from "hono/html";
import type { Suite } from "../api.js";
import { jsonScript, layout, modelColor, type Html, type Session } from "../layout.js";

export interface PlaygroundItem {
  key: string;
  suite: string;
  id: string;
  dimension: string;
  messages: { role: string; content: string }[];
  max_tokens?: number;
  checks: { type: string }[];
}

export function playgroundItems(suites: Suite[]): PlaygroundItem[] {
  return suites.flatMap((s) =>
    s.items.map((i) => ({
      key: `${s.id}/${i.id}`,
      suite: s.id,
      id: i.id,
      dimension: i.dimension,
      messages: i.messages,
      ...(i.max_tokens !== undefined ? { max_tokens: i.max_tokens } : {}),
      checks: i.checks,
    })),
  );
}

const STATS: [string, string][] = [
  ["ttft_ms", "TTFT (model)"],
  ["client_ttft_ms", "TTFT (evaluator)"],
  ["browser_ttft_ms", "TTFT (this page)"],
  ["tokens_per_second", "tokens/s"],
  ["prompt_tokens", "prompt tokens"],
  ["completion_tokens", "completion tokens"],
  ["total_ms", "total (model)"],
  ["queue_ms", "queue"],
  ["finish_reason", "finish"],
];

export function playgroundPage(options: { session: Session; models: string[]; suites: Suite[]; notes: string[] }): Html {
  const { models, suites } = options;
  const items = playgroundItems(suites);
  const body = html`<h1>Playground</h1>
<p class="meta">One prompt to every chosen model at once; the replies stream in side by side (<code>POST /v1/compare/stream</code>).
Pick a suite item to see its checks scored against each reply (<code>POST /v1/score</code>).</p>
${options.notes.map((n) => html`<p class="notice">${n}</p>`)}
<div class="pg-layout">
<section class="card" aria-labelledby="pg-form-title">
<h2 id="pg-form-title" style="margin-top:0">Prompt</h2>
<form id="pg-form" class="stack" novalidate>
<div class="field"><label for="pg-item">Suite item (optional)</label>
<select id="pg-item" name="item"><option value="">Your own prompt</option>
${suites.map((s) => html`<optgroup label="${s.id}">${s.items.map((i) => html`<option value="${s.id}/${i.id}">${i.id} · ${i.dimension}</option>`)}</optgroup>`)}
</select></div>
<div id="pg-item-info" class="meta" aria-live="polite"></div>
<div class="field"><label for="pg-prompt">Prompt</label>
<textarea id="pg-prompt" name="prompt" rows="7" required aria-describedby="pg-prompt-hint"></textarea>
<span id="pg-prompt-hint" class="meta">Ctrl+Enter (⌘+Enter) sends.</span></div>
<fieldset><legend>Models</legend><div class="checks-inline">
${models.map((m) => html`<label><input type="checkbox" name="models" value="${m}" checked><span class="swatch" style="background:${modelColor(models, m)}" aria-hidden="true"></span>${m}</label>`)}
</div></fieldset>
<fieldset><legend>Sampling</legend><div class="row">
<div class="field"><label for="pg-temperature">temperature</label><input type="number" id="pg-temperature" name="temperature" value="0" min="0" max="5" step="0.1"></div>
<div class="field"><label for="pg-max-tokens">max tokens</label><input type="number" id="pg-max-tokens" name="max_tokens" value="128" min="1" max="32768" step="1"></div>
<div class="field"><label for="pg-top-p">top p</label><input type="number" id="pg-top-p" name="top_p" min="0.01" max="1" step="0.01" placeholder="default"></div>
<div class="field"><label for="pg-top-k">top k</label><input type="number" id="pg-top-k" name="top_k" min="0" max="1000" step="1" placeholder="default"></div>
<div class="field"><label for="pg-seed">seed</label><input type="number" id="pg-seed" name="seed" min="0" step="1" placeholder="none"></div>
</div></fieldset>
<div class="actions"><button type="submit" id="pg-send">Send</button><button type="button" class="secondary" id="pg-stop" disabled>Stop</button><span id="pg-status" class="meta" role="status"></span></div>
<div id="pg-error" class="alert" role="alert"></div>
</form>
</section>
<section aria-labelledby="pg-replies-title">
<h2 id="pg-replies-title" style="margin-top:0">Replies</h2>
<div id="pg-replies" class="replies"><p class="meta" id="pg-empty">The replies appear here, one column per model.</p></div>
</section>
</div>
<template id="reply-template"><article class="reply-card">
<h3><span class="swatch" aria-hidden="true"></span><span class="model-name"></span> <span class="badge running" data-role="state" role="status">waiting</span></h3>
<pre class="reply-text" data-role="text" tabindex="0"></pre>
<dl class="stats">${STATS.map(([k, label]) => html`<div><dt>${label}</dt><dd data-stat="${k}">—</dd></div>`)}</dl>
<p class="alert" data-role="error"></p>
<div data-role="checks"></div>
</article></template>
${jsonScript(
  "pg-models",
  models.map((m) => ({ name: m, color: modelColor(models, m) })),
)}
${jsonScript("pg-items", items)}`;
  return layout({ title: "Playground", page: "playground", session: options.session, body });
}
