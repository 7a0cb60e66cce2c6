// Pure decisions, tested on their own: the call budget, positions and
// estimates, phases, settings changes, device classes.
import { describe, expect, it } from "vitest";
import { callBudget, quotaCap } from "../src/domain/admission";
import { classifyDevice, stricterDevice } from "../src/domain/device";
import { ConfigError, eventFromVars, parseInstant, phaseAt } from "../src/domain/event";
import { estimateWaitSeconds, pollAfterMs, positionOf } from "../src/domain/position";
import type { RoomSnapshot } from "../src/durable/queue-room/queue-room";
import { statusFromSnapshot, waitingJson } from "../src/line/status";
import { validateChange } from "../src/domain/settings";
import { base64url, base64urlOfText, newJti, newTicketId } from "../src/auth/ticket";

const policy = { active: 0, accepted: 0, callsLastMinute: 0, maxActive: 500, admitPerMinute: 1000, quota: 5100, overbook: 1 };

describe("callBudget", () => {
  it("is bounded by maxActive, the per-tick rate, the minute's rate and the quota-aware cap", () => {
    expect(callBudget(policy)).toBe(17); // ceil(1000 / 60) a tick
    expect(callBudget({ ...policy, active: 495 })).toBe(5);
    expect(callBudget({ ...policy, callsLastMinute: 995 })).toBe(5);
    expect(callBudget({ ...policy, accepted: 5090, active: 5 })).toBe(5);
    expect(callBudget({ ...policy, accepted: 5100 })).toBe(0);
    expect(callBudget({ ...policy, active: 600 })).toBe(0);
    expect(callBudget({ ...policy, quota: 10, overbook: 1.5, accepted: 10 })).toBe(5);
  });

  it("rounds the cap down and survives floating point", () => {
    expect(quotaCap(5100, 1)).toBe(5100);
    expect(quotaCap(10, 1.1)).toBe(11);
    expect(quotaCap(3, 1.5)).toBe(4);
  });
});

describe("positions", () => {
  it("counts numbers above the cursor, minus those who left, plus returning no-shows", () => {
    expect(positionOf(10, 4, [])).toBe(6);
    expect(positionOf(10, 4, [2, 5, 7, 12])).toBe(4);
    expect(positionOf(10, 4, [5, 7], 3)).toBe(7);
    expect(positionOf(5, 4, [])).toBe(1);
  });

  it("estimates the wait from the recent call rate, or the policy before calls start", () => {
    const rate = { callsLastMinute: 0, admitPerMinute: 1000, maxActive: 500, admissionSeconds: 600 };
    expect(estimateWaitSeconds(1, rate)).toBe(0);
    expect(estimateWaitSeconds(51, rate)).toBe(60); // turnover 50 a minute
    expect(estimateWaitSeconds(201, { ...rate, callsLastMinute: 100 })).toBe(120);
  });

  it("polls more often near the front", () => {
    expect(pollAfterMs(1)).toBe(2000);
    expect(pollAfterMs(300)).toBeGreaterThan(pollAfterMs(30));
    expect(pollAfterMs(60_000)).toBe(30_000);
  });
});

describe("events", () => {
  it("reads the default event from the Worker vars, with the contract's defaults", () => {
    const e = eventFromVars({ EVENT_OPENS_AT: "2016-06-13T08:30:00-04:00" });
    expect(e).toMatchObject({ id: "csq-2016-06", quota: 5100, admissionSeconds: 600, maxActive: 500, admitPerMinute: 1000, overbook: 1, noShowGraceSeconds: 120 });
    expect(new Date(e.opensAt!).toISOString()).toBe("2016-06-13T12:30:00.000Z");
    expect(() => eventFromVars({ EVENT_QUOTA: "-3" })).toThrow(ConfigError);
    expect(() => eventFromVars({ EVENT_OPENS_AT: "tomorrow" })).toThrow(ConfigError);
    expect(parseInstant("")).toBeNull();
  });

  it("is before_open until the instant, then open, and closed once closed", () => {
    expect(phaseAt(1000, null, 999)).toBe("before_open");
    expect(phaseAt(1000, null, 1000)).toBe("open");
    expect(phaseAt(1000, 5, 2000)).toBe("closed");
    expect(phaseAt(null, null, 2000)).toBe("before_open");
  });

  it("refuses a quota below what is accepted and an opening moved once numbers are out", () => {
    const base = eventFromVars({});
    const ctx = { now: 1_000_000, accepted: 50, numbered: 0, phase: "before_open" as const };
    expect(validateChange(base, { ...base, quota: 49 }, ctx)?.field).toBe("quota");
    expect(validateChange(base, { ...base, quota: 50 }, ctx)).toBeNull();
    expect(validateChange(base, { ...base, opensAt: 1 }, ctx)?.field).toBe("opensAt");
    expect(validateChange(base, { ...base, opensAt: 2_000_000 }, { ...ctx, numbered: 3 })?.field).toBe("opensAt");
    expect(validateChange(base, { ...base, opensAt: 2_000_000 }, ctx)).toBeNull();
  });
});

describe("device classes", () => {
  const cases: [string, Parameters<typeof classifyDevice>[0], string][] = [
    ["Windows Chrome", { userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126 Safari/537.36", mobileHint: "?0" }, "desktop"],
    ["Mac Safari", { userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17 Safari/605.1.15" }, "desktop"],
    ["iPhone", { userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148" }, "mobile"],
    ["Android phone", { userAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126 Mobile Safari/537.36" }, "mobile"],
    ["Android tablet", { userAgent: "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 Chrome/126 Safari/537.36" }, "tablet"],
    ["iPad (old UA)", { userAgent: "Mozilla/5.0 (iPad; CPU OS 12_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148" }, "tablet"],
    ["iPad (desktop UA, touch)", { userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17 Safari/605.1.15", touchPoints: 5 }, "tablet"],
    ["client hint mobile", { userAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/126", mobileHint: "?1" }, "mobile"],
    ["Kindle", { userAgent: "Mozilla/5.0 (Linux; Android 9; KFMAWI) AppleWebKit/537.36 Silk/100 Safari/537.36" }, "tablet"],
  ];
  it.each(cases)("%s", (_, hints, expected) => {
    expect(classifyDevice(hints)).toBe(expected);
  });

  it("keeps the stricter of two readings", () => {
    expect(stricterDevice("desktop", "tablet")).toBe("tablet");
    expect(stricterDevice("mobile", "tablet")).toBe("mobile");
    expect(stricterDevice("desktop", "desktop")).toBe("desktop");
  });
});

describe("ticket ids and base64url", () => {
  it("encodes as btoa does, without padding, with - and _", () => {
    for (let length = 0; length <= 40; length++) {
      const bytes = crypto.getRandomValues(new Uint8Array(length));
      const expected = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
      expect(base64url(bytes)).toBe(expected);
    }
  });

  it("encodes a text's UTF-8 bytes, ASCII or not, short or longer than its scratch buffer", () => {
    const utf8 = new TextEncoder();
    const texts = [
      "",
      "a",
      JSON.stringify({ iss: "https://guichet.example", aud: "mpq-origin", sub: "AZ_-09", num: 5100, dev: "desktop" }),
      "Montréal, Québec — « guichet »",
      "x".repeat(1023),
      "x".repeat(1024),
      "x".repeat(1025),
      `${"y".repeat(1023)}é`,
      "\u{1F600} and a lone surrogate \ud800",
    ];
    for (let length = 0; length < 200; length++) texts.push(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(length)).map((b) => b & 0x7f)));
    for (const text of texts) expect(base64urlOfText(text)).toBe(base64url(utf8.encode(text)));
    // The scratch buffer is not left holding a longer text's bytes for a shorter one.
    expect(base64urlOfText("ab")).toBe(base64url(utf8.encode("ab")));
  });

  it("draws 22-character ids that sort by the millisecond they were drawn in, and do not repeat", () => {
    const at = Date.UTC(2016, 5, 1, 12, 30);
    const ids = Array.from({ length: 2000 }, (_, i) => newTicketId(at + i));
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(ids).size).toBe(ids.length);
    const sorted = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(sorted).toEqual(ids);
    // 80 random bits after the time: two ids of the same millisecond differ.
    expect(newTicketId(at)).not.toBe(newTicketId(at));
  });
});

describe("admission ids", () => {
  it("are version-7 UUIDs that sort by their millisecond and do not repeat", () => {
    const at = Date.UTC(2016, 5, 1, 12, 30);
    const ids = Array.from({ length: 2000 }, (_, i) => newJti(at + i));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(parseInt(ids[0]!.replace(/-/g, "").slice(0, 12), 16)).toBe(at);
  });
});

describe("a waiting number's status as text", () => {
  const opensAt = Date.UTC(2016, 5, 13, 12, 30);
  const snapshot = (over: Partial<RoomSnapshot> = {}): RoomSnapshot => ({
    exists: true,
    event: "csq-2016-06",
    phase: "open",
    opensAt,
    closedReason: null,
    paused: false,
    nextNumber: 60_001,
    servingNumber: 4_500,
    waitingCount: 38_211,
    requeuedCount: 0,
    activeCount: 500,
    callsLastMinute: 0,
    quota: { total: 5_100, accepted: 3_050, closed: false },
    admissionSeconds: 600,
    noShowGraceSeconds: 120,
    maxActive: 500,
    admitPerMinute: 400,
    overbook: 1,
    banner: null,
    routePolicy: {} as RoomSnapshot["routePolicy"],
    skipped: [],
    prequeue: null,
    powDifficulty: 0,
    configVersion: 1,
    generatedAt: opensAt,
    ...over,
  });
  const snapshots = [
    snapshot(),
    snapshot({ callsLastMinute: 377, requeuedCount: 12, skipped: [4_501, 4_777, 9_000], paused: true, powDifficulty: 18 }),
    snapshot({ banner: 'Avis « important » : "guillemets", \\ barre, \u2028 et 😀', opensAt: null }),
    snapshot({ prequeue: { opensAt: opensAt - 3_600_000, count: 41_000, commitment: "ab".repeat(32), shuffled: true }, quota: { total: 5_100, accepted: 5_100, closed: true } }),
    snapshot({ admitPerMinute: 0, maxActive: 0, callsLastMinute: 0 }),
    snapshot({ phase: "closed", closedReason: "quota_reached" }),
  ];

  it("is JSON.stringify of the status object, with its device, for every waiting number; null for every other answer", () => {
    let texts = 0;
    for (const now of [opensAt - 60_000, opensAt + 1, opensAt + 7_200_000]) {
      // Alternating snapshots: the pieces kept for one are never used for another.
      for (const number of [1, 4_500, 4_501, 4_502, 4_777, 5_000, 9_000, 9_001, 60_000, 1_000_000]) {
        for (const s of snapshots) {
          for (const device of ["desktop", "mobile", "tablet"] as const) {
            const object = statusFromSnapshot(s, number, now);
            const text = waitingJson(s, number, now, device);
            if (object === null || object === "left" || object.state !== "waiting") {
              expect(text).toBeNull();
            } else {
              expect(text).toBe(JSON.stringify({ ...object, device }));
              texts += 1;
            }
          }
        }
      }
    }
    // Per instant and device: the 8 numbers above the cursor in four snapshots, 5 where 3 of them left, none once closed.
    expect(texts).toBe(3 * 3 * (8 + 5 + 8 + 8 + 8 + 0));
  });
});
