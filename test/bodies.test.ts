// Request bodies (src/http/body.ts's jsonBody) on the routes that take them,
// and the touch points a claim takes from a header when it sends no body.
import { describe, expect, it } from "vitest";
import { claim, createEvent, enter, gateway, ORIGIN_AUTH, room, tick, uniqueEvent } from "./helpers";

const IPAD_AS_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15";
const JSON_TYPE = { "content-type": "application/json" };

const payloadOf = (token: string) => JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));

/** A body sent in chunks, with no Content-Length (Transfer-Encoding: chunked). */
function chunked(...parts: string[]): ReadableStream<Uint8Array> {
  const bytes = parts.map((p) => new TextEncoder().encode(p));
  return new ReadableStream({
    pull(controller) {
      const next = bytes.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

/** `n` tickets of a fresh event, all called (maxActive n). */
async function calledTickets(prefix: string, n: number): Promise<{ id: string; cookies: string[] }> {
  const id = uniqueEvent(prefix);
  await createEvent(id, { maxActive: n, admitPerMinute: 6000 });
  const cookies: string[] = [];
  for (let i = 0; i < n; i++) cookies.push((await enter(id)).cookie!);
  await tick(id);
  return { id, cookies };
}

describe("a JSON body on enter and claim", () => {
  it("takes no body, a declared empty one, a JSON one and a chunked one alike", async () => {
    const id = uniqueEvent("bodies");
    await createEvent(id);
    const enterWith = (init: RequestInit) => gateway(`/guichet/api/enter?event=${id}`, { method: "POST", ...init });
    const answers = [
      await enterWith({}),
      await enterWith({ headers: { "content-length": "0" } }),
      await enterWith({ headers: JSON_TYPE, body: JSON.stringify({ touchPoints: 0 }) }),
      await enterWith({ headers: JSON_TYPE, body: "{}" }),
      await enterWith({ headers: JSON_TYPE, body: chunked('{"touch', 'Points":', "5}"), duplex: "half" } as RequestInit),
    ];
    expect(answers.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    const numbers = await Promise.all(answers.map(async (r) => ((await r.json()) as any).number));
    expect(numbers).toEqual([1, 2, 3, 4, 5]);
  });

  it("refuses, in the user's language and numbering nobody, what is not a valid body", async () => {
    const id = uniqueEvent("badbodies");
    await createEvent(id);
    const cases: [RequestInit, number, string, string | undefined][] = [
      [{ headers: JSON_TYPE, body: "{" }, 400, "invalid_json", undefined],
      [{ headers: { "content-type": "text/plain" }, body: "{}" }, 415, "unsupported_media_type", undefined],
      [{ headers: JSON_TYPE, body: JSON.stringify({ touchPoints: "5" }) }, 422, "invalid_body", "touchPoints"],
      [{ headers: JSON_TYPE, body: JSON.stringify({ touchPoints: 5, extra: 1 }) }, 422, "invalid_body", "extra"],
      [{ headers: JSON_TYPE, body: JSON.stringify({ pow: { challenge: "c" } }) }, 422, "invalid_body", "pow.nonce"],
      [{ headers: JSON_TYPE, body: JSON.stringify({ pad: "x".repeat(5000) }) }, 413, "payload_too_large", undefined],
      [{ headers: JSON_TYPE, body: chunked("[", "0,".repeat(3000), "0]"), duplex: "half" } as RequestInit, 413, "payload_too_large", undefined],
      [{ headers: JSON_TYPE, body: new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]) }, 400, "invalid_body", "(encoding)"],
    ];
    for (const [init, status, code, field] of cases) {
      const res = await gateway(`/guichet/api/enter?event=${id}&lang=en`, { method: "POST", ...init });
      const body = (await res.json()) as any;
      expect([res.status, body.error.code, body.error.field], JSON.stringify(init.body ?? null).slice(0, 60)).toEqual([status, code, field]);
      expect(body.error.message).toMatch(/^(The request body|Unsupported content type)/);
    }
    const fr = (await (await gateway(`/guichet/api/enter?event=${id}`, { method: "POST", headers: JSON_TYPE, body: "{" })).json()) as any;
    expect(fr.error.message).toBe("Le contenu de la requête n'est pas du JSON valide.");
    const s = await room(id).snapshot();
    expect(s.exists && s.nextNumber).toBe(1);
  });

  it("refuses a required body that is missing (422, field (body))", async () => {
    const res = await gateway("/guichet/api/submissions", { method: "POST", headers: { ...ORIGIN_AUTH, "content-length": "0" } });
    expect(res.status).toBe(422);
    expect(((await res.json()) as any).error).toMatchObject({ code: "invalid_body", field: "(body)" });
  });
});

describe("the touch points of a claim", () => {
  it("tell an iPad presenting itself as a Mac, from the header or the body; the body's field wins", async () => {
    const { id, cookies } = await calledTickets("touch", 5);
    const mac = { "user-agent": IPAD_AS_MAC };
    const cases: [RequestInit, string][] = [
      [{ headers: mac }, "desktop"],
      [{ headers: { ...mac, "x-guichet-touch-points": "0" } }, "desktop"],
      [{ headers: { ...mac, "x-guichet-touch-points": "5" } }, "tablet"],
      [{ headers: { ...mac, ...JSON_TYPE }, body: JSON.stringify({ touchPoints: 5 }) }, "tablet"],
      [{ headers: { ...mac, ...JSON_TYPE, "x-guichet-touch-points": "5" }, body: JSON.stringify({ touchPoints: 0 }) }, "desktop"],
    ];
    for (const [i, [init, device]] of cases.entries()) {
      const r = await claim(id, cookies[i]!, { method: "POST", ...init });
      expect(r.res.status).toBe(200);
      expect(payloadOf(r.body.admission.token).dev, JSON.stringify(init)).toBe(device);
    }
  });

  it("refuses a header that is not a count from 0 to 256 (400 invalid_header), and admits nobody for it", async () => {
    const { id, cookies } = await calledTickets("touchbad", 1);
    for (const value of ["-1", "257", "1.5", "five", "", "0x5"]) {
      const r = await claim(id, cookies[0]!, { headers: { "x-guichet-touch-points": value } });
      expect([r.res.status, r.body.error.code, r.body.error.field], value).toEqual([400, "invalid_header", "X-Guichet-Touch-Points"]);
      expect(r.body.error.message).toBe("Un en-tête de la requête n'est pas valide.");
    }
    expect((await room(id).metrics())!.tickets).toMatchObject({ called: 1, admitted: 0 });
    expect((await claim(id, cookies[0]!, { headers: { "x-guichet-touch-points": "256" } })).res.status).toBe(200);
  });
});
