// QuotaCounter: one Durable Object per event, the quota's single source of
// truth. Issue #4 fills it; for now it records revoked admissions so that a
// candidate who leaves cannot submit with the token they held.
import { DurableObject } from "cloudflare:workers";

export class QuotaCounter extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      this.sql.exec("CREATE TABLE IF NOT EXISTS revoked (jti TEXT PRIMARY KEY, at INTEGER NOT NULL)");
    });
  }

  /** Refuses any later submission with this admission. */
  async revoke(jti: string): Promise<void> {
    this.sql.exec("INSERT OR IGNORE INTO revoked (jti, at) VALUES (?, ?)", jti, Date.now());
  }
}
