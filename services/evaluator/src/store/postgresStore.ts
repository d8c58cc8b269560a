// PostgreSQL backend (pg): what several evaluator replicas share. Leases use the database's clock, so
// replicas never compare their own clocks; migrations run under an advisory lock so replicas may start at once.
import pg from "pg";
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
  runFromRow,
  runHeaderFromRow,
  type Row,
} from "./rows.js";

const MIGRATION_LOCK = 0x65766c73; // "evls"

export const MIGRATIONS: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE suites (
        id text PRIMARY KEY,
        description text NOT NULL,
        items jsonb NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE TABLE runs (
        id text PRIMARY KEY,
        suite_id text NOT NULL,
        status text NOT NULL,
        models jsonb NOT NULL,
        repeats integer NOT NULL,
        sampling jsonb NOT NULL,
        max_tokens integer,
        concurrency jsonb NOT NULL,
        items jsonb NOT NULL,
        total_items integer NOT NULL,
        model_snapshots jsonb NOT NULL DEFAULT '[]',
        error text,
        created_at timestamptz NOT NULL,
        started_at timestamptz,
        completed_at timestamptz,
        owner text,
        lease_expires_at timestamptz
      );
      CREATE INDEX runs_by_status ON runs (status, created_at);
      CREATE TABLE run_items (
        seq bigserial PRIMARY KEY,
        run_id text NOT NULL REFERENCES runs (id),
        item_id text NOT NULL,
        model text NOT NULL,
        "repeat" integer NOT NULL,
        dimension text NOT NULL,
        status text NOT NULL,
        reply text NOT NULL,
        finish_reason text NOT NULL,
        prompt_tokens integer NOT NULL,
        completion_tokens integer NOT NULL,
        queue_ms double precision NOT NULL,
        ttft_ms double precision NOT NULL,
        decode_ms double precision NOT NULL,
        total_ms double precision NOT NULL,
        tokens_per_second double precision NOT NULL,
        passed boolean,
        score double precision,
        checks jsonb,
        error text,
        attempts integer NOT NULL,
        completed_at timestamptz NOT NULL,
        UNIQUE (run_id, item_id, model, "repeat")
      );
      CREATE INDEX run_items_by_run ON run_items (run_id, seq);
      CREATE TABLE dispatches (
        seq bigserial PRIMARY KEY,
        run_id text NOT NULL,
        item_id text NOT NULL,
        model text NOT NULL,
        "repeat" integer NOT NULL,
        attempt integer NOT NULL,
        instance text NOT NULL,
        sent_at timestamptz NOT NULL
      );
      CREATE INDEX dispatches_by_run ON dispatches (run_id, seq);
    `,
  },
  {
    version: 2,
    sql: `
      CREATE TABLE run_capacity (
        run_id text NOT NULL REFERENCES runs (id),
        model text NOT NULL,
        result jsonb NOT NULL,
        sizing jsonb,
        attached_at text NOT NULL,
        PRIMARY KEY (run_id, model)
      );
    `,
  },
  {
    // A per-run item sequence assigned under the run's row lock (bigserial values become visible out of
    // commit order, so a reader paging "seq > N" could pass an item for good), and per-model counters kept
    // in the same transaction (a run's progress is read without scanning its items).
    version: 3,
    sql: `
      ALTER TABLE runs ADD COLUMN item_seq bigint NOT NULL DEFAULT 0;
      ALTER TABLE run_items ADD COLUMN run_seq bigint;
      UPDATE run_items i SET run_seq = n.run_seq
        FROM (SELECT seq, row_number() OVER (PARTITION BY run_id ORDER BY seq) AS run_seq FROM run_items) n WHERE n.seq = i.seq;
      UPDATE runs SET item_seq = COALESCE((SELECT max(run_seq) FROM run_items WHERE run_id = runs.id), 0);
      ALTER TABLE run_items ALTER COLUMN run_seq SET NOT NULL;
      CREATE UNIQUE INDEX run_items_by_run_seq ON run_items (run_id, run_seq);
      CREATE TABLE run_model_counts (
        run_id text NOT NULL REFERENCES runs (id),
        model text NOT NULL,
        done integer NOT NULL,
        completed integer NOT NULL,
        errors integer NOT NULL,
        passed integer NOT NULL,
        PRIMARY KEY (run_id, model)
      );
      INSERT INTO run_model_counts (run_id, model, done, completed, errors, passed)
        SELECT run_id, model, COUNT(*), COUNT(*) FILTER (WHERE status <> 'error'), COUNT(*) FILTER (WHERE status = 'error'),
               COUNT(*) FILTER (WHERE passed IS TRUE)
        FROM run_items GROUP BY run_id, model;
    `,
  },
];

const RUN_HEADER_COLUMNS =
  "id, suite_id, status, models, repeats, sampling, max_tokens, concurrency, total_items, model_snapshots, error, created_at, started_at, completed_at, owner, lease_expires_at";

export class PostgresStore implements Store {
  readonly kind = "postgres" as const;
  private readonly pool: pg.Pool;

  constructor(url: string, options: { max?: number } = {}) {
    this.pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, connectionTimeoutMillis: 5_000 });
    // An idle client losing its connection (database restart) must not crash the process; the pool replaces it.
    this.pool.on("error", () => {});
  }

  private async query(sql: string, params: unknown[] = []): Promise<Row[]> {
    const result = await this.pool.query(sql, params);
    return result.rows as Row[];
  }

  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)");
      const applied = new Set((await client.query("SELECT version FROM schema_migrations")).rows.map((r: Row) => Number(r.version)));
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        await client.query(migration.sql);
        await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())", [migration.version]);
      }
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async ping(): Promise<void> {
    await this.query("SELECT 1");
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async createSuite(suite: Suite, createdAt: string): Promise<void> {
    const rows = await this.query(
      "INSERT INTO suites (id, description, items, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING RETURNING id",
      [suite.id, suite.description, JSON.stringify(suite.items), createdAt],
    );
    if (rows.length === 0) throw new StoreConflictError(`suite "${suite.id}" already exists`);
  }

  async getSuite(id: string): Promise<(Suite & { created_at: string }) | null> {
    const [row] = await this.query("SELECT id, description, items, created_at FROM suites WHERE id = $1", [id]);
    if (!row) return null;
    return {
      id: String(row.id),
      description: String(row.description),
      items: row.items as Suite["items"],
      builtin: false,
      created_at: (row.created_at as Date).toISOString(),
    };
  }

  async listSuites(): Promise<SuiteHeader[]> {
    const rows = await this.query("SELECT id, description, jsonb_array_length(items) AS item_count, created_at FROM suites ORDER BY id");
    return rows.map((r) => ({
      id: String(r.id),
      description: String(r.description),
      item_count: Number(r.item_count),
      created_at: (r.created_at as Date).toISOString(),
    }));
  }

  async createRun(run: NewRun): Promise<RunRecord> {
    const total = run.items.length * run.models.length * run.repeats;
    const [row] = await this.query(
      `INSERT INTO runs (id, suite_id, status, models, repeats, sampling, max_tokens, concurrency, items, total_items, created_at)
       VALUES ($1, $2, 'queued', $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${RUN_HEADER_COLUMNS}, items`,
      [
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
      ],
    );
    return runFromRow(row!);
  }

  async getRun(id: string): Promise<RunRecord | null> {
    const [row] = await this.query(`SELECT ${RUN_HEADER_COLUMNS}, items FROM runs WHERE id = $1`, [id]);
    return row ? runFromRow(row) : null;
  }

  async getRunHeader(id: string): Promise<RunHeader | null> {
    const [row] = await this.query(`SELECT ${RUN_HEADER_COLUMNS} FROM runs WHERE id = $1`, [id]);
    return row ? runHeaderFromRow(row) : null;
  }

  async listRuns(filter: { status?: RunStatus[]; limit: number; offset: number }): Promise<{ runs: RunHeader[]; total: number }> {
    const statuses = filter.status ?? [];
    const where = statuses.length ? "WHERE status = ANY($1::text[])" : "WHERE $1::text[] IS NULL";
    const param = statuses.length ? statuses : null;
    const rows = await this.query(`SELECT ${RUN_HEADER_COLUMNS} FROM runs ${where} ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`, [
      param,
      filter.limit,
      filter.offset,
    ]);
    const [count] = await this.query(`SELECT COUNT(*)::int AS n FROM runs ${where}`, [param]);
    return { runs: rows.map(runHeaderFromRow), total: Number(count?.n ?? 0) };
  }

  async setModelSnapshot(runId: string, snapshot: ModelSnapshot): Promise<void> {
    await this.query(
      `UPDATE runs SET model_snapshots = model_snapshots || jsonb_build_array($2::jsonb)
       WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(model_snapshots) s WHERE s->>'name' = $3)`,
      [runId, JSON.stringify(snapshot), snapshot.name],
    );
  }

  async markRunning(runId: string, owner: string): Promise<boolean> {
    const rows = await this.query(
      `UPDATE runs SET status = 'running', started_at = COALESCE(started_at, now())
       WHERE id = $1 AND owner = $2 AND status IN ('queued', 'running') RETURNING id`,
      [runId, owner],
    );
    return rows.length === 1;
  }

  async finishRun(runId: string, owner: string, status: RunStatus, error: string | null, completedAt: string): Promise<boolean> {
    const rows = await this.query(
      `UPDATE runs SET status = $3, error = $4, completed_at = $5, owner = NULL, lease_expires_at = NULL
       WHERE id = $1 AND owner = $2 AND status IN ('queued', 'running') RETURNING id`,
      [runId, owner, status, error, completedAt],
    );
    return rows.length === 1;
  }

  async cancelRun(runId: string, completedAt: string): Promise<RunRecord | null> {
    await this.query(
      `UPDATE runs SET status = 'cancelled', completed_at = $2, owner = NULL, lease_expires_at = NULL
       WHERE id = $1 AND status IN ('queued', 'running')`,
      [runId, completedAt],
    );
    return this.getRun(runId);
  }

  async claimRuns(owner: string, leaseMs: number, limit: number): Promise<string[]> {
    if (limit <= 0) return [];
    // SKIP LOCKED: two replicas claiming at the same moment take different runs instead of waiting on each other.
    const rows = await this.query(
      `UPDATE runs SET owner = $1, lease_expires_at = now() + make_interval(secs => $2::double precision / 1000)
       WHERE id IN (
         SELECT id FROM runs
         WHERE status IN ('queued', 'running') AND (owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at < now())
         ORDER BY created_at, id LIMIT $3 FOR UPDATE SKIP LOCKED
       ) RETURNING id`,
      [owner, leaseMs, limit],
    );
    return rows.map((r) => String(r.id));
  }

  async renewLeases(owner: string, runIds: string[], leaseMs: number): Promise<string[]> {
    if (runIds.length === 0) return [];
    const rows = await this.query(
      `UPDATE runs SET lease_expires_at = now() + make_interval(secs => $3::double precision / 1000)
       WHERE id = ANY($1::text[]) AND owner = $2 AND status IN ('queued', 'running') RETURNING id`,
      [runIds, owner, leaseMs],
    );
    return rows.map((r) => String(r.id));
  }

  async releaseLeases(owner: string, runIds: string[]): Promise<void> {
    if (runIds.length === 0) return;
    await this.query("UPDATE runs SET owner = NULL, lease_expires_at = NULL WHERE id = ANY($1::text[]) AND owner = $2", [runIds, owner]);
  }

  async clearLeases(): Promise<number> {
    return (await this.query("UPDATE runs SET owner = NULL, lease_expires_at = NULL WHERE owner IS NOT NULL RETURNING id")).length;
  }

  async insertItem(item: RunItemResult): Promise<StoredItem | null> {
    const columns = itemColumns(item);
    const checksIndex = ITEM_COLUMN_NAMES.indexOf("checks");
    const placeholders = ITEM_COLUMN_NAMES.map((_, i) => (i === checksIndex ? `$${i + 1}::jsonb` : `$${i + 1}`));
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      // The row lock taken here is held to COMMIT: a run's items commit one after another in run_seq order.
      const seqRows = await client.query("UPDATE runs SET item_seq = item_seq + 1 WHERE id = $1 RETURNING item_seq", [item.run_id]);
      if (seqRows.rowCount !== 1) throw new Error(`insertItem: unknown run ${item.run_id}`);
      const runSeq = Number(seqRows.rows[0].item_seq);
      const inserted = await client.query(
        `INSERT INTO run_items (${ITEM_COLUMN_NAMES.join(", ")}, run_seq) VALUES (${placeholders.join(", ")}, $${columns.length + 1})
         ON CONFLICT (run_id, item_id, model, "repeat") DO NOTHING RETURNING run_seq`,
        [...columns, runSeq],
      );
      if (inserted.rowCount === 0) {
        await client.query("ROLLBACK"); // already stored: the sequence stays where it was
        return null;
      }
      const [done, completed, errors, passed] = countDeltas(item);
      await client.query(
        `INSERT INTO run_model_counts (run_id, model, done, completed, errors, passed) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (run_id, model) DO UPDATE SET done = run_model_counts.done + EXCLUDED.done,
           completed = run_model_counts.completed + EXCLUDED.completed, errors = run_model_counts.errors + EXCLUDED.errors,
           passed = run_model_counts.passed + EXCLUDED.passed`,
        [item.run_id, item.model, done, completed, errors, passed],
      );
      await client.query("COMMIT");
      return { ...item, seq: runSeq };
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async storedKeys(runId: string): Promise<Set<string>> {
    const rows = await this.query(`SELECT item_id, model, "repeat" FROM run_items WHERE run_id = $1`, [runId]);
    return new Set(rows.map((r) => `${r.item_id}|${r.model}|${r.repeat}`));
  }

  async listItems(runId: string, filter: ItemFilter, limit: number, offset: number): Promise<{ items: StoredItem[]; total: number }> {
    const clauses = ["run_id = $1"];
    const params: unknown[] = [runId];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      clauses.push(clause.replace("?", `$${params.length}`));
    };
    if (filter.model !== undefined) add("model = ?", filter.model);
    if (filter.dimension !== undefined) add("dimension = ?", filter.dimension);
    if (filter.passed !== undefined) add("passed = ?", filter.passed);
    if (filter.status !== undefined) add("status = ?", filter.status);
    if (filter.after_seq !== undefined) add("run_seq > ?", filter.after_seq);
    const where = clauses.join(" AND ");
    const rows = await this.query(
      `SELECT * FROM run_items WHERE ${where} ORDER BY run_seq LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, limit, offset],
    );
    const [count] = await this.query(`SELECT COUNT(*)::int AS n FROM run_items WHERE ${where}`, params);
    return { items: rows.map(itemFromRow), total: Number(count?.n ?? 0) };
  }

  async itemsAfter(runId: string, afterSeq: number, limit: number): Promise<StoredItem[]> {
    const rows = await this.query("SELECT * FROM run_items WHERE run_id = $1 AND run_seq > $2 ORDER BY run_seq LIMIT $3", [
      runId,
      afterSeq,
      limit,
    ]);
    return rows.map(itemFromRow);
  }

  async counts(runId: string): Promise<RunCounts> {
    return (await this.countsFor([runId])).get(runId) ?? emptyCounts();
  }

  async countsFor(runIds: string[]): Promise<Map<string, RunCounts>> {
    if (runIds.length === 0) return new Map();
    const runs = await this.query("SELECT id, models FROM runs WHERE id = ANY($1::text[])", [runIds]);
    const runModels = new Map<string, string[]>(runIds.map((id) => [id, []]));
    for (const r of runs) runModels.set(String(r.id), r.models as string[]);
    const rows = await this.query(
      "SELECT run_id, model, done, completed, errors, passed FROM run_model_counts WHERE run_id = ANY($1::text[])",
      [runIds],
    );
    return foldCounts(rows, runModels);
  }

  async recordDispatch(d: Dispatch): Promise<void> {
    await this.query(
      `INSERT INTO dispatches (run_id, item_id, model, "repeat", attempt, instance, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [d.run_id, d.item_id, d.model, d.repeat, d.attempt, d.instance, d.sent_at],
    );
  }

  async attachCapacity(a: CapacityAttachment): Promise<void> {
    await this.query(
      `INSERT INTO run_capacity (run_id, model, result, sizing, attached_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (run_id, model) DO UPDATE SET result = excluded.result, sizing = excluded.sizing, attached_at = excluded.attached_at`,
      [a.run_id, a.model, JSON.stringify(a.result), a.sizing === null ? null : JSON.stringify(a.sizing), a.attached_at],
    );
  }

  async listCapacity(runId: string): Promise<CapacityAttachment[]> {
    const rows = await this.query("SELECT * FROM run_capacity WHERE run_id = $1 ORDER BY model", [runId]);
    return rows.map(capacityFromRow);
  }

  async listDispatches(runId: string): Promise<Dispatch[]> {
    const rows = await this.query("SELECT * FROM dispatches WHERE run_id = $1 ORDER BY seq", [runId]);
    return rows.map(dispatchFromRow);
  }
}
