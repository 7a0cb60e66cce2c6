// AccountFiles: one object per account and intake (`<event>:<accountId>`),
// holding the receipt of that account's accepted submission, so that
// "Consultation des documents" shows it in any later session or browser, as
// the announcement says the confirmation lives in the account. The gateway
// stays the system of record: the receipt's status is read from it live.
import { DurableObject } from "cloudflare:workers";
import type { DemoEnv } from "./env";

/** The receipt as the gateway returned it (contract: 201 `{receipt}`), plus who and which intake. */
export interface StoredReceipt {
  eventId: string;
  accountId: string;
  id: string;
  rank: number | null;
  quota: number;
  acceptedAt: string;
  paymentDueAt: string;
  receiptToken: string;
}

export class AccountFiles extends DurableObject<DemoEnv> {
  /**
   * Keeps the receipt of the account's accepted submission. The first one
   * stays: the gateway accepts one submission per account, and a replayed
   * answer carries the same receipt.
   */
  async keepReceipt(receipt: StoredReceipt): Promise<StoredReceipt> {
    const held = this.ctx.storage.kv.get<StoredReceipt>("receipt");
    if (held) return held;
    this.ctx.storage.kv.put("receipt", receipt);
    return receipt;
  }

  /** The receipt on file, or null. */
  async receipt(): Promise<StoredReceipt | null> {
    return this.ctx.storage.kv.get<StoredReceipt>("receipt") ?? null;
  }
}

export function accountFiles(env: DemoEnv, eventId: string, accountId: string) {
  return env.ACCOUNT_FILES.getByName(`${eventId}:${accountId}`);
}
