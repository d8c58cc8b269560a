// A throwaway PostgreSQL cluster for tests: initdb into a temp directory, the server on a free loopback port,
// readiness by connecting, everything removed at stop(). Uses the server binaries installed by
// scripts/ci/install-postgres.sh (or already on the machine). initdb refuses to run as root, so as root the
// cluster belongs to the unprivileged `postgres` (or `nobody`) user.
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, chmodSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./ports.js";
import { startProcess, waitUntil, type ManagedProcess } from "./processes.js";

export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** Empty for an external server. */
  dataDir: string;
  /** The server process (undefined for an external server). */
  process?: ManagedProcess;
  /** Creates a fresh database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** The directory holding initdb/postgres, or throws saying how to install them. */
export function postgresBinDir(): string {
  const candidates: string[] = [];
  if (process.env.PG_BIN_DIR) candidates.push(process.env.PG_BIN_DIR);
  try {
    candidates.push(execFileSync("pg_config", ["--bindir"], { encoding: "utf8" }).trim());
  } catch {
    // pg_config is optional
  }
  if (existsSync("/usr/lib/postgresql")) {
    const versions = readdirSync("/usr/lib/postgresql")
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  }
  for (const dir of candidates) if (existsSync(join(dir, "initdb")) && existsSync(join(dir, "postgres"))) return dir;
  throw new Error("PostgreSQL server binaries (initdb, postgres) not found: run scripts/ci/install-postgres.sh or set PG_BIN_DIR");
}

function unprivilegedUser(): { uid: number; gid: number; name: string } | undefined {
  if (userInfo().uid !== 0) return undefined;
  for (const name of ["postgres", "nobody"]) {
    try {
      const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim());
      const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim());
      return { uid, gid, name };
    } catch {
      // try the next one
    }
  }
  throw new Error("running as root and neither a 'postgres' nor a 'nobody' user exists to own the test cluster");
}

/**
 * A PostgreSQL for one test file. With EVALSTACK_TEST_POSTGRES_URL set (a server CI started itself, the URL
 * of a role allowed to CREATE DATABASE), that server is used and left running; otherwise a throwaway
 * cluster is started here and removed by stop().
 */
export async function startPostgres(options: { timeoutMs?: number } = {}): Promise<TestPostgres> {
  const external = process.env.EVALSTACK_TEST_POSTGRES_URL;
  if (external) return usingExternal(external);
  const bin = postgresBinDir();
  const user = unprivilegedUser();
  const dataDir = mkdtempSync(join(tmpdir(), "evalstack-pg-"));
  chmodSync(dataDir, 0o700);
  if (user) chownSync(dataDir, user.uid, user.gid);
  try {
    execFileSync(
      join(bin, "initdb"),
      ["-D", join(dataDir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"],
      {
        uid: user?.uid,
        gid: user?.gid,
        stdio: "pipe",
        cwd: dataDir,
      },
    );
  } catch (error) {
    const e = error as { stderr?: Buffer; message: string };
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${e.stderr?.toString() ?? e.message}`);
  }

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const server = startProcess({
      name: `postgres:${port}`,
      command: join(bin, "postgres"),
      args: [
        "-D",
        join(dataDir, "data"),
        "-p",
        String(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        `unix_socket_directories=${dataDir}`,
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
        "-c",
        "max_connections=100",
      ],
      uid: user?.uid,
      gid: user?.gid,
      cwd: dataDir,
    });
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    try {
      await waitUntil(() => canConnect(url), {
        timeoutMs: options.timeoutMs ?? 30_000,
        intervalMs: 100,
        what: `PostgreSQL on ${port}`,
        process: server,
      });
    } catch (error) {
      await server.stop("SIGINT");
      if (attempt < 3 && /could not bind|Address already in use/i.test(server.logs())) continue;
      rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
    return {
      url,
      port,
      dataDir,
      process: server,
      async createDatabase(name: string) {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name ${name} must be a plain identifier`);
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${name}`);
        } finally {
          await client.end();
        }
        return `postgres://postgres@127.0.0.1:${port}/${name}`;
      },
      async stop() {
        // SIGINT = fast shutdown: disconnect clients, stop cleanly.
        await server.stop("SIGINT", 15_000);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
}

async function usingExternal(url: string): Promise<TestPostgres> {
  if (!(await canConnect(url))) throw new Error(`EVALSTACK_TEST_POSTGRES_URL: cannot connect to ${url.replace(/:[^:@/]*@/, ":***@")}`);
  const parsed = new URL(url);
  // Unique names: several test files (or runs) may share the server.
  const suffix = `${process.pid}_${Date.now().toString(36)}`;
  return {
    url,
    port: Number(parsed.port || 5432),
    dataDir: "",
    async createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name ${name} must be a plain identifier`);
      const unique = `${name}_${suffix}`;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${unique}`);
      } finally {
        await client.end();
      }
      const target = new URL(url);
      target.pathname = `/${unique}`;
      return target.toString();
    },
    async stop() {},
  };
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
