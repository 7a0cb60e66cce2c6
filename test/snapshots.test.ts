// Invariant 7: polls are answered from the Worker's cached snapshot. The
// QueueRoom counts its own RPC calls while 1,000 polls are served.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { QueueRoom } from "../src/durable/queue-room/queue-room";
import { snapshotRefreshes } from "../src/line/snapshot-cache";
import { createEvent, enter, gateway, room, uniqueEvent } from "./helpers";

function calls(eventId: string): Promise<Record<string, number>> {
  return runInDurableObject(room(eventId), (instance: QueueRoom) => Object.fromEntries(instance.rpcCalls));
}

describe("status polls", () => {
  it("reach the QueueRoom at most once a second, not once a poll", async () => {
    const id = uniqueEvent("polls");
    await createEvent(id, { maxActive: 1 });
    const tickets = await Promise.all(Array.from({ length: 50 }, () => enter(id)));
    const before = await calls(id);
    const refreshesBefore = snapshotRefreshes();
    const started = Date.now();
    let served = 0;
    // 1,000 polls from 50 waiting candidates, in 4 waves.
    for (let wave = 0; wave < 4; wave++) {
      const responses = await Promise.all(
        Array.from({ length: 250 }, (_, i) => gateway(`/guichet/api/status?event=${id}`, { cookie: tickets[i % 50]!.cookie! })),
      );
      for (const r of responses) {
        expect(r.status).toBe(200);
        served += 1;
      }
    }
    const elapsedSeconds = (Date.now() - started) / 1000;
    const after = await calls(id);
    const snapshotCalls = (after.snapshot ?? 0) - (before.snapshot ?? 0);
    const otherCalls = Object.entries(after).reduce((n, [k, v]) => n + (k === "snapshot" ? 0 : v - (before[k] ?? 0)), 0);
    expect(served).toBe(1000);
    expect(otherCalls).toBe(0);
    expect(snapshotCalls).toBeLessThanOrEqual(Math.ceil(elapsedSeconds) + 1);
    expect(snapshotRefreshes() - refreshesBefore).toBe(snapshotCalls);
  });
});
