// The default event seeded from Worker vars at its first access, as an
// operator configures it (vitest.config.ts, project "vars": every var-backed
// setting set, the pre-queue open since ten minutes). It must show and do
// exactly what the same settings do through the ops API
// (test/event-settings.test.ts runs the same checks on that way).
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { checkEventSettings, varSettings } from "../event-settings";

it("seeds every var-backed setting as the ops API sets it: pre-queue committed and open, puzzle asked", async () => {
  // The config wrote the vars from this instant (an offset on the instants, as an operator in Montreal might).
  const expected = varSettings(Number(env.TEST_VARS_BASE_MS));
  expect(env.EVENT_PREQUEUE_OPENS_AT).toMatch(/-04:00$/);
  await checkEventSettings(env.EVENT_ID, expected);
});
