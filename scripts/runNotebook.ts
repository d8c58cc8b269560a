// Executes a notebook headless, the way CI does: nbclient in the notebook virtual environment
// (scripts/ci/install-notebook-env.sh), every cell in order, stopping at the first cell that raises.
// The executed copy (with outputs and figures) is written beside the status; the notebook in git keeps
// its outputs cleared.
//
//   npx tsx scripts/runNotebook.ts [examples/notebooks/compare.ipynb] [--out executed.ipynb] [--cell-timeout 600]
//
// The notebook reads its settings from the environment (EVALSTACK_URL, EVALSTACK_API_KEY, EVALSTACK_SUITE,
// EVALSTACK_MAX_TOKENS, ...): start a stack first (`npm run stack`). Exit code 0: every cell ran; 1: a cell
// failed (its index, error and source are printed); 2: bad usage or no notebook environment.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const DEFAULT_NOTEBOOK = path.join(ROOT, "examples/notebooks/compare.ipynb");

/** The notebook virtual environment: EVALSTACK_NOTEBOOK_VENV, or the cached default the installer creates. */
export function notebookVenv(env: NodeJS.ProcessEnv = process.env): string {
  return env.EVALSTACK_NOTEBOOK_VENV || path.join(homedir(), ".cache/evalstack/notebook-venv");
}

/** Its python, or an error that says how to create it. */
export function notebookPython(env: NodeJS.ProcessEnv = process.env): string {
  const python = path.join(notebookVenv(env), "bin", "python");
  if (!existsSync(python)) {
    throw new Error(
      `no notebook environment at ${notebookVenv(env)}: run \`bash scripts/ci/install-notebook-env.sh\` (or set EVALSTACK_NOTEBOOK_VENV)`,
    );
  }
  return python;
}

export interface NotebookFailure {
  /** Index of the failing cell in the notebook (markdown cells count). */
  cell?: number;
  ename?: string;
  evalue?: string;
  source?: string;
  /** When no cell is to blame: a timeout, a kernel that died, a notebook that does not parse. */
  error?: string;
}

export interface RunNotebookOptions {
  notebook?: string;
  /** Where the executed copy goes (default: <name>.executed.ipynb in a temp dir). */
  out?: string;
  /** Added to this process's environment for the kernel. MPLBACKEND is left unset unless given here. */
  env?: Record<string, string | undefined>;
  /** Per cell (default 600 s). */
  cellTimeoutS?: number;
  /** The whole execution (default 30 min); past it the executor and its kernel are killed. */
  timeoutMs?: number;
  /** Lines of the executor's stderr, as they come. */
  onStderr?: (line: string) => void;
}

export interface RunNotebookResult {
  ok: boolean;
  out: string;
  failure?: NotebookFailure;
  ms: number;
  /** The executor's stderr (kernel warnings, tracebacks). */
  stderr: string;
}

// nbclient, run by the venv's python. The status goes to stdout as one marked JSON line.
const EXECUTOR = `
import json, os, sys
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

src, out, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
status = {"ok": True}
nb = nbformat.read(src, as_version=4)
client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False,
                        resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}})
try:
    client.execute()
except CellExecutionError as e:
    status = {"ok": False, "error": str(e)[:4000]}
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error":
                status = {"ok": False, "cell": i, "ename": o.get("ename"), "evalue": o.get("evalue"), "source": cell.source}
except Exception as e:
    status = {"ok": False, "error": f"{type(e).__name__}: {e}"[:4000]}
finally:
    nbformat.write(nb, out)
print("EVALSTACK_NOTEBOOK_STATUS " + json.dumps(status), flush=True)
sys.exit(0 if status["ok"] else 1)
`;

export async function runNotebook(options: RunNotebookOptions = {}): Promise<RunNotebookResult> {
  const notebook = path.resolve(options.notebook ?? DEFAULT_NOTEBOOK);
  if (!existsSync(notebook)) throw new Error(`no notebook at ${notebook}`);
  const python = notebookPython();
  const scratch = mkdtempSync(path.join(tmpdir(), "evalstack-notebook-"));
  const out = path.resolve(options.out ?? path.join(scratch, `${path.basename(notebook, ".ipynb")}.executed.ipynb`));
  const env: Record<string, string | undefined> = {
    ...process.env,
    // Kernel connection files and the IPython profile in a scratch dir, not in the user's home.
    JUPYTER_RUNTIME_DIR: path.join(scratch, "runtime"),
    IPYTHONDIR: path.join(scratch, "ipython"),
    PYTHONUNBUFFERED: "1",
    // The kernel's inline backend renders figures into the executed notebook without a display; an
    // inherited MPLBACKEND=Agg would instead drop them.
    MPLBACKEND: undefined,
    ...options.env,
  };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const started = Date.now();
  try {
    const child = spawn(python, ["-c", EXECUTOR, notebook, out, String(options.cellTimeoutS ?? 600)], {
      env: env as NodeJS.ProcessEnv,
      cwd: path.dirname(notebook),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group: a timeout kills the kernel too
    });
    let stdout = "";
    let stderr = "";
    let pending = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      pending += d;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) options.onStderr?.(line);
    });
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          child.kill("SIGKILL");
        }
      },
      options.timeoutMs ?? 30 * 60_000,
    );
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (c) => resolve(c));
    }).finally(() => clearTimeout(timer));
    const ms = Date.now() - started;
    if (timedOut) return { ok: false, out, ms, stderr, failure: { error: `timed out after ${options.timeoutMs ?? 30 * 60_000} ms` } };
    const marker = stdout.split("\n").find((l) => l.startsWith("EVALSTACK_NOTEBOOK_STATUS "));
    if (!marker)
      return {
        ok: false,
        out,
        ms,
        stderr,
        failure: { error: `the executor exited with code ${code} and no status: ${stderr.slice(-2000)}` },
      };
    const status = JSON.parse(marker.slice("EVALSTACK_NOTEBOOK_STATUS ".length)) as { ok: boolean } & NotebookFailure;
    const { ok, ...failure } = status;
    return ok && code === 0 ? { ok: true, out, ms, stderr } : { ok: false, out, ms, stderr, failure };
  } finally {
    rmSync(path.join(scratch, "runtime"), { recursive: true, force: true });
    rmSync(path.join(scratch, "ipython"), { recursive: true, force: true });
  }
}

/** One line per failure field, for people. */
export function describeFailure(failure: NotebookFailure | undefined): string {
  if (!failure) return "";
  if (failure.cell === undefined) return failure.error ?? "unknown failure";
  return `cell ${failure.cell} raised ${failure.ename}: ${failure.evalue}\n--- cell source ---\n${failure.source}`;
}

async function main(argv: string[]): Promise<number> {
  let notebook: string | undefined;
  let out: string | undefined;
  let cellTimeoutS: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      console.log("usage: npx tsx scripts/runNotebook.ts [notebook.ipynb] [--out executed.ipynb] [--cell-timeout seconds]");
      return 0;
    } else if (arg === "--out") out = argv[++i];
    else if (arg === "--cell-timeout") cellTimeoutS = Number(argv[++i]);
    else if (arg.startsWith("-")) {
      console.error(`unknown option ${arg} (--help)`);
      return 2;
    } else notebook = arg;
  }
  if (cellTimeoutS !== undefined && !(cellTimeoutS > 0)) {
    console.error("--cell-timeout: a positive number of seconds");
    return 2;
  }
  try {
    notebookPython();
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const result = await runNotebook({
    ...(notebook ? { notebook } : {}),
    ...(out ? { out } : {}),
    ...(cellTimeoutS ? { cellTimeoutS } : {}),
    onStderr: (line) => {
      if (!/running over TCP without encryption/.test(line)) console.error(line);
    },
  });
  console.log(`${result.ok ? "ok" : "FAILED"} in ${(result.ms / 1000).toFixed(1)} s; executed notebook: ${result.out}`);
  if (!result.ok) console.error(describeFailure(result.failure));
  return result.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
