// A page for an answer that is not the page asked for: an unknown run (404), the API failing (5xx).
import { html } from "hono/html";
import { layout, type Html, type Session } from "../layout.js";

export function errorPage(options: { session: Session; status: number; title: string; detail: string }): Html {
  const body = html`<h1>${options.title}</h1>
<div class="card"><p id="error-detail">${options.detail}</p><p class="meta">HTTP ${options.status} · <a href="/runs">Runs</a> · <a href="/">Playground</a></p></div>`;
  return layout({ title: options.title, page: "error", session: options.session, body });
}
