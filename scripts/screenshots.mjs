#!/usr/bin/env node
// `npm run screenshots`: the room page in each state, in French and in
// English, photographed into docs/screenshots/room-<state>-<lang>.png (the
// pictures docs/room-page.md shows). States: before-open, phone, prequeue,
// prequeue-joined, open, waiting, turn, expired, closed.
//
// The pictures are taken by the browser test that audits those states
// (test/e2e/accessibility.e2e.test.ts, "axe-core on the room page"): it
// starts its own gateway and demo origin (`wrangler dev` on 127.0.0.1 with
// throwaway state), drives each state in Chromium and checks it with axe-core
// before photographing it; UPDATE_SCREENSHOTS=1 makes it copy each picture
// here. A state that fails its audit is not photographed.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const docs = join(root, "docs", "screenshots");
const started = Date.now();

const run = spawnSync(
  join(root, "node_modules", ".bin", "vitest"),
  ["run", "--config", "vitest.e2e.config.ts", "test/e2e/accessibility.e2e.test.ts", "-t", "axe-core on the room page"],
  { cwd: root, stdio: "inherit", env: { ...process.env, UPDATE_SCREENSHOTS: "1" } },
);

const written = readdirSync(docs)
  .filter((name) => name.startsWith("room-") && statSync(join(docs, name)).mtimeMs >= started - 1_000)
  .sort();
console.log(`\n${written.length} pictures written to docs/screenshots/:\n${written.map((n) => `  ${n}`).join("\n")}`);
process.exit(run.status ?? 1);
