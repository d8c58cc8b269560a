// The picture of a report with its capacity section (docs/report-capacity.png): the recorded seed-50 run on
// the small models (services/evaluator/src/reports/fixtures) with bench/results/capacity-qwen.json attached,
// sized for --target-rps, rendered as HTML and shot in headless Chromium. The capacity result must have been
// measured on the recorded run's serving configuration (the evaluator's API refuses it otherwise, and so does this).
//
//   npx tsx bench/capacityReportScreenshot.ts [--target-rps 2] [--gpu-hour-usd 2.5]
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { CapacityResult } from "@evalstack/capacity";
import { buildReport, renderReport, snapshotMismatch, type ReportInput } from "@evalstack/evaluator/reports";
import { chromium } from "playwright-core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: { "target-rps": { type: "string", default: "2" }, "gpu-hour-usd": { type: "string", default: "2.5" } },
});
const fixture = JSON.parse(
  readFileSync(path.join(root, "services/evaluator/src/reports/fixtures/seed50-small-models.json"), "utf8"),
) as ReportInput;
const capacity = JSON.parse(readFileSync(path.join(root, "bench/results/capacity-qwen.json"), "utf8")) as CapacityResult;
const snapshot = fixture.models.find((m) => m.name === "qwen");
if (!snapshot) throw new Error("the fixture has no qwen snapshot");
const mismatch = snapshotMismatch(snapshot, capacity);
if (mismatch) throw new Error(`${mismatch.field}: ${mismatch.message}`);
const report = buildReport({
  ...fixture,
  capacity: [
    {
      run_id: fixture.run.id,
      model: "qwen",
      result: capacity,
      sizing: {
        target_rps: Number(values["target-rps"]),
        headroom: 0.2,
        gpus_per_replica: 1,
        gpu_hour_usd: Number(values["gpu-hour-usd"]),
      },
      attached_at: capacity.startedAt,
    },
  ],
});
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.setContent(renderReport(report, "html").body);
  // The Capacity heading and its table.
  const top = await page.locator("h2", { hasText: "Capacity" }).boundingBox();
  const bottom = await page.locator("#capacity").boundingBox();
  if (!top || !bottom) throw new Error("the report has no capacity section");
  await page.screenshot({
    path: path.join(root, "docs", "report-capacity.png"),
    fullPage: true,
    clip: { x: 0, y: top.y - 16, width: 1280, height: bottom.y + bottom.height - top.y + 32 },
  });
} finally {
  await browser.close();
}
console.log(
  `docs/report-capacity.png: ${report.capacity.length} capacity row(s); recommendation: ${report.recommendations.at(-1)?.recommendation}`,
);
