// The evaluator's web UI end to end in a real browser: Debian's chromium (headless, driven by playwright-core
// with executablePath; scripts/ci/install-chromium.sh installs it) against the real evaluator process with
// auth on and the real model services (qwen and phi3 slots, small profile). Signs in; sends a prompt in the
// playground and sees two replies stream in with their timings; picks a seed-50 item and sees its checks
// scored (sent from the keyboard); starts a smoke-6 run from the form and watches it complete live; filters
// the item table; opens an item; downloads reports; reads the models page while a long run keeps the models
// busy, sees the runs list follow that run in place, and cancels it from its page; all at 1280 px and 390 px
// with zero console errors once signed in. Screenshots of each page go to test-results/ (CI artifacts).
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEvaluator, TEST_API_KEY, type EvaluatorProcess } from "./helpers/evaluator.js";
import { startTestModels } from "./helpers/modelServices.js";
import { stopAll } from "./helpers/processes.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OUT = join(import.meta.dirname, "..", "test-results");

let dir: string;
let models: Awaited<ReturnType<typeof startTestModels>>;
let evaluator: EvaluatorProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let runId: string;
let longRunId: string;
/** Console errors and warnings, and uncaught page errors, after signing in. */
const problems: string[] = [];
let signedIn = false;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), "evalstack-ui-"));
  [models, browser] = await Promise.all([
    startTestModels(),
    chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    }),
  ]);
  evaluator = await startEvaluator({ models: models.models, dbPath: join(dir, "ui.db") });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  page.on("console", (m) => {
    if ((m.type() === "error" || m.type() === "warning") && signedIn) problems.push(`${page.url()} ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`${page.url()} pageerror: ${e.message}`));
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await stopAll();
  await models?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function shot(name: string, fullPage = false) {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage });
}

/** The document is no wider than the viewport: wide tables scroll inside their own region. */
async function fitsViewport() {
  return page.evaluate<boolean>("document.documentElement.scrollWidth <= window.innerWidth");
}

describe("web UI in headless Chromium, on the real small models", () => {
  it("answers 401 to every page and API call without a valid key", async () => {
    for (const path of ["/", "/runs", "/models", "/runs/run_x", "/runs/run_x/report/md"]) {
      const res = await fetch(`${evaluator.url}${path}`);
      expect(res.status, path).toBe(401);
      expect(await res.text()).toContain('action="/ui/session"');
    }
    const calls: [string, RequestInit][] = [
      ["/v1/runs", {}],
      ["/v1/models", {}],
      ["/v1/runs/run_x/events", {}],
      [
        "/v1/compare/stream",
        { method: "POST", headers: { "content-type": "application/json" }, body: '{"messages":[{"role":"user","content":"hi"}]}' },
      ],
      ["/v1/runs", { method: "POST", headers: { "content-type": "application/json" }, body: '{"suite":"smoke-6","models":["qwen"]}' }],
    ];
    for (const [path, init] of calls) {
      expect((await fetch(`${evaluator.url}${path}`, init)).status, path).toBe(401);
      const wrong = { ...init, headers: { ...(init.headers as Record<string, string>), authorization: "Bearer not-a-valid-key-0000000" } };
      expect((await fetch(`${evaluator.url}${path}`, wrong)).status, path).toBe(401);
    }
  });

  it("signs in once: the 401 page takes the key, then every page opens", async () => {
    const first = await page.goto(`${evaluator.url}/`);
    expect(first!.status()).toBe(401);
    await page.fill("#api-key", "wrong-key-wrong-key-wrong");
    await page.click("#signin-form button[type=submit]");
    await expect.poll(() => page.locator("#signin-error").textContent()).toContain("not valid");
    await shot("ui-signin");
    await page.fill("#api-key", TEST_API_KEY);
    const [response] = await Promise.all([page.waitForNavigation(), page.click("#signin-form button[type=submit]")]);
    expect(response!.status()).toBe(200);
    signedIn = true;
    expect(await page.locator("#pg-form").count()).toBe(1);
    expect(await page.evaluate<string | null>('sessionStorage.getItem("evalstack.apiKey")')).toBe(TEST_API_KEY);
    // Keyboard: the first Tab reaches the skip link, which moves focus to the content.
    await page.keyboard.press("Tab");
    expect(await page.evaluate<string>("document.activeElement.textContent")).toBe("Skip to content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate<string>("document.activeElement.id")).toBe("main");
  });

  it("playground: a prompt streams into two replies side by side, with TTFT, tokens/s and token counts", async () => {
    await page.fill("#pg-prompt", "Name three primary colors.");
    await page.fill("#pg-max-tokens", "24");
    // Record how each reply's text grows while it streams.
    // (Browser-side code as text: the repository's tsconfig has no DOM types.)
    await page.evaluate(`(() => {
      const growth = (window.growth = {});
      new MutationObserver(() => {
        document.querySelectorAll(".reply-card").forEach((card) => {
          if (card.dataset.status) return; // the result replaced the text: streaming is over
          const len = card.querySelector('[data-role="text"]').textContent.length;
          const g = (growth[card.dataset.model] ??= []);
          if (len > 0 && g[g.length - 1] !== len) g.push(len);
        });
      }).observe(document.getElementById("pg-replies"), { childList: true, subtree: true, characterData: true });
    })()`);
    await page.click("#pg-send");
    await page.waitForSelector('body[data-playground-state="done"]', { timeout: 90_000 });
    expect(await page.locator(".reply-card").evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-model")))).toEqual([
      "qwen",
      "phi3",
    ]);
    for (const model of ["qwen", "phi3"]) {
      const card = page.locator(`.reply-card[data-model="${model}"]`);
      const stat = async (k: string) => (await card.locator(`[data-stat="${k}"]`).textContent())!;
      expect(await card.getAttribute("data-status"), model).toBe("completed");
      expect((await card.locator('[data-role="text"]').textContent())!.trim().length, model).toBeGreaterThan(0);
      expect(await stat("ttft_ms")).toMatch(/^\d+(\.\d)? m?s$/);
      expect(await stat("browser_ttft_ms")).toMatch(/^\d+(\.\d)? m?s$/);
      expect(Number(await stat("tokens_per_second"))).toBeGreaterThan(0);
      const completion = Number(await stat("completion_tokens"));
      expect(completion).toBeGreaterThan(0);
      expect(completion).toBeLessThanOrEqual(24);
      expect(Number(await stat("prompt_tokens"))).toBeGreaterThan(0);
    }
    // Streamed: each reply's text grew in several steps before its result arrived.
    const growth = await page.evaluate<Record<string, number[]>>("window.growth");
    expect(growth.qwen!.length, JSON.stringify(growth)).toBeGreaterThanOrEqual(2);
    expect(growth.phi3!.length, JSON.stringify(growth)).toBeGreaterThanOrEqual(2);
    await shot("ui-playground");
  });

  it("playground: a seed-50 item, sent from the keyboard, shows its check results beside each reply", async () => {
    await page.selectOption("#pg-item", "seed-50/math-01-seed-students");
    expect(await page.inputValue("#pg-prompt")).toContain("30");
    expect(await page.locator("#pg-item-info").textContent()).toContain("numeric_answer");
    await page.fill("#pg-max-tokens", "24");
    await page.focus("#pg-prompt");
    await page.keyboard.press("Control+Enter");
    await page.waitForSelector('body[data-playground-state="done"] .reply-card[data-passed] >> nth=1', { timeout: 90_000 });
    for (const model of ["qwen", "phi3"]) {
      const card = page.locator(`.reply-card[data-model="${model}"]`);
      expect(await card.getAttribute("data-passed")).toMatch(/^(true|false)$/);
      const checks = await card.locator(".check-results li").allTextContents();
      expect(checks.map((c) => c.split(":")[0]!.replace(/^[✓✗] /, ""))).toEqual(["numeric_answer", "steps"]);
    }
    await shot("ui-playground-item");
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await fitsViewport()).toBe(true);
    await shot("ui-playground-390", true);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("runs: starts smoke-6 from the form and follows it live to completion", async () => {
    await page.click('nav a[href="/runs"]');
    await page.waitForSelector("#run-form");
    expect(await page.inputValue("#run-suite")).toBe("smoke-6");
    await page.fill("#run-max-tokens", "16");
    await Promise.all([page.waitForURL(/\/runs\/run_[a-z0-9]+$/, { timeout: 30_000 }), page.click("#run-start")]);
    runId = page.url().split("/").pop()!;
    // Live: replies arrive in the feed and the progress bars move while the run goes on.
    await page.waitForSelector("#feed li", { timeout: 90_000 });
    await shot("ui-run-live");
    await page.waitForSelector('body[data-run-status="completed"], body[data-run-status="partial"]', { timeout: 150_000 });
    const run = await evaluator.json<{ status: string; progress: { done: number } }>(`/v1/runs/${runId}`);
    expect(run.status).toBe("completed");
    expect(run.progress.done).toBe(12);
    expect(await page.locator("#scores tbody tr").count()).toBe(5);
    expect(await page.locator('#scores-chart svg[aria-label="Radar chart of the dimension scores"] polygon').count()).toBe(5 + 2);
    expect(await page.locator("#performance tbody tr").count()).toBeGreaterThanOrEqual(10);
    expect(await page.locator("#items-count").textContent()).toBe("1–12 of 12 replies");
    await shot("ui-run");
    await shot("ui-run-full", true);
  });

  it("run page: filters the item table, opens an item, downloads the reports", async () => {
    await page.selectOption("#f-model", "phi3");
    await Promise.all([page.waitForURL(/model=phi3/), page.click("#item-filters button[type=submit]")]);
    const models = await page.locator("#item-table tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-model")));
    expect(models).toHaveLength(6);
    expect(new Set(models)).toEqual(new Set(["phi3"]));

    await page.selectOption("#f-outcome", "failed");
    await Promise.all([page.waitForURL(/outcome=failed/), page.click("#item-filters button[type=submit]")]);
    const failed = await evaluator.json<unknown[]>(`/v1/runs/${runId}/items?model=phi3&passed=false&status=completed`);
    const outcomes = await page.locator("#item-table tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-outcome")));
    expect(outcomes).toHaveLength(failed.length);
    expect(outcomes.every((o) => o === "failed")).toBe(true);

    await page.selectOption("#f-outcome", "");
    await page.selectOption("#f-model", "");
    await page.selectOption("#f-dimension", "math");
    await Promise.all([page.waitForURL(/dimension=math/), page.click("#item-filters button[type=submit]")]);
    expect(await page.locator("#item-table tbody tr").count()).toBe(2);
    await Promise.all([page.waitForURL(/\/items\/math-01-seed-students/), page.click("#item-table tbody tr >> nth=0 >> a")]);
    expect(await page.locator("#item-prompt").textContent()).toContain("30");
    expect(await page.locator("#item-replies .reply-card").count()).toBe(2);
    expect(await page.locator("#item-replies .check-results li").count()).toBe(4); // numeric_answer + steps, per model
    await shot("ui-item");

    await page.goto(`${evaluator.url}/runs/${runId}`);
    for (const format of ["md", "csv"]) {
      const [download] = await Promise.all([page.waitForEvent("download"), page.click(`a[data-format="${format}"]`)]);
      expect(download.suggestedFilename()).toBe(`${runId}-report.${format}`);
      const text = readFileSync((await download.path())!, "utf8");
      expect(text).toContain("qwen");
      expect(text).toContain("phi3");
      if (format === "md") expect(text).toContain(runId);
    }

    await page.setViewportSize({ width: 390, height: 844 });
    expect(await fitsViewport()).toBe(true);
    await shot("ui-run-390", true);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("models: health, GetModelInfo and this evaluator's load while a long run keeps both models busy", async () => {
    // seed-50 on both models (100 replies): busy for longer than this test and the next two need.
    longRunId = (
      await evaluator.json<{ id: string }>("/v1/runs", {
        body: { suite: "seed-50", models: ["qwen", "phi3"], max_tokens: 16, sampling: { temperature: 0 } },
      })
    ).id;
    await page.click('nav a[href="/models"]');
    await page.waitForSelector("#models");
    for (const model of ["qwen", "phi3"]) {
      const card = page.locator(`section[data-model="${model}"]`);
      expect(await card.locator('[data-field="health"] .badge').textContent()).toBe("serving");
      const info = await card.locator("dl.kv").textContent();
      expect(info).toMatch(/Model loaded\s*\S/);
      expect(info).not.toMatch(/Model loaded\s*n\/a/);
      expect(info).toMatch(/Slots\s*2/);
      expect(info).toMatch(/sha256\s*[0-9a-f]{64}/);
    }
    const pending = async () =>
      Number(await page.locator('section[data-model="qwen"] [data-field="pending_requests"]').textContent()) +
      Number(await page.locator('section[data-model="phi3"] [data-field="pending_requests"]').textContent());
    await expect.poll(pending, { timeout: 20_000 }).toBeGreaterThan(0);
    await shot("ui-models");
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await fitsViewport()).toBe(true);
    await shot("ui-models-390", true);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("runs list: shows the finished run and follows the running one in place (no reload)", async () => {
    await page.click('nav a[href="/runs"]');
    await page.waitForSelector("#runs");
    await page.evaluate("window.sameDocument = true");
    expect(await page.locator(`#runs tr[data-run="${runId}"]`).getAttribute("data-status")).toBe("completed");
    const progress = page.locator(`#runs tr[data-run="${longRunId}"] [data-cell="progress-text"]`);
    const before = await progress.textContent();
    expect(before).toMatch(/^\d+\/100/);
    await expect.poll(() => progress.textContent(), { timeout: 60_000 }).not.toBe(before);
    expect(await page.evaluate<boolean>("window.sameDocument === true")).toBe(true);
    await shot("ui-runs");
  });

  it("run page: cancels the running run (two clicks) while following it live", async () => {
    await page.click(`#runs a[href="/runs/${longRunId}"]`);
    await page.waitForSelector("#feed li", { timeout: 60_000 });
    await page.click("#run-cancel");
    expect(await page.locator("#run-cancel").textContent()).toBe("Confirm: cancel the run");
    await Promise.all([page.waitForNavigation(), page.click("#run-cancel")]);
    expect(await page.locator("body").getAttribute("data-run-status")).toBe("cancelled");
    expect((await evaluator.json<{ status: string }>(`/v1/runs/${longRunId}`)).status).toBe("cancelled");
    expect(await page.locator("#run-cancel").count()).toBe(0);
  });

  it("had no console errors or warnings once signed in", () => {
    expect(signedIn).toBe(true);
    expect(problems).toEqual([]);
  });
});
