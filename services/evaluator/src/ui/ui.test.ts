// The web UI in process, without a browser, against contract-conformant fake model servers (@evalstack/testing) and a
// real SQLite store: the 401 sign-in answers and the session cookie, every page's content, the item filters,
// the item page, report downloads, escaping of model replies, and that the API itself is unchanged (it
// never accepts the cookie). The browser end to end on real models is test/uiBrowser.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Script } from "node:vm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeModelServer, type FakeModelServer } from "@evalstack/testing";
import { loadConfig } from "../config.js";
import { startServer, type EvaluatorServer } from "../server.js";
import { CLIENT_SCRIPT } from "./assets.js";
import { safeNext, sameOrigin } from "./auth.js";
import { KEY_COOKIE } from "./index.js";

const KEY = "ui-test-key-0123456789abcdef";
const EVIL = "<script>alert(1)</script>";

let dir: string;
let models: FakeModelServer[];
let server: EvaluatorServer;
let cookie: string;
let runId: string;

// alpha answers every prompt with markup (it must come out as text); beta says "ok".
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "evalstack-ui-"));
  models = [await startFakeModelServer({ slots: 2, reply: () => `${EVIL} 42` }), await startFakeModelServer({ slots: 2 })];
  const config = loadConfig({
    EVALSTACK_HOST: "127.0.0.1",
    EVALSTACK_PORT: "0",
    EVALSTACK_MODELS: `alpha=${models[0]!.target},beta=${models[1]!.target}`,
    EVALSTACK_DB_PATH: join(dir, "ui.db"),
    EVALSTACK_API_KEYS: KEY,
    EVALSTACK_LEASE_MS: "1000",
  });
  server = await startServer({ config, log: pino({ level: "silent" }), runOptions: { backoff: { baseMs: 5, maxMs: 20 } } });
});

afterAll(async () => {
  await server?.close();
  for (const m of models ?? []) await m.close();
  rmSync(dir, { recursive: true, force: true });
});

const page = (path: string, init: RequestInit = {}) =>
  fetch(`${server.url}${path}`, {
    redirect: "manual",
    ...init,
    headers: { ...(cookie ? { cookie } : {}), ...(init.headers as Record<string, string>) },
  });

async function signIn(key: string, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/ui/session`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: server.url, ...headers },
    body: new URLSearchParams({ key, next: "/runs?offset=0" }).toString(),
  });
}

async function waitForRun(id: string) {
  for (;;) {
    const run = await server.store.getRunHeader(id);
    if (run && ["completed", "partial", "failed", "cancelled"].includes(run.status)) return run;
    await server.runs.events.nextFor(id, 200);
  }
}

describe("web UI: auth", () => {
  it("answers 401 with the sign-in form on every page without a valid key, and leaves the static files open", async () => {
    for (const path of ["/", "/runs", "/runs/run_x", "/runs/run_x/items/a", "/runs/run_x/report/md", "/runs/run_x/items.csv", "/models"]) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      const text = await res.text();
      expect(text).toContain('<form method="post" action="/ui/session"');
      expect(text).not.toContain("seed-50");
    }
    const wrong = await fetch(`${server.url}/runs`, { headers: { cookie: `${KEY_COOKIE}=not-the-key-at-all-000` } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toMatch(new RegExp(`^${KEY_COOKIE}=;.*Max-Age=0`));
    // A bearer header is the API's credential, not the pages'.
    expect((await fetch(`${server.url}/runs`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(401);
    for (const path of ["/ui/app.js", "/ui/app.css"]) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("etag")).toMatch(/^"[0-9a-f]{12}"$/);
      expect((await fetch(`${server.url}${path}`, { headers: { "if-none-match": res.headers.get("etag")! } })).status).toBe(304);
    }
  });

  it("signs in with a valid key only, into an HttpOnly SameSite=Strict session cookie; refuses a cross-site form", async () => {
    const bad = await signIn("wrong-key-wrong-key-wrong");
    expect(bad.status).toBe(401);
    expect(await bad.text()).toContain("That API key is not valid.");
    expect(bad.headers.get("set-cookie")).toBeNull();

    const crossSite = await signIn(KEY, { origin: "https://evil.example", "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.get("set-cookie")).toBeNull();

    const ok = await signIn(KEY);
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/runs?offset=0");
    const setCookie = ok.headers.get("set-cookie")!;
    expect(setCookie).toMatch(new RegExp(`^${KEY_COOKIE}=`));
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Max-Age|Expires/); // a session cookie
    cookie = setCookie.split(";")[0]!;

    const runs = await page("/runs");
    expect(runs.status).toBe(200);
    expect(runs.headers.get("content-security-policy")).toContain("script-src 'self'");
    // The cookie never opens the API.
    expect((await page("/v1/runs")).status).toBe(401);
    // Other methods on pages are refused.
    expect((await page("/runs", { method: "POST" })).status).toBe(405);
  });

  it("signs out: the cookie is cleared", async () => {
    const res = await fetch(`${server.url}/ui/session/end`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, origin: server.url },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("set-cookie")).toMatch(new RegExp(`^${KEY_COOKIE}=;.*Max-Age=0`));
  });

  it("only redirects to paths on this site, and tells same-site form posts from cross-site ones", () => {
    expect(safeNext("/runs/x?model=a")).toBe("/runs/x?model=a");
    for (const bad of ["//evil.example/x", "https://evil.example", "/\\evil", "runs", 42, undefined]) expect(safeNext(bad)).toBe("/");
    const h = (o: Record<string, string>) => new Headers(o);
    expect(sameOrigin("http://a:1/ui/session", h({ host: "a:1", origin: "http://a:1" }))).toBe(true);
    expect(sameOrigin("http://a:1/ui/session", h({ host: "a:1", origin: "http://b:1" }))).toBe(false);
    expect(sameOrigin("http://a:1/ui/session", h({ host: "a:1", origin: "null" }))).toBe(false);
    expect(sameOrigin("http://a:1/ui/session", h({ "sec-fetch-site": "same-site", origin: "http://a:1" }))).toBe(false);
    expect(sameOrigin("http://a:1/ui/session", h({ "sec-fetch-site": "same-origin" }))).toBe(true);
    expect(sameOrigin("http://a:1/ui/session", h({}))).toBe(true);
  });
});

describe("web UI: pages", () => {
  it("serves the playground with the models and the seed-50 items to pick", async () => {
    cookie = (await signIn(KEY)).headers.get("set-cookie")!.split(";")[0]!;
    const res = await page("/");
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('data-page="playground"');
    expect(text).toContain('data-auth="on"');
    expect(text).toContain('name="models" value="alpha"');
    expect(text).toContain('name="models" value="beta"');
    expect(text.match(/<option value="seed-50\//g)).toHaveLength(50);
    // The items' data for the client script cannot close its script element.
    const json = /<script type="application\/json" id="pg-items">([\s\S]*?)<\/script>/.exec(text)![1]!;
    expect(json).not.toContain("</");
    expect(JSON.parse(json)).toHaveLength(50);
    expect(text).not.toMatch(/<script>(?!<\/script>)/); // no inline script (the CSP forbids it)
  });

  it("lists runs, shows a finished run with scores, performance, filters, item pages and downloads", async () => {
    const created = await fetch(`${server.url}/v1/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ suite: "smoke-6", models: ["alpha", "beta"], max_tokens: 16, sampling: { temperature: 0 } }),
    });
    expect(created.status).toBe(201);
    runId = ((await created.json()) as { id: string }).id;
    const finished = await waitForRun(runId);
    expect(["completed", "partial"]).toContain(finished.status);

    const list = await (await page("/runs")).text();
    expect(list).toContain(`href="/runs/${runId}"`);
    expect(list).toContain('<span class="badge completed">completed</span>');
    expect(list).toContain('<option value="smoke-6" selected>');
    expect(list).toMatch(/alpha: (<b>\d+<\/b>\/6)/);

    const run = await page(`/runs/${runId}`);
    expect(run.status).toBe(200);
    const text = await run.text();
    expect(text).toContain('data-run-status="completed"');
    expect(text).toContain('id="scores"');
    expect(text).toContain('aria-label="Radar chart of the dimension scores"');
    expect(text).toContain('id="performance"');
    expect(text).toContain("12 of 12 replies");
    expect(text.match(/<tr data-model=/g)).toHaveLength(12);
    // Model replies are text, never markup.
    expect(text).not.toContain(EVIL);
    expect(text).toContain("&lt;script&gt;alert(1)&lt;/script&gt; 42");
    for (const f of ["md", "html", "json", "csv"]) expect(text).toContain(`href="/runs/${runId}/report/${f}"`);

    const alpha = await (await page(`/runs/${runId}?model=alpha`)).text();
    expect(alpha.match(/<tr data-model="alpha"/g)).toHaveLength(6);
    expect(alpha).not.toContain('<tr data-model="beta"');
    expect(alpha).toContain('<option value="alpha" selected>');
    const math = await (await page(`/runs/${runId}?dimension=math&model=beta`)).text();
    expect(math.match(/<tr data-model="beta" data-dimension="math"/g)).toHaveLength(1);
    expect(math.match(/<tr data-model=/g)).toHaveLength(1);
    // beta's "ok" passes no check of smoke-6 except none: every scored beta reply failed.
    const failed = await (await page(`/runs/${runId}?model=beta&outcome=failed`)).text();
    expect(failed.match(/<tr data-model="beta"[^>]*data-outcome="failed"/g)).toHaveLength(5);
    const errors = await (await page(`/runs/${runId}?outcome=error`)).text();
    expect(errors).toContain("No replies");
    // Unknown filter values are ignored rather than failing the page.
    expect((await page(`/runs/${runId}?model=zeta&dimension=poetry&outcome=maybe&offset=-3`)).status).toBe(200);

    const item = await page(`/runs/${runId}/items/math-01-seed-students?repeat=0`);
    expect(item.status).toBe(200);
    const itemText = await item.text();
    expect(itemText).toContain('id="item-prompt"');
    expect(itemText.match(/<article class="reply-card" data-model="(alpha|beta)">/g)).toHaveLength(2);
    expect(itemText).toContain("numeric_answer");
    expect((await page(`/runs/${runId}/items/no-such-item`)).status).toBe(404);

    const md = await page(`/runs/${runId}/report/md`);
    expect(md.status).toBe(200);
    expect(md.headers.get("content-disposition")).toBe(`attachment; filename="${runId}-report.md"`);
    expect(await md.text()).toContain("alpha");
    const csv = await page(`/runs/${runId}/items.csv`);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect((await csv.text()).trim().split("\n")[0]).toMatch(/^seq,run_id,item_id/);
    expect((await page(`/runs/${runId}/report/pdf`)).status).toBe(404);

    const unknown = await page("/runs/run_nope");
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain("unknown run");
  });

  it("shows the models' health, GetModelInfo and this evaluator's load", async () => {
    const res = await page("/models");
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('<section class="card" data-model="alpha"');
    expect(text).toContain('<span class="badge SERVING">serving</span>');
    expect(text).toContain("fake-model");
    expect(text).toContain('<b data-field="pending_requests">0</b>');
    expect(text).toContain("0".repeat(64));
  });

  it("serves a client script that parses (the browser test runs it on real models)", () => {
    expect(() => new Script(CLIENT_SCRIPT.body, { filename: "client.js" })).not.toThrow();
    expect(CLIENT_SCRIPT.body).toContain('"evalstack.apiKey"');
  });

  it("keeps the API's OpenAPI document free of the UI's routes", async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => !p.startsWith("/v1/") && !["/healthz", "/readyz", "/metrics"].includes(p))).toEqual([]);
  });
});

describe("web UI: auth off", () => {
  it("opens every page without a key and says auth is off", async () => {
    const open = await startServer({
      config: loadConfig({
        EVALSTACK_HOST: "127.0.0.1",
        EVALSTACK_PORT: "0",
        EVALSTACK_MODELS: `alpha=${models[0]!.target}`,
        EVALSTACK_DB_PATH: join(dir, "open.db"),
        EVALSTACK_AUTH: "off",
      }),
      log: pino({ level: "silent" }),
    });
    try {
      for (const path of ["/", "/runs", "/models"]) {
        const res = await fetch(`${open.url}${path}`);
        expect(res.status, path).toBe(200);
        const text = await res.text();
        expect(text).toContain('data-auth="off"');
        expect(text).toContain("auth off");
        expect(text).not.toContain("Sign out");
      }
      const session = await fetch(`${open.url}/ui/session`, {
        method: "POST",
        redirect: "manual",
        body: new URLSearchParams({ next: "/models" }),
      });
      expect(session.status).toBe(303);
      expect(session.headers.get("set-cookie")).toBeNull();
    } finally {
      await open.close();
    }
  });
});
