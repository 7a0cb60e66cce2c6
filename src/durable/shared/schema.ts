// An object's SQLite schema, ensured in its constructor (under
// blockConcurrencyWhile). Every table and index is created IF NOT EXISTS at
// each start, so a table added without a new version still reaches storage
// written before it; columns added to existing tables come by version.

export interface Schema {
  /** Every table and index, each `IF NOT EXISTS`. */
  tables: string;
  /** The version `tables` creates: what a new object records. */
  createdAs: number;
  /** The version this build runs. */
  version: number;
  /** What storage at version v - 1 needs to reach v, for every v above `createdAs`. */
  migrations: Record<number, string>;
}

/** Creates what is missing, then migrates older storage to `schema.version` in one transaction. */
export function ensureSchema(storage: DurableObjectStorage, schema: Schema): void {
  const sql = storage.sql;
  sql.exec(`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);${schema.tables}`);
  const stored = sql.exec<{ version: number }>("SELECT version FROM schema_version").toArray()[0]?.version;
  if (stored === undefined) sql.exec("INSERT INTO schema_version (version) VALUES (?)", schema.createdAs);
  const from = stored ?? schema.createdAs;
  if (from >= schema.version) return;
  storage.transactionSync(() => {
    for (let v = from + 1; v <= schema.version; v++) {
      const migration = schema.migrations[v];
      if (migration === undefined) throw new Error(`no migration to schema version ${v}`);
      sql.exec(migration);
    }
    sql.exec("UPDATE schema_version SET version = ?", schema.version);
  });
}
