#!/usr/bin/env node
// `npm run dev`: a fresh opening day on this machine, with nothing to configure.
//  1. writes .dev.vars with generated secrets if it is missing (never rewrites it;
//     appends a secret it lacks), among them a previous signing key for the
//     conformance kit and `none` for the other rotation settings;
//  2. sets the previous run's local state aside (under .wrangler/previous/),
//     unless `--keep-state` is given, so the line starts empty;
//  3. applies the D1 migrations to the local database;
//  4. starts the demo origin (demo/origin/, the stand-in for Mon projet Québec)
//     with `wrangler dev` on 127.0.0.1:8788 (`--origin-port N` to change it), its
//     secrets in demo/origin/.dev.vars (ORIGIN_API_KEY copied from .dev.vars,
//     SESSION_KEY generated once) and its state in .wrangler/state/demo-origin;
//     not started when `--var ORIGIN_URL:…` names another origin;
//  5. starts the gateway with `wrangler dev`, the default event opening one minute
//     from now (unless `--var EVENT_OPENS_AT:…` is given), ORIGIN_URL = the demo
//     origin, and GATEWAY_ISSUER = http://localhost:<port> for both Workers (unless
//     given), so a token claimed through localhost or 127.0.0.1 names the same issuer,
//     and GUICHET_ENV = development (unless given): without it the gateway checks
//     its configuration as a deployed Worker does and refuses plain-http URLs,
//     and ENABLE_TEST_SEAMS = true (unless given), which serves the origins'
//     conformance kit at /guichet/dev/tokens.
// Other arguments go to the gateway's wrangler dev. Both Workers stop together:
// Ctrl-C, SIGTERM, or either one exiting.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { writeDevVarsIfMissing } from "./dev-vars.mjs";
import { SECRET_NAMES } from "./secrets.mjs";

const args = process.argv.slice(2);
const keepState = args.includes("--keep-state");
const originPort = Number(optionValue(args, "--origin-port") ?? 8788);
const passthrough = withoutOption(args.filter((a) => a !== "--keep-state"), "--origin-port");
const wrangler = join("node_modules", ".bin", "wrangler");
const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: process.env.CI ?? "1" };

const DEMO_CONFIG = join("demo", "origin", "wrangler.toml");
const DEMO_DEV_VARS = join("demo", "origin", ".dev.vars");
const DEMO_STATE = join(".wrangler", "state", "demo-origin");

/** The value of `--name N` or `--name=N`, or undefined. */
function optionValue(list, name) {
  for (let i = 0; i < list.length; i++) {
    if (list[i] === name) return list[i + 1];
    if (list[i].startsWith(`${name}=`)) return list[i].slice(name.length + 1);
  }
  return undefined;
}

function withoutOption(list, name) {
  const out = [];
  for (let i = 0; i < list.length; i++) {
    if (list[i] === name) i += 1;
    else if (!list[i].startsWith(`${name}=`)) out.push(list[i]);
  }
  return out;
}

/** The value the user gave to a Worker var (`--var NAME:VALUE`, several may follow one --var), or undefined. */
function userVar(name) {
  for (const a of passthrough) {
    const value = a.startsWith("--var=") ? a.slice("--var=".length) : a;
    if (value.startsWith(`${name}:`)) return value.slice(name.length + 1);
  }
  return undefined;
}

/** NAME=value lines of a dotenv file (quotes removed). */
function readDotenv(path) {
  const vars = {};
  if (!existsSync(path)) return vars;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) vars[m[1]] = m[2].replace(/^'(.*)'$/, "$1").replace(/^"(.*)"$/, "$1");
  }
  return vars;
}

/** The demo's secrets: the gateway's ORIGIN_API_KEY, and its own session key (kept across runs). */
function writeDemoDevVars() {
  const apiKey = readDotenv(".dev.vars").ORIGIN_API_KEY;
  if (!apiKey) throw new Error(".dev.vars has no ORIGIN_API_KEY: remove it to have it generated again");
  const sessionKey = readDotenv(DEMO_DEV_VARS).SESSION_KEY || randomBytes(32).toString("base64url");
  const text = [
    "# Demo origin secrets written by `npm run dev`. Never commit this file.",
    "# ORIGIN_API_KEY is copied from the gateway's .dev.vars on every run.",
    `ORIGIN_API_KEY='${apiKey}'`,
    `SESSION_KEY='${sessionKey}'`,
    "",
  ].join("\n");
  if (!existsSync(DEMO_DEV_VARS) || readFileSync(DEMO_DEV_VARS, "utf8") !== text) writeFileSync(DEMO_DEV_VARS, text, { mode: 0o600 });
}

const devVars = writeDevVarsIfMissing(".dev.vars");
if (devVars === "written") console.log("guichet: wrote .dev.vars with fresh development secrets");
else if (devVars.length > 0) console.log(`guichet: added ${devVars.join(", ")} to .dev.vars (generated; the lines already there are unchanged)`);
// An empty value is allowed only for the rotation settings (`none` or empty: not in use).
const ROTATION = ["ADMISSION_NEXT_JWK", "ADMISSION_PREVIOUS_JWKS", "RECEIPT_HMAC_KEYS"];
const emptySecrets = SECRET_NAMES.filter((name) => !ROTATION.includes(name) && !readDotenv(".dev.vars")[name]);
if (emptySecrets.length > 0) {
  console.log(`guichet: .dev.vars has an empty ${emptySecrets.join(", ")}: set it, or remove .dev.vars to have every secret generated again`);
}
// The conformance kit's previous-key token needs a previous key in force: say when the generated one has retired.
try {
  const previous = JSON.parse(readDotenv(".dev.vars").ADMISSION_PREVIOUS_JWKS || "null");
  if (previous?.keys?.length > 0 && previous.keys.every((k) => Date.parse(k.expiresAt) <= Date.now())) {
    console.log("guichet: every key of ADMISSION_PREVIOUS_JWKS in .dev.vars has retired: remove that line to have a fresh one generated (GET /guichet/dev/tokens signs its previous-key token with it)");
  }
} catch {
  // A value that is not JSON (`none`): the gateway's own check says what it needs.
}

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

const gatewayPort = Number(optionValue(passthrough, "--port") ?? 8787);
const issuer = userVar("GATEWAY_ISSUER") || `http://localhost:${gatewayPort}`;
const audience = userVar("ADMISSION_AUDIENCE");
const startDemo = userVar("ORIGIN_URL") === undefined;

const vars = [];
if (userVar("EVENT_OPENS_AT") === undefined) {
  const opensAt = new Date(Math.ceil((Date.now() + 60_000) / 1000) * 1000).toISOString();
  vars.push("--var", `EVENT_OPENS_AT:${opensAt}`);
  console.log(`guichet: the default event opens at ${opensAt} (in one minute)`);
}
if (userVar("GATEWAY_ISSUER") === undefined) vars.push("--var", `GATEWAY_ISSUER:${issuer}`);
if (userVar("GUICHET_ENV") === undefined) vars.push("--var", "GUICHET_ENV:development");
// Test seams: the conformance kit for origin teams (GET /guichet/dev/tokens); a deployed gateway refuses them.
if (userVar("ENABLE_TEST_SEAMS") === undefined) vars.push("--var", "ENABLE_TEST_SEAMS:true");
if (startDemo) vars.push("--var", `ORIGIN_URL:http://127.0.0.1:${originPort}`);
else console.log(`guichet: ORIGIN_URL is given (${userVar("ORIGIN_URL")}): the demo origin is not started`);

const children = [];
let stopping = false;
let exitCode = 0;

/** Stops every child still running; a child that ignores SIGTERM is killed after 10 s. */
function stopAll(signal = "SIGTERM") {
  stopping = true;
  for (const { child } of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
  setTimeout(() => {
    for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }, 10_000).unref();
}

/** Resolves once 127.0.0.1:port accepts a connection, or after `ms` (the gateway starts anyway). */
async function listening(port, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until && !stopping) {
    const open = await new Promise((resolve) => {
      const socket = connect({ host: "127.0.0.1", port }, () => {
        socket.end();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

function watch(name, child) {
  children.push({ name, child });
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.log(`guichet: ${name} stopped (${signal ?? `exit ${code}`}); stopping the rest`);
      exitCode = code ?? 1;
      stopAll();
    }
    if (children.every(({ child: c }) => c.exitCode !== null || c.signalCode !== null)) process.exit(exitCode);
  });
}

if (startDemo) {
  writeDemoDevVars();
  const demoVars = ["--var", `GATEWAY_URL:http://127.0.0.1:${gatewayPort}`, "--var", `GATEWAY_ISSUER:${issuer}`];
  if (audience) demoVars.push("--var", `ADMISSION_AUDIENCE:${audience}`);
  const demo = spawn(
    wrangler,
    ["dev", "--config", DEMO_CONFIG, "--ip", "127.0.0.1", "--port", String(originPort), "--persist-to", DEMO_STATE, ...demoVars],
    { stdio: ["ignore", "pipe", "pipe"], env },
  );
  // The demo's lines are prefixed so the two Workers' logs can be told apart.
  for (const stream of [demo.stdout, demo.stderr]) {
    createInterface({ input: stream }).on("line", (line) => console.log(`[demo-origin] ${line}`));
  }
  watch("the demo origin", demo);
  console.log(`guichet: demo origin on http://127.0.0.1:${originPort} (behind the gateway: http://localhost:${gatewayPort}/)`);
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    exitCode = 0;
    stopAll(signal);
  });
}

// The gateway starts once the demo listens: two `wrangler dev` starting at the
// same instant can race for the same local port.
if (startDemo) await listening(originPort, 60_000);
if (!stopping) watch("the gateway", spawn(wrangler, ["dev", ...vars, ...passthrough], { stdio: "inherit", env }));
