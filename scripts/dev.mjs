#!/usr/bin/env node
// `npm run dev`: a fresh opening day on this machine, with nothing to configure.
//  1. writes .dev.vars with generated secrets if it is missing (never overwrites it);
//  2. sets the previous run's local state aside (under .wrangler/previous/),
//     unless `--keep-state` is given, so the line starts empty;
//  3. applies the D1 migrations to the local database;
//  4. starts `wrangler dev` with the default event opening one minute from now
//     (unless `--var EVENT_OPENS_AT:…` is given). Other arguments go to wrangler dev.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeDevVarsIfMissing } from "./dev-vars.mjs";

const args = process.argv.slice(2);
const keepState = args.includes("--keep-state");
const passthrough = args.filter((a) => a !== "--keep-state");
const wrangler = join("node_modules", ".bin", "wrangler");
const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: process.env.CI ?? "1" };

if (writeDevVarsIfMissing(".dev.vars")) console.log("guichet: wrote .dev.vars with fresh development secrets");

if (!keepState && existsSync(".wrangler/state")) {
  const previous = ".wrangler/previous";
  mkdirSync(previous, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  renameSync(".wrangler/state", join(previous, stamp));
  // Keep the last three runs' state; older ones go.
  for (const old of readdirSync(previous).sort().slice(0, -3)) rmSync(join(previous, old), { recursive: true, force: true });
  console.log(`guichet: previous local state kept in ${join(previous, stamp)} (use --keep-state to resume it)`);
}

const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local"], { stdio: "inherit", env });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const vars = [];
if (!passthrough.some((a, i) => a.startsWith("EVENT_OPENS_AT:") && passthrough[i - 1] === "--var")) {
  const opensAt = new Date(Math.ceil((Date.now() + 60_000) / 1000) * 1000).toISOString();
  vars.push("--var", `EVENT_OPENS_AT:${opensAt}`);
  console.log(`guichet: the default event opens at ${opensAt} (in one minute)`);
}

const child = spawn(wrangler, ["dev", ...vars, ...passthrough], { stdio: "inherit", env });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
