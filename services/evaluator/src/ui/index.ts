// The evaluator's web UI, mounted at `/` by the API app: the playground (`/`), runs (`/runs`, `/runs/{id}`,
// `/runs/{id}/items/{item}`, report downloads), models (`/models`), sign-in (`POST /ui/session`), and the
// stylesheet and client script (`/ui/app.css`, `/ui/app.js`). Pages are server-rendered from what the API
// serves (called in process with the signed-in key); the client script streams (compare, run events) and
// acts (start or cancel a run) through the same /v1 API with the key as a bearer token.
//
// With auth on, every page without a valid key answers 401 with the sign-in form; the static files are open.
//
// Routes are registered for every method and answer 405 to anything but GET/HEAD (POST for the session):
// the API's OpenAPI test holds every method-specific route of the app to be documented, and the UI is not
// part of the API.
import { Hono, type Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppDeps, AppEnv } from "../api/context.js";
import { DIMENSIONS } from "../suites/types.js";
import {
  ApiFailure,
  apiClient,
  query,
  type ApiClient,
  type ApiTarget,
  type ItemRow,
  type ModelRow,
  type Report,
  type Run,
  type RunRow,
  type Suite,
  type SuiteRow,
} from "./api.js";
import { CLIENT_SCRIPT, STYLESHEET } from "./assets.js";
import { createKeyCheck } from "../api/middleware/apiKeys.js";
import { KEY_COOKIE, safeNext, sameOrigin } from "./auth.js";
import { PAGE_HEADERS, type Html, type Session } from "./layout.js";
import { errorPage } from "./pages/errorPage.js";
import { itemPage } from "./pages/item.js";
import { modelsPage } from "./pages/models.js";
import { playgroundPage } from "./pages/playground.js";
import { ITEMS_PAGE_SIZE, OUTCOMES, runPage, type ItemFilters, type Outcome } from "./pages/run.js";
import { RUNS_PAGE_SIZE, runsPage, type ModelCounts } from "./pages/runs.js";
import { signInPage } from "./pages/signIn.js";

export { KEY_COOKIE } from "./auth.js";

/** Suites offered in the playground's item picker besides seed-50: uploaded ones up to this size. */
const PICKER_MAX_ITEMS = 200;
const PICKER_MAX_SUITES = 5;

interface PageContext {
  session: Session;
  api: ApiClient;
}

type UiContext = Context<AppEnv>;

export function createUiRoutes(deps: AppDeps, target: ApiTarget): Hono<AppEnv> {
  const ui = new Hono<AppEnv>();
  const authOn = deps.config.auth.enabled;
  const validKey = createKeyCheck(deps.config.auth);
  const session: Session = { authOn, signedIn: authOn };

  const render = (c: UiContext, body: Html, status: 200 | 401 | 403 | 404 | 500 | 502 | 503 = 200, headers: Record<string, string> = {}) =>
    c.html(body, status, { ...PAGE_HEADERS, ...headers });

  const signIn = (c: UiContext, error?: string) => {
    const url = new URL(c.req.url);
    return render(c, signInPage({ next: safeNext(url.pathname + url.search), ...(error ? { error } : {}) }), 401, {
      "www-authenticate": 'Bearer realm="evalstack"',
    });
  };

  const methodNotAllowed = (c: UiContext, allow: string) => c.text(`method not allowed (${allow})`, 405, { allow });

  /** A page: GET/HEAD only, signed in when auth is on, API failures shown as pages. */
  const page = (path: string, handler: (c: UiContext, p: PageContext) => Promise<Response>) =>
    ui.all(path, async (c) => {
      if (c.req.method !== "GET" && c.req.method !== "HEAD") return methodNotAllowed(c, "GET, HEAD");
      const key = authOn ? getCookie(c, KEY_COOKIE) : undefined;
      if (authOn && !validKey(key)) {
        if (key) deleteCookie(c, KEY_COOKIE, { path: "/" });
        return signIn(c, key ? "The saved API key is no longer valid: sign in again." : undefined);
      }
      try {
        return await handler(c, { session, api: apiClient(target, key, c.get("requestId")) });
      } catch (error) {
        if (!(error instanceof ApiFailure)) throw error;
        if (error.status === 401) return signIn(c, error.message);
        const status = error.status === 404 ? 404 : error.status >= 500 ? 502 : 500;
        return render(
          c,
          errorPage({
            session,
            status,
            title: error.status === 404 ? "Not found" : "The API answered with an error",
            detail: error.message,
          }),
          status,
        );
      }
    });

  // Static files: content-hashed URLs, cacheable for good.
  for (const asset of [STYLESHEET, CLIENT_SCRIPT]) {
    ui.all(asset.path.split("?")[0]!, (c) => {
      if (c.req.method !== "GET" && c.req.method !== "HEAD") return methodNotAllowed(c, "GET, HEAD");
      const headers = {
        "content-type": asset.contentType,
        etag: asset.etag,
        "x-content-type-options": "nosniff",
        "cache-control": c.req.query("v") === asset.etag.slice(1, -1) ? "public, max-age=31536000, immutable" : "no-cache",
      };
      if (c.req.header("if-none-match") === asset.etag) return c.body(null, 304, headers);
      return c.body(asset.body, 200, headers);
    });
  }

  // Sign in: the key from the form, checked, then kept in a session cookie for the pages.
  ui.all("/ui/session", async (c) => {
    if (c.req.method !== "POST") return methodNotAllowed(c, "POST");
    if (!sameOrigin(c.req.url, c.req.raw.headers)) return c.text("sign-in from another site refused", 403);
    const form = await c.req.parseBody();
    const next = safeNext(form.next);
    if (!authOn) return c.redirect(next, 303);
    const key = typeof form.key === "string" ? form.key.trim() : "";
    if (!validKey(key)) return signIn(c, key ? "That API key is not valid." : "Enter an API key.");
    const url = new URL(c.req.url);
    const secure = url.protocol === "https:" || c.req.header("x-forwarded-proto") === "https";
    setCookie(c, KEY_COOKIE, key, { path: "/", httpOnly: true, sameSite: "Strict", secure });
    return c.redirect(next, 303);
  });

  ui.all("/ui/session/end", (c) => {
    if (c.req.method !== "POST") return methodNotAllowed(c, "POST");
    if (!sameOrigin(c.req.url, c.req.raw.headers)) return c.text("sign-out from another site refused", 403);
    deleteCookie(c, KEY_COOKIE, { path: "/" });
    return c.redirect("/", 303);
  });

  page("/", async (c, { session, api }) => {
    const rows = await api.json<SuiteRow[]>("/v1/suites");
    const picked = rows
      .filter((s) => s.id === "seed-50" || (!s.builtin && s.item_count <= PICKER_MAX_ITEMS))
      .slice(0, 1 + PICKER_MAX_SUITES);
    const suites = await Promise.all(picked.map((s) => api.json<Suite>(`/v1/suites/${encodeURIComponent(s.id)}`)));
    const notes = suites.length === 0 ? ["No suite is small enough for the item picker; type a prompt."] : [];
    return render(c, playgroundPage({ session, models: deps.models.names(), suites, notes }));
  });

  page("/runs", async (c, { session, api }) => {
    const offset = nonNegativeInt(c.req.query("offset"));
    const [{ body: runs, total }, suites] = await Promise.all([
      api.jsonWithTotal<RunRow[]>(`/v1/runs${query({ limit: RUNS_PAGE_SIZE, offset })}`),
      api.json<SuiteRow[]>("/v1/suites"),
    ]);
    // Per-model pass counts are not in the run rows; the store has them for a page of runs in one query.
    const counts = await deps.store.countsFor(runs.map((r) => r.id));
    const countsByRun = new Map<string, Record<string, ModelCounts>>();
    for (const [id, cnt] of counts) countsByRun.set(id, cnt.by_model);
    return render(c, runsPage({ session, models: deps.models.names(), suites, runs, total, offset, countsByRun }));
  });

  page("/runs/:id", async (c, { session, api }) => {
    const id = param(c, "id");
    const run = await api.json<Run>(`/v1/runs/${encodeURIComponent(id)}`);
    const filters = itemFilters(c, run);
    const itemQuery = query({
      model: filters.model,
      dimension: filters.dimension,
      passed: filters.outcome === "passed" ? "true" : filters.outcome === "failed" ? "false" : undefined,
      status: filters.outcome === "error" ? "error" : filters.outcome ? "completed" : undefined,
      limit: ITEMS_PAGE_SIZE,
      offset: filters.offset,
    });
    const [report, items] = await Promise.all([
      run.progress.done > 0 ? api.json<Report>(`/v1/runs/${encodeURIComponent(run.id)}/report?format=json`) : Promise.resolve(null),
      api.jsonWithTotal<ItemRow[]>(`/v1/runs/${encodeURIComponent(run.id)}/items${itemQuery}`),
    ]);
    return render(c, runPage({ session, run, report, items: items.body, itemsTotal: items.total, filters }));
  });

  page("/runs/:id/items/:item", async (c, { session, api }) => {
    const run = await api.json<Run>(`/v1/runs/${encodeURIComponent(param(c, "id"))}`);
    const itemId = param(c, "item");
    const repeat = Math.min(run.repeats - 1, nonNegativeInt(c.req.query("repeat")));
    const [report, suiteItem] = await Promise.all([
      run.progress.done > 0 ? api.json<Report>(`/v1/runs/${encodeURIComponent(run.id)}/report?format=json`) : Promise.resolve(null),
      // A run over several suites names them all ("seed-50,humaneval"): the item is in one of them.
      Promise.all(
        run.suite_id.split(",").map((id) => api.json<Suite>(`/v1/suites/${encodeURIComponent(id.trim())}`).catch(() => null)),
      ).then((suites) => suites.flatMap((s) => s?.items ?? []).find((i) => i.id === itemId) ?? null),
    ]);
    const reportRow = report?.items.find((i) => i.item_id === itemId);
    const dimension = reportRow?.dimension ?? suiteItem?.dimension ?? null;
    if (!dimension) throw new ApiFailure(404, { detail: `run ${run.id} has no item "${itemId}"` });
    // The items API filters by dimension, not by item: take the item's dimension and pick the item out.
    const rows = await api.json<ItemRow[]>(`/v1/runs/${encodeURIComponent(run.id)}/items${query({ dimension, limit: 10_000 })}`);
    const replies = rows.filter((r) => r.item_id === itemId && r.repeat === repeat);
    const prompt =
      reportRow?.prompt ??
      suiteItem?.messages.map((m) => (m.role === "user" ? m.content : `[${m.role}] ${m.content}`)).join("\n\n") ??
      null;
    return render(c, itemPage({ session, run, itemId, repeat, dimension, prompt, checks: suiteItem?.checks ?? null, replies }));
  });

  // Downloads: the API's report (and item CSV), as an attachment.
  page("/runs/:id/report/:format", async (c, { api }) => {
    const id = param(c, "id");
    const format = param(c, "format");
    if (!["md", "html", "json", "csv"].includes(format))
      throw new ApiFailure(404, { detail: `no report format "${format}" (md, html, json, csv)` });
    return download(api, `/v1/runs/${encodeURIComponent(id)}/report?format=${format}`, `${id}-report.${format}`);
  });

  page("/runs/:id/items.csv", async (c, { api }) => {
    const id = param(c, "id");
    return download(api, `/v1/runs/${encodeURIComponent(id)}/items?format=csv&limit=10000`, `${id}-items.csv`);
  });

  page("/models", async (c, { session, api }) => {
    const models = await api.json<ModelRow[]>("/v1/models");
    return render(c, modelsPage({ session, models }));
  });

  return ui;
}

async function download(api: ApiClient, path: string, filename: string): Promise<Response> {
  const res = await api.get(path);
  if (!res.ok) {
    const problem = (await res.json().catch(() => ({}))) as { detail?: string };
    throw new ApiFailure(res.status, problem);
  }
  return new Response(res.body, {
    status: 200,
    headers: {
      "content-type": res.headers.get("content-type") ?? "application/octet-stream",
      "content-disposition": `attachment; filename="${filename.replace(/[^\w.-]/g, "_")}"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}

function param(c: UiContext, name: string): string {
  return c.req.param(name) ?? "";
}

function nonNegativeInt(value: string | undefined): number {
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

function itemFilters(c: UiContext, run: Run): ItemFilters {
  const model = c.req.query("model");
  const dimension = c.req.query("dimension");
  const outcome = c.req.query("outcome") as Outcome | undefined;
  return {
    ...(model && run.models.includes(model) ? { model } : {}),
    ...(dimension && (DIMENSIONS as readonly string[]).includes(dimension) ? { dimension } : {}),
    ...(outcome && OUTCOMES.includes(outcome) ? { outcome } : {}),
    offset: nonNegativeInt(c.req.query("offset")),
  };
}
