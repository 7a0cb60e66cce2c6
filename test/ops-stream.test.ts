// GET /guichet/ops/api/stream: Server-Sent Events about once a second, one
// shared metrics fetch a second for all the streams an isolate serves, and
// nothing left running once the client goes away.
import { describe, expect, it } from "vitest";
import { newTicketId } from "../src/auth/ticket";
import { metricsFetches, type OpsMetrics } from "../src/ops/metrics";
import { openStreams } from "../src/routes/ops";
import { createEvent, gateway, OPS_AUTH, room, tick, uniqueEvent } from "./helpers";

/** Reads SSE frames from a stream until `count` `metrics` events have come. */
async function readEvents(reader: ReadableStreamDefaultReader<Uint8Array>, count: number) {
  const decoder = new TextDecoder();
  const events: { id: string | null; event: string; data: OpsMetrics }[] = [];
  let buffer = "";
  while (events.length < count) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = new Map<string, string>();
      for (const line of frame.split("\n")) {
        const colon = line.indexOf(":");
        if (colon <= 0) continue;
        fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
      }
      if (fields.get("event") === "metrics") events.push({ id: fields.get("id") ?? null, event: "metrics", data: JSON.parse(fields.get("data")!) });
    }
  }
  return events;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the metrics stream", () => {
  it("sends metrics about once a second, shows the line moving, and stops when the client leaves", async () => {
    const id = uniqueEvent("stream");
    await createEvent(id, { maxActive: 2, admitPerMinute: 100_000 });
    const res = await gateway(`/guichet/ops/api/stream?event=${id}`, { headers: OPS_AUTH });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const reader = res.body!.getReader();
    const started = Date.now();
    const [first] = await readEvents(reader, 1);
    expect(first!.data).toMatchObject({ event: id, line: { entered: 0 } });
    await room(id).enter(Array.from({ length: 3 }, () => ({ ticketId: newTicketId() })));
    await tick(id);
    const later = await readEvents(reader, 2);
    expect(later.map((e) => Number(e.id))).toEqual([2, 3]);
    expect(later.at(-1)!.data.line).toMatchObject({ entered: 3, called: 2, waiting: 1 });
    // Three events: the first at once, then one a second.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    expect(openStreams()).toBe(1);

    await reader.cancel();
    const fetchesAtCancel = metricsFetches();
    await sleep(300);
    expect(openStreams()).toBe(0);
    const fetchesAfterStop = metricsFetches();
    await sleep(2_500);
    // Nothing fetches for the stream once it is gone.
    expect(metricsFetches()).toBe(fetchesAfterStop);
    expect(fetchesAfterStop - fetchesAtCancel).toBeLessThanOrEqual(1);
  });

  it("serves many viewers with one metrics fetch a second", async () => {
    const id = uniqueEvent("streams");
    await createEvent(id);
    const before = metricsFetches();
    const started = Date.now();
    const responses = await Promise.all(Array.from({ length: 20 }, () => gateway(`/guichet/ops/api/stream?event=${id}`, { headers: OPS_AUTH })));
    const readers = responses.map((r) => r.body!.getReader());
    const all = await Promise.all(readers.map((r) => readEvents(r, 3)));
    const seconds = (Date.now() - started) / 1000;
    expect(all.every((events) => events.length === 3)).toBe(true);
    expect(openStreams()).toBe(20);
    // 20 viewers × 3 events = 60 deliveries, but about one fetch a second.
    expect(metricsFetches() - before).toBeLessThanOrEqual(Math.ceil(seconds) + 2);
    await Promise.all(readers.map((r) => r.cancel()));
    await sleep(300);
    expect(openStreams()).toBe(0);
  });

  it("refuses a stream without the token, and for an unknown event", async () => {
    expect((await gateway(`/guichet/ops/api/stream?event=${uniqueEvent("x")}`)).status).toBe(401);
    expect((await gateway(`/guichet/ops/api/stream?event=${uniqueEvent("x")}`, { headers: OPS_AUTH })).status).toBe(404);
    expect(openStreams()).toBe(0);
  });
});
