// Models: each configured model's gRPC health, what it reports about itself (GetModelInfo: the model
// actually loaded, its size, context, slots, memory) and its load as this evaluator sees it. The client
// script refreshes the health and load every few seconds from GET /v1/models.
import { html } from "hono/html";
import { fmtBytes, fmtCount, fmtMs } from "../../reports/format.js";
import type { ModelRow } from "../api.js";
import { badge, layout, modelColor, progressBar, type Html, type Session } from "../layout.js";

export function modelsPage(options: { session: Session; models: ModelRow[] }): Html {
  const names = options.models.map((m) => m.name);
  const body = html`<h1>Models</h1>
<p class="meta">Health is the model service's <code>grpc.health.v1</code> status; the rest is its <code>GetModelInfo</code>.
<b>Load</b> is this evaluator's view: the calls it has in flight to the model (at most its concurrency, by default the model's
slots) and the requests pending in it (queued here or in flight: the <code>evalstack_pending_requests</code> gauge KEDA scales on).
The evaluator knows each model by its gRPC target only, so the model service's own gauges (busy slots and queue depth over
all its clients: <code>evalstack_server_slots_busy</code>, <code>evalstack_server_queue_depth</code>) stay on that service's
<code>/metrics</code> port and are not shown here. <span id="models-refreshed" role="status"></span></p>
<div class="model-cards" id="models">${options.models.map((m) => card(m, names))}</div>`;
  return layout({ title: "Models", page: "models", session: options.session, body });
}

function card(m: ModelRow, names: string[]): Html {
  if (m.kind === "openai") return openAiCard(m, names);
  const rows: [string, string][] = [
    ["Model loaded", m.model_name ?? "n/a"],
    ["Architecture", m.architecture ?? "n/a"],
    ["Quantization", m.quantization ?? "n/a"],
    ["Parameters", fmtCount(m.parameter_count)],
    ["File size", fmtBytes(m.file_size_bytes)],
    ["Context", m.context_size ? `${m.context_size} tokens` : "n/a"],
    ["Slots", m.slots === null ? "n/a" : String(m.slots)],
    ["Threads", m.threads === null ? "n/a" : String(m.threads)],
    ["Queue limit", m.queue_limit === null ? "n/a" : String(m.queue_limit)],
    ["RAM now / peak", `${fmtBytes(m.ram_bytes)} / ${fmtBytes(m.peak_ram_bytes)}`],
    ["GPU", m.gpu && m.gpu !== "none" ? `${m.gpu}, ${m.gpu_layers ?? 0} layers, ${fmtBytes(m.vram_bytes)} VRAM` : "none (CPU)"],
    ["Load time", fmtMs(m.load_ms)],
    ["Source", m.source ?? "n/a"],
  ];
  return html`<section class="card" data-model="${m.name}" aria-labelledby="model-${m.name}">
<h2 id="model-${m.name}" style="margin-top:0"><span class="swatch" style="background:${modelColor(names, m.name)}" aria-hidden="true"></span>${m.name}
<span data-field="health">${badge(m.health)}</span></h2>
<p class="meta">gRPC target <code>${m.target}</code>${m.health_error ? html` · <span class="fail" data-field="health_error">${m.health_error}</span>` : ""}</p>
<h3>Load (this evaluator)</h3>
<div class="model-progress" style="grid-template-columns:auto 1fr auto">
<span class="meta">in flight</span><div data-field="in_flight_bar">${progressBar(m.in_flight, m.concurrency, `${m.name} calls in flight`, false)}</div><span data-field="in_flight">${m.in_flight} / ${m.concurrency}</span>
</div>
<p>Pending requests: <b data-field="pending_requests">${m.pending_requests}</b> <span class="meta">(queued in this evaluator or in flight)</span></p>
<h3>GetModelInfo</h3>
${m.info_error ? html`<p class="alert">GetModelInfo failed: ${m.info_error}</p>` : ""}
<dl class="kv">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}
<dt>sha256</dt><dd><code style="word-break:break-all">${m.sha256 ?? "n/a"}</code></dd></dl>
</section>`;
}

/** An OpenAI-compatible server: health from GET /models, the served model's id, and nothing it does not report. */
function openAiCard(m: ModelRow, names: string[]): Html {
  return html`<section class="card" data-model="${m.name}" data-kind="openai" aria-labelledby="model-${m.name}">
<h2 id="model-${m.name}" style="margin-top:0"><span class="swatch" style="background:${modelColor(names, m.name)}" aria-hidden="true"></span>${m.name}
<span data-field="health">${badge(m.health)}</span></h2>
<p class="meta">OpenAI-compatible server <code>${m.target}</code>${m.health_error ? html` · <span class="fail" data-field="health_error">${m.health_error}</span>` : ""}</p>
<h3>Load (this evaluator)</h3>
<div class="model-progress" style="grid-template-columns:auto 1fr auto">
<span class="meta">in flight</span><div data-field="in_flight_bar">${progressBar(m.in_flight, m.concurrency, `${m.name} calls in flight`, false)}</div><span data-field="in_flight">${m.in_flight} / ${m.concurrency}</span>
</div>
<p>Pending requests: <b data-field="pending_requests">${m.pending_requests}</b> <span class="meta">(queued in this evaluator or in flight)</span></p>
<h3>What it reports</h3>
${m.info_error ? html`<p class="alert">GET /models failed: ${m.info_error}</p>` : ""}
<dl class="kv"><dt>Served model</dt><dd>${m.model_name ?? "n/a"}</dd>
<dt>Size, parameters, load time, memory</dt><dd>not reported (the OpenAI API has no place for them)</dd>
<dt>Concurrency</dt><dd>${m.concurrency} (configured: such a server has no GetModelInfo)</dd></dl>
</section>`;
}
