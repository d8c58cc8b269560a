// The HTML report in a real browser: Debian's chromium, headless, driven by playwright-core. It must open with
// no console errors and no network requests, draw its charts, and its item filter must work. A screenshot is
// saved under test-results/ (scripts/ci/install-chromium.sh installs the browser).

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildReport, renderReport } from "@evalstack/evaluator/reports";
import type { ReportInput } from "@evalstack/evaluator/reports";
import { syntheticRun } from "@evalstack/evaluator/reports/fixtures";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OUT = join(import.meta.dirname, "..", "test-results");
const fixtures = JSON.parse(
  readFileSync(new URL("../services/evaluator/src/suites/builtin/seed-50.replies.json", import.meta.url), "utf8"),
);

let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({
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
  });
});

afterAll(async () => {
  await browser?.close();
});

describe("HTML report in headless Chromium", () => {
  it("opens with no console errors or requests, draws its charts, filters its items; screenshot saved", async () => {
    const report = buildReport(syntheticRun(fixtures, 2));
    const { body } = renderReport(report, "html");
    mkdirSync(OUT, { recursive: true });
    const file = join(OUT, "report.html");
    writeFileSync(file, body);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("request", (r) => {
      if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) requests.push(r.url());
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });

    expect(await page.title()).toBe("Evaluation report: qwen vs phi3");
    expect(await page.locator("svg").count()).toBe(4);
    // The radar has one polygon per model on top of the 5 grid rings.
    expect(await page.locator("svg").first().locator("polygon").count()).toBe(5 + 2);
    const total = report.items.length;
    await expect.poll(() => page.locator("#f-count").textContent()).toBe(`${total} of ${total} rows`);

    await page.selectOption("#f-dimension", "math");
    expect(await page.locator("#items tbody tr:not([hidden])").count()).toBe(20);
    await page.selectOption("#f-model", "qwen");
    expect(await page.locator("#items tbody tr:not([hidden])").count()).toBe(10);
    await page.selectOption("#f-outcome", "pass");
    const passing = report.items.filter((i) => i.dimension === "math" && i.model === "qwen" && i.pass_rate === 1).length;
    expect(await page.locator("#items tbody tr:not([hidden])").count()).toBe(passing);
    await page.selectOption("#f-dimension", "");
    await page.selectOption("#f-model", "");
    await page.selectOption("#f-outcome", "");
    await page.fill("#f-text", "math-01-seed-students");
    expect(await page.locator("#items tbody tr:not([hidden])").count()).toBe(2);
    await page.fill("#f-text", "");

    await page.evaluate("window.scrollTo(0, 0)");
    await page.screenshot({ path: join(OUT, "report.png"), fullPage: false });
    await page.screenshot({ path: join(OUT, "report-full.png"), fullPage: true });
    await page.close();

    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
  });

  it("renders the recorded real run on the two small models the same way (screenshot: report-small-models.png)", async () => {
    const recorded = JSON.parse(
      readFileSync(new URL("../services/evaluator/src/reports/fixtures/seed50-small-models.json", import.meta.url), "utf8"),
    ) as ReportInput;
    const report = buildReport(recorded);
    const file = join(OUT, "report-small-models.html");
    writeFileSync(file, renderReport(report, "html").body);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    expect(await page.locator("svg").count()).toBe(4);
    expect(await page.locator("#items tbody tr").count()).toBe(100);
    // Model replies (echoed prompts, code, junk tokens) are text, never markup.
    expect(await page.locator("#items tbody script, #items tbody img, #items tbody iframe").count()).toBe(0);
    await page.screenshot({ path: join(OUT, "report-small-models.png"), fullPage: false });
    await page.close();
    expect(problems).toEqual([]);
  });

  it("pages a 10,000-row item table: at most one page in the DOM, filters over all rows, next and previous", async () => {
    const base = syntheticRun(fixtures, 1);
    const template = base.items.find((r) => r.dimension === "math" && r.model === "qwen")!;
    const items = Array.from({ length: 5_000 }, (_, i) =>
      ["qwen", "phi3"].map((model) => ({
        ...template,
        item_id: `bulk-${String(i).padStart(5, "0")}`,
        model,
        reply: i === 4321 ? "</script><b>needle</b>" : template.reply,
      })),
    ).flat();
    const report = buildReport({ ...base, items });
    expect(report.items).toHaveLength(10_000);
    const file = join(OUT, "report-10k.html");
    mkdirSync(OUT, { recursive: true });
    writeFileSync(file, renderReport(report, "html").body);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    await expect.poll(() => page.locator("#f-count").textContent()).toBe("10000 of 10000 rows");
    expect(await page.locator("#items tbody tr").count()).toBe(100);
    expect(await page.locator("#f-page").textContent()).toBe("page 1 of 100");
    const first = await page.locator("#items tbody tr").first().textContent();
    await page.click("#f-next");
    expect(await page.locator("#f-page").textContent()).toBe("page 2 of 100");
    expect(await page.locator("#items tbody tr").first().textContent()).not.toBe(first);
    await page.click("#f-prev");
    expect(await page.locator("#items tbody tr").first().textContent()).toBe(first);
    await page.selectOption("#f-model", "phi3");
    expect(await page.locator("#f-count").textContent()).toBe("5000 of 10000 rows");
    expect(await page.locator("#f-page").textContent()).toBe("page 1 of 50");
    await page.selectOption("#f-model", "");
    // A reply that tries to close the embedded data's script element stays text.
    await page.fill("#f-text", "needle");
    expect(await page.locator("#items tbody tr").count()).toBe(2);
    expect(await page.locator("#items tbody b").count()).toBe(0);
    await page.close();
    expect(problems).toEqual([]);
  });
});
