// SQLite backend (better-sqlite3, WAL): the default, for one evaluator process. Calls are synchronous
// underneath; each statement is prepared once.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { ModelSnapshot, RunItemResult } from "../runs/types.js";
import type { Suite } from "../suites/types.js";
import {
  type CapacityAttachment,
  type Dispatch,
  type ItemFilter,
  type NewRun,
  type RunCounts,
  type RunHeader,
  type RunRecord,
  type RunStatus,
  type Store,
  type StoredItem,
  type SuiteHeader,
  StoreConflictError,
  emptyCounts,
} from "./types.js";
import {
  ITEM_COLUMN_NAMES,
  capacityFromRow,
  countDeltas,
  dispatchFromRow,
  foldCounts,
  itemColumns,
  itemFromRow,
  json,
  runFromRow,
  runHeaderFromRow,
  type Row,
} from "./rows.js";

export const MIGRATIONS: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE suites (
        id TEXT PRIMARY KEY,
        description TEXT NOT NULL,
        items TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        suite_id TEXT NOT NULL,
        status TEXT NOT NULL,
        models TEXT NOT NULL,
        repeats INTEGER NOT NULL,
        sampling TEXT NOT NULL,
        max_tokens INTEGER,
        concurrency TEXT NOT NULL,
        items TEXT NOT NULL,
        total_items INTEGER NOT NULL,
        model_snapshots TEXT NOT NULL DEFAULT '[]',
        error TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        completed_at TEXT,
        owner TEXT,
        lease_expires_at INTEGER
      );
      CREATE INDEX runs_by_status ON runs (status, created_at);
      CREATE TABLE run_items (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL REFERENCES runs (id),
        item_id TEXT NOT NULL,
        model TEXT NOT NULL,
        "repeat" INTEGER NOT NULL,
        dimension TEXT NOT NULL,
        status TEXT NOT NULL,
        reply TEXT NOT NULL,
        finish_reason TEXT NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        queue_ms REAL NOT NULL,
        ttft_ms REAL NOT NULL,
        decode_ms REAL NOT NULL,
        total_ms REAL NOT NULL,
        tokens_per_second REAL NOT NULL,
        passed INTEGER,
        score REAL,
        checks TEXT,
        error TEXT,
        attempts INTEGER NOT NULL,
        completed_at TEXT NOT NULL,
        UNIQUE (run_id, item_id, model, "repeat")
      );
      CREATE INDEX run_items_by_run ON run_items (run_id, seq);
      CREATE TABLE dispatches (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        model TEXT NOT NULL,
        "repeat" INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        instance TEXT NOT NULL,
        sent_at TEXT NOT NULL
      );
      CREATE INDEX dispatches_by_run ON dispatches (run_id, seq);
    `,
  },
  {
    version: 2,
    sql: `
      CREATE TABLE run_capacity (
        run_id TEXT NOT NULL REFERENCES runs (id),
        model TEXT NOT NULL,
        result TEXT NOT NULL,
        sizing TEXT,
        attached_at TEXT NOT NULL,
        PRIMARY KEY (run_id, model)
      );
    `,
  },
  {
    // The same per-run item sequence and per-model counters as PostgreSQL's (see postgresStore.ts).
    version: 3,
    sql: `
      ALTER TABLE runs ADD COLUMN item_seq INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE run_items ADD COLUMN run_seq INTEGER;
      UPDATE run_items SET run_seq = (SELECT COUNT(*) FROM run_items r WHERE r.run_id = run_items.run_id AND r.seq <= run_items.seq);
      UPDATE runs SET item_seq = COALESCE((SELECT max(run_seq) FROM run_items WHERE run_id = runs.id), 0);
      CREATE UNIQUE INDEX run_items_by_run_seq ON run_items (run_id, run_seq);
      CREATE TABLE run_model_counts (
        run_id TEXT NOT NULL REFERENCES runs (id),
        model TEXT NOT NULL,
        done INTEGER NOT NULL,
        completed INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        passed INTEGER NOT NULL,
        PRIMARY KEY (run_id, model)
      );
      INSERT INTO run_model_counts (run_id, model, done, completed, errors, passed)
        SELECT run_id, model, COUNT(*), SUM(status <> 'error'), SUM(status = 'error'), SUM(passed IS 1) FROM run_items GROUP BY run_id, model;
    `,
  },
];

const RUN_HEADER_COLUMNS =
  "id, suite_id, status, models, repeats, sampling, max_tokens, concurrency, total_items, model_snapshots, error, created_at, started_at, completed_at, owner, lease_expires_at";

class AlreadyStored extends Error {}

function sqlValue(value: unknown): unknown {
  return typeof value === "boolean" ? (value ? 1 : 0) : value;
}

export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("foreign_keys = ON");
  }

  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async migrate(): Promise<void> {
    this.db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
    const apply = this.db.transaction(() => {
      const applied = new Set(
        (this.db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map((r) => r.version),
      );
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        this.db.exec(migration.sql);
        this.db
          .prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)")
          .run(migration.version, new Date().toISOString());
      }
    });
    apply.immediate();
  }

  async ping(): Promise<void> {
    this.stmt("SELECT 1").get();
  }

  async close(): Promise<void> {
    this.statements.clear();
    this.db.close();
  }

  async createSuite(suite: Suite, createdAt: string): Promise<void> {
    try {
      this.stmt("INSERT INTO suites (id, description, items, created_at) VALUES (?, ?, ?, ?)").run(
        suite.id,
        suite.description,
        JSON.stringify(suite.items),
        createdAt,
      );
    } catch (error) {
      if ((error as { code?: string }).code?.startsWith("SQLITE_CONSTRAINT")) {
        throw new StoreConflictError(`suite "${suite.id}" already exists`);
      }
      throw error;
    }
  }

  async getSuite(id: string): Promise<(Suite & { created_at: string }) | null> {
    const row = this.stmt("SELECT id, description, items, created_at FROM suites WHERE id = ?").get(id) as Row | undefined;
    if (!row) return null;
    return {
      id: String(row.id),
      description: String(row.description),
      items: json(row.items),
      builtin: false,
      created_at: String(row.created_at),
    };
  }

  async listSuites(): Promise<SuiteHeader[]> {
    const rows = this.stmt(
      "SELECT id, description, json_array_length(items) AS item_count, created_at FROM suites ORDER BY id",
    ).all() as Row[];
    return rows.map((r) => ({
      id: String(r.id),
      description: String(r.description),
      item_count: Number(r.item_count),
      created_at: String(r.created_at),
    }));
  }

  async createRun(run: NewRun): Promise<RunRecord> {
    const total = run.items.length * run.models.length * run.repeats;
    this.stmt(
      `INSERT INTO runs (id, suite_id, status, models, repeats, sampling, max_tokens, concurrency, items, total_items, created_at)
       VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      run.id,
      run.suite_id,
      JSON.stringify(run.models),
      run.repeats,
      JSON.stringify(run.sampling),
      run.max_tokens,
      JSON.stringify(run.concurrency),
      JSON.stringify(run.items),
      total,
      run.created_at,
    );
    return (await this.getRun(run.id))!;
  }

  async getRun(id: string): Promise<RunRecord | null> {
    const row = this.stmt(`SELECT ${RUN_HEADER_COLUMNS}, items FROM runs WHERE id = ?`).get(id) as Row | undefined;
    return row ? runFromRow(row) : null;
  }

  async getRunHeader(id: string): Promise<RunHeader | null> {
    const row = this.stmt(`SELECT ${RUN_HEADER_COLUMNS} FROM runs WHERE id = ?`).get(id) as Row | undefined;
    return row ? runHeaderFromRow(row) : null;
  }

  async listRuns(filter: { status?: RunStatus[]; limit: number; offset: number }): Promise<{ runs: RunHeader[]; total: number }> {
    const statuses = filter.status ?? [];
    const where = statuses.length ? `WHERE status IN (${statuses.map(() => "?").join(", ")})` : "";
    const rows = this.db
      .prepare(`SELECT ${RUN_HEADER_COLUMNS} FROM runs ${where} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`)
      .all(...statuses, filter.limit, filter.offset) as Row[];
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM runs ${where}`).get(...statuses) as Row).n;
    return { runs: rows.map(runHeaderFromRow), total: Number(total) };
  }

  async setModelSnapshot(runId: string, snapshot: ModelSnapshot): Promise<void> {
    const update = this.db.transaction(() => {
      const row = this.stmt("SELECT model_snapshots FROM runs WHERE id = ?").get(runId) as Row | undefined;
      if (!row) return;
      const snapshots = json<ModelSnapshot[]>(row.model_snapshots);
      if (snapshots.some((s) => s.name === snapshot.name)) return;
      snapshots.push(snapshot);
      this.stmt("UPDATE runs SET model_snapshots = ? WHERE id = ?").run(JSON.stringify(snapshots), runId);
    });
    update.immediate();
  }

  async markRunning(runId: string, owner: string): Promise<boolean> {
    const result = this.stmt(
      `UPDATE runs SET status = 'running', started_at = COALESCE(started_at, ?)
       WHERE id = ? AND owner = ? AND status IN ('queued', 'running')`,
    ).run(new Date().toISOString(), runId, owner);
    return result.changes === 1;
  }

  async finishRun(runId: string, owner: string, status: RunStatus, error: string | null, completedAt: string): Promise<boolean> {
    const result = this.stmt(
      `UPDATE runs SET status = ?, error = ?, completed_at = ?, owner = NULL, lease_expires_at = NULL
       WHERE id = ? AND owner = ? AND status IN ('queued', 'running')`,
    ).run(status, error, completedAt, runId, owner);
    return result.changes === 1;
  }

  async cancelRun(runId: string, completedAt: string): Promise<RunRecord | null> {
    this.stmt(
      `UPDATE runs SET status = 'cancelled', completed_at = ?, owner = NULL, lease_expires_at = NULL
       WHERE id = ? AND status IN ('queued', 'running')`,
    ).run(completedAt, runId);
    return this.getRun(runId);
  }

  async claimRuns(owner: string, leaseMs: number, limit: number): Promise<string[]> {
    if (limit <= 0) return [];
    const claim = this.db.transaction(() => {
      const now = Date.now();
      const rows = this.stmt(
        `SELECT id FROM runs WHERE status IN ('queued', 'running')
           AND (owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at < ?)
         ORDER BY created_at, id LIMIT ?`,
      ).all(now, limit) as Row[];
      const ids = rows.map((r) => String(r.id));
      for (const id of ids) this.stmt("UPDATE runs SET owner = ?, lease_expires_at = ? WHERE id = ?").run(owner, now + leaseMs, id);
      return ids;
    });
    return claim.immediate();
  }

  async renewLeases(owner: string, runIds: string[], leaseMs: number): Promise<string[]> {
    const renew = this.db.transaction(() => {
      const held: string[] = [];
      for (const id of runIds) {
        const result = this.stmt("UPDATE runs SET lease_expires_at = ? WHERE id = ? AND owner = ? AND status IN ('queued', 'running')").run(
          Date.now() + leaseMs,
          id,
          owner,
        );
        if (result.changes === 1) held.push(id);
      }
      return held;
    });
    return renew.immediate();
  }

  async releaseLeases(owner: string, runIds: string[]): Promise<void> {
    const release = this.db.transaction(() => {
      for (const id of runIds) this.stmt("UPDATE runs SET owner = NULL, lease_expires_at = NULL WHERE id = ? AND owner = ?").run(id, owner);
    });
    release.immediate();
  }

  async clearLeases(): Promise<number> {
    return this.stmt("UPDATE runs SET owner = NULL, lease_expires_at = NULL WHERE owner IS NOT NULL").run().changes;
  }

  async insertItem(item: RunItemResult): Promise<StoredItem | null> {
    const insert = this.db.transaction((): StoredItem | null => {
      const seqRow = this.stmt("UPDATE runs SET item_seq = item_seq + 1 WHERE id = ? RETURNING item_seq").get(item.run_id) as
        | Row
        | undefined;
      if (!seqRow) throw new Error(`insertItem: unknown run ${item.run_id}`);
      const runSeq = Number(seqRow.item_seq);
      const result = this.stmt(
        `INSERT INTO run_items (${ITEM_COLUMN_NAMES.join(", ")}, run_seq) VALUES (${ITEM_COLUMN_NAMES.map(() => "?").join(", ")}, ?)
         ON CONFLICT (run_id, item_id, model, "repeat") DO NOTHING`,
      ).run(...itemColumns(item).map(sqlValue), runSeq);
      if (result.changes === 0) throw new AlreadyStored(); // rolls the sequence back
      this.stmt(
        `INSERT INTO run_model_counts (run_id, model, done, completed, errors, passed) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, model) DO UPDATE SET done = done + excluded.done, completed = completed + excluded.completed,
           errors = errors + excluded.errors, passed = passed + excluded.passed`,
      ).run(item.run_id, item.model, ...countDeltas(item));
      return { ...item, seq: runSeq };
    });
    try {
      return insert.immediate();
    } catch (error) {
      if (error instanceof AlreadyStored) return null;
      throw error;
    }
  }

  async storedKeys(runId: string): Promise<Set<string>> {
    const rows = this.stmt(`SELECT item_id, model, "repeat" FROM run_items WHERE run_id = ?`).all(runId) as Row[];
    return new Set(rows.map((r) => `${r.item_id}|${r.model}|${r.repeat}`));
  }

  async listItems(runId: string, filter: ItemFilter, limit: number, offset: number): Promise<{ items: StoredItem[]; total: number }> {
    const clauses = ["run_id = ?"];
    const params: unknown[] = [runId];
    const narrow = (clause: string, value: unknown) => {
      clauses.push(clause);
      params.push(value);
    };
    if (filter.model !== undefined) narrow("model = ?", filter.model);
    if (filter.dimension !== undefined) narrow("dimension = ?", filter.dimension);
    if (filter.passed !== undefined) narrow("passed = ?", filter.passed ? 1 : 0);
    if (filter.status !== undefined) narrow("status = ?", filter.status);
    if (filter.after_seq !== undefined) narrow("run_seq > ?", filter.after_seq);
    const where = clauses.join(" AND ");
    const rows = this.stmt(`SELECT * FROM run_items WHERE ${where} ORDER BY run_seq LIMIT ? OFFSET ?`).all(
      ...params,
      limit,
      offset,
    ) as Row[];
    const total = (this.stmt(`SELECT COUNT(*) AS n FROM run_items WHERE ${where}`).get(...params) as Row).n;
    return { items: rows.map(itemFromRow), total: Number(total) };
  }

  async itemsAfter(runId: string, afterSeq: number, limit: number): Promise<StoredItem[]> {
    const rows = this.stmt("SELECT * FROM run_items WHERE run_id = ? AND run_seq > ? ORDER BY run_seq LIMIT ?").all(
      runId,
      afterSeq,
      limit,
    ) as Row[];
    return rows.map(itemFromRow);
  }

  async counts(runId: string): Promise<RunCounts> {
    const counts = await this.countsFor([runId]);
    return counts.get(runId) ?? emptyCounts();
  }

  async countsFor(runIds: string[]): Promise<Map<string, RunCounts>> {
    const runModels = new Map<string, string[]>();
    const rows: Row[] = [];
    for (const runId of runIds) {
      const run = this.stmt("SELECT models FROM runs WHERE id = ?").get(runId) as Row | undefined;
      runModels.set(runId, run ? json<string[]>(run.models) : []);
      rows.push(
        ...(this.stmt("SELECT run_id, model, done, completed, errors, passed FROM run_model_counts WHERE run_id = ?").all(runId) as Row[]),
      );
    }
    return foldCounts(rows, runModels);
  }

  async recordDispatch(d: Dispatch): Promise<void> {
    this.stmt(`INSERT INTO dispatches (run_id, item_id, model, "repeat", attempt, instance, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
      d.run_id,
      d.item_id,
      d.model,
      d.repeat,
      d.attempt,
      d.instance,
      d.sent_at,
    );
  }

  async attachCapacity(a: CapacityAttachment): Promise<void> {
    this.stmt(
      `INSERT INTO run_capacity (run_id, model, result, sizing, attached_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (run_id, model) DO UPDATE SET result = excluded.result, sizing = excluded.sizing, attached_at = excluded.attached_at`,
    ).run(a.run_id, a.model, JSON.stringify(a.result), a.sizing === null ? null : JSON.stringify(a.sizing), a.attached_at);
  }

  async listCapacity(runId: string): Promise<CapacityAttachment[]> {
    const rows = this.stmt("SELECT * FROM run_capacity WHERE run_id = ? ORDER BY model").all(runId) as Row[];
    return rows.map(capacityFromRow);
  }

  async listDispatches(runId: string): Promise<Dispatch[]> {
    const rows = this.stmt("SELECT * FROM dispatches WHERE run_id = ? ORDER BY seq").all(runId) as Row[];
    return rows.map(dispatchFromRow);
  }
}
