// The sign-in page: the body of every 401 a page answers when auth is on and the browser has no valid key.
import { html } from "hono/html";
import { layout, type Html } from "../layout.js";

export function signInPage(options: { next: string; error?: string }): Html {
  const body = html`<h1>Sign in</h1>
<div class="card" style="max-width:520px">
<p>This evaluator needs an API key (one of <code>EVALSTACK_API_KEYS</code>). It is kept for this browser session
only: in the tab (for the API calls the page makes) and in a session cookie (for the pages).</p>
${options.error ? html`<p class="alert" role="alert" id="signin-error">${options.error}</p>` : ""}
<form method="post" action="/ui/session" class="stack" id="signin-form">
<input type="hidden" name="next" value="${options.next}">
<div class="field"><label for="api-key">API key</label>
<input type="password" id="api-key" name="key" required minlength="16" autocomplete="current-password" autofocus></div>
<div class="actions"><button type="submit">Sign in</button></div>
</form>
</div>`;
  return layout({
    title: "Sign in",
    page: "signin",
    session: { authOn: true, signedIn: false },
    body,
    data: options.error ? { "signin-failed": "1" } : {},
  });
}
