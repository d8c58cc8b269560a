import type { StoreConfig } from "../config.js";
import { PostgresStore } from "./postgresStore.js";
import { SqliteStore } from "./sqliteStore.js";
import type { Store } from "./types.js";

export * from "./types.js";
export { SqliteStore, MIGRATIONS as SQLITE_MIGRATIONS } from "./sqliteStore.js";
export { PostgresStore, MIGRATIONS as POSTGRES_MIGRATIONS } from "./postgresStore.js";

/** Opens the configured backend and brings its schema up to date. */
export async function openStore(config: StoreConfig): Promise<Store> {
  const store = config.kind === "postgres" ? new PostgresStore(config.url) : new SqliteStore(config.path);
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  return store;
}
