// The page shell (head, navigation, session) and the small pieces every page uses. Server-rendered with
// Hono's html helper: every interpolated value is escaped unless it is already markup (html`` or raw()).
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { PALETTE } from "../reports/svgCharts.js";
import { CLIENT_SCRIPT, STYLESHEET } from "./assets.js";

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export type PageName = "playground" | "runs" | "run" | "item" | "models" | "signin" | "error";

export interface Session {
  /** Auth is on (EVALSTACK_AUTH): the page shows the signed-in state and the client sends the key. */
  authOn: boolean;
  signedIn: boolean;
}

const NAV: { href: string; label: string; pages: PageName[] }[] = [
  { href: "/", label: "Playground", pages: ["playground"] },
  { href: "/runs", label: "Runs", pages: ["runs", "run", "item"] },
  { href: "/models", label: "Models", pages: ["models"] },
];

/** Security headers for every UI page: no inline script, nothing from elsewhere, no framing. */
export const PAGE_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
};

export function layout(options: { title: string; page: PageName; session: Session; body: Html; data?: Record<string, string> }): Html {
  const { title, page, session, body } = options;
  const data = Object.entries(options.data ?? {}).map(([k, v]) => html` data-${raw(k.replace(/[^a-z0-9-]/g, ""))}="${v}"`);
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · evalstack</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${STYLESHEET.path}">
<script src="${CLIENT_SCRIPT.path}" defer></script>
</head>
<body data-page="${page}" data-auth="${session.authOn ? "on" : "off"}"${data}>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><div class="bar">
<a class="brand" href="/">evalstack</a>
${page === "signin" ? "" : html`<nav aria-label="Main"><ul>${NAV.map((n) => html`<li><a href="${n.href}"${n.pages.includes(page) ? raw(' aria-current="page"') : ""}>${n.label}</a></li>`)}</ul></nav>`}
<div class="session">${sessionControls(session, page)}</div>
</div></header>
<main id="main" tabindex="-1">
<div id="auth-banner" class="notice" role="status"></div>
${body}
</main>
</body>
</html>`;
}

function sessionControls(session: Session, page: PageName): Html | string {
  if (!session.authOn) return html`<span title="EVALSTACK_AUTH=off">auth off (local use)</span>`;
  if (!session.signedIn || page === "signin") return "";
  return html`<span>signed in with an API key</span><form method="post" action="/ui/session/end" id="signout-form"><button type="submit">Sign out</button></form>`;
}

export function badge(status: string): Html {
  return html`<span class="badge ${status}">${status.toLowerCase().replace(/_/g, " ")}</span>`;
}

export function modelColor(models: string[], model: string): string {
  const i = Math.max(0, models.indexOf(model));
  return PALETTE[i % PALETTE.length] as string;
}

export function swatch(models: string[], model: string): Html {
  return html`<span class="swatch" style="background:${modelColor(models, model)}" aria-hidden="true"></span>${model}`;
}

/** A bar of done/total; `finished` colours a full bar as finished work (not for a load gauge). */
export function progressBar(done: number, total: number, label: string, finished = true): Html {
  const pct = total > 0 ? Math.min(100, (100 * done) / total) : 0;
  return html`<div class="progress${finished && done >= total && total > 0 ? " done" : ""}" role="progressbar" aria-label="${label}" aria-valuemin="0" aria-valuemax="${total}" aria-valuenow="${done}"><span style="width:${pct.toFixed(1)}%"></span></div>`;
}

/** A horizontally scrollable table region (keyboard-focusable, named for screen readers). */
export function tableWrap(label: string, table: Html, id?: string): Html {
  return html`<div class="table-wrap" role="region" aria-label="${label}" tabindex="0"${id ? html` id="${id}"` : ""}>${table}</div>`;
}

/** Data for the client script: JSON in a non-executed script element (`<` escaped so it cannot close it). */
export function jsonScript(id: string, value: unknown): Html {
  return html`<script type="application/json" id="${id}">${raw(JSON.stringify(value).replace(/</g, "\\u003c"))}</script>`;
}

/** A timestamp as UTC text; the client script shows it in the reader's time zone. */
export function time(iso: string | null | undefined): Html | string {
  if (!iso) return "—";
  const text = iso
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC")
    .replace(/Z$/, " UTC");
  return html`<time datetime="${iso}">${text}</time>`;
}

export function fmtDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1_000);
  if (s < 60) return `${(ms / 1_000).toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function durationBetween(from: string | null, to: string | null, now = Date.now()): number | null {
  if (!from) return null;
  const end = to ? Date.parse(to) : now;
  return end - Date.parse(from);
}

export function pct(x: number, digits = 0): string {
  return `${(x * 100).toFixed(digits)}%`;
}
