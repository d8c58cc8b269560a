// The UI's two static files (the stylesheet and the client script), read once and served by the evaluator
// itself: clusters are often offline, so nothing comes from a CDN. Their URLs carry a content hash, so a
// browser may cache them for good.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

export interface Asset {
  path: string;
  body: string;
  contentType: string;
  etag: string;
}

function load(file: string, contentType: string, base: string): Asset {
  const body = readFileSync(new URL(`./assets/${file}`, import.meta.url), "utf8");
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 12);
  return { path: `${base}?v=${hash}`, body, contentType, etag: `"${hash}"` };
}

export const STYLESHEET = load("ui.css", "text/css; charset=utf-8", "/ui/app.css");
export const CLIENT_SCRIPT = load("client.js", "text/javascript; charset=utf-8", "/ui/app.js");
