// Settings from Worker vars mean what the same settings mean through the ops
// API. This file: the ops API's way, and the vars read as the API's body. The
// vars' way, on a room seeded at first access: test/vars/seeded.test.ts, with
// the same values and the same checks (test/event-settings.ts).
import { describe, expect, it } from "vitest";
import { ConfigError, EVENT_SETTING_VARS, EventSettingsPatchSchema, defaultEvent, eventFromVars, settingsFromVars, type EventSettings } from "../src/domain/event";
import { checkEventSettings, varSettings } from "./event-settings";
import { gateway, OPS_AUTH, uniqueEvent } from "./helpers";

function put(eventId: string, patch: unknown) {
  return gateway(`/guichet/ops/api/event?event=${eventId}`, { method: "PUT", headers: { ...OPS_AUTH, "content-type": "application/json" }, body: JSON.stringify(patch) });
}

/** The same settings as Worker vars would carry them (text; an instant with an offset). */
function asVars(s: ReturnType<typeof varSettings>): Record<keyof typeof EVENT_SETTING_VARS, string> {
  const withOffset = (iso: string) => new Date(Date.parse(iso) - 4 * 3600_000).toISOString().replace("Z", "-04:00");
  return {
    EVENT_OPENS_AT: withOffset(s.opensAt),
    EVENT_QUOTA: String(s.quota),
    EVENT_ADMISSION_SECONDS: String(s.admissionSeconds),
    EVENT_MAX_ACTIVE: String(s.maxActive),
    EVENT_ADMIT_PER_MINUTE: String(s.admitPerMinute),
    EVENT_OVERBOOK: String(s.overbook),
    EVENT_NO_SHOW_GRACE_SECONDS: String(s.noShowGraceSeconds),
    EVENT_PREQUEUE_OPENS_AT: withOffset(s.prequeueOpensAt),
    EVENT_POW_DIFFICULTY: String(s.powDifficulty),
  };
}

describe("event settings through the ops API", () => {
  it("creates an event whose every var-backed setting shows and acts as set: pre-queue committed and open, puzzle asked", async () => {
    const id = uniqueEvent("opsset");
    const expected = varSettings(Date.now());
    const res = await put(id, expected);
    expect(res.status).toBe(201);
    await checkEventSettings(id, expected);
  });
});

describe("event settings from Worker vars", () => {
  it("reads each var as the ops API reads the same setting, and no other", () => {
    const expected = varSettings(Date.now());
    const vars = asVars(expected);
    // Every var-backed setting is covered here (a new var must be added to varSettings too).
    expect(Object.values(EVENT_SETTING_VARS).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, field] of Object.entries(EVENT_SETTING_VARS) as [keyof typeof EVENT_SETTING_VARS, keyof EventSettings][]) {
      const fromVar = settingsFromVars({ [name]: vars[name] });
      const fromApi = EventSettingsPatchSchema.parse({ [field]: expected[field as keyof typeof expected] });
      expect({ name, patch: fromVar }).toEqual({ name, patch: fromApi });
    }
    expect(eventFromVars({ EVENT_ID: "vars-check", ...vars })).toEqual({ ...defaultEvent("vars-check"), ...parsed(expected) });
  });

  it("refuses in a var what the ops API refuses for the same setting", async () => {
    const refused: [keyof typeof EVENT_SETTING_VARS, string, string, unknown][] = [
      ["EVENT_QUOTA", "0", "quota", 0],
      ["EVENT_QUOTA", "20000000", "quota", 20_000_000],
      ["EVENT_ADMISSION_SECONDS", "5", "admissionSeconds", 5],
      ["EVENT_MAX_ACTIVE", "2000000", "maxActive", 2_000_000],
      ["EVENT_ADMIT_PER_MINUTE", "1.5", "admitPerMinute", 1.5],
      ["EVENT_OVERBOOK", "3", "overbook", 3],
      ["EVENT_NO_SHOW_GRACE_SECONDS", "2", "noShowGraceSeconds", 2],
      ["EVENT_POW_DIFFICULTY", "30", "powDifficulty", 30],
      ["EVENT_OPENS_AT", "tomorrow", "opensAt", "tomorrow"],
      ["EVENT_PREQUEUE_OPENS_AT", "08:00", "prequeueOpensAt", "08:00"],
    ];
    for (const [name, raw, field, value] of refused) {
      expect(() => settingsFromVars({ [name]: raw }), name).toThrow(ConfigError);
      const res = await put(uniqueEvent("refused"), { opensAt: new Date(Date.now() + 3600_000).toISOString(), [field]: value });
      expect({ name, status: res.status }).toEqual({ name, status: 422 });
    }
  });
});

/** `settings` as an EventConfig holds them (instants as epoch ms). */
function parsed(s: ReturnType<typeof varSettings>) {
  return { ...s, opensAt: Date.parse(s.opensAt), prequeueOpensAt: Date.parse(s.prequeueOpensAt) };
}
