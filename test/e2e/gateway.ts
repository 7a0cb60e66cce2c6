/// <reference types="node" />
// A real gateway for tests that need one from the outside (browser tests,
// benchmarks, a demo origin alongside): `wrangler dev` on 127.0.0.1 with its
// own throwaway state and secrets, so the developer's .dev.vars and
// .wrangler/state are never read nor touched.
//
//   const gw = await startGateway({ vars: { EVENT_OPENS_AT: new Date(Date.now() + 8000).toISOString() } });
//   await fetch(`${gw.url}/guichet/healthz`);
//   await gw.stop();
//
// With the demo origin behind it, as `npm run dev` runs them (two wrangler dev):
//
//   const stack = await startGatewayWithDemo({ vars: { EVENT_MAX_ACTIVE: 2 } });
//   // stack.gateway.url (the browser's, and the tokens' iss), stack.demo.url
//   await stack.stop();
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
// @ts-expect-error: a plain .mjs module without types
import { generateSecrets } from "../../scripts/secrets.mjs";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");

export interface GatewayOptions {
  /** Worker vars (`--var NAME:VALUE`), e.g. EVENT_OPENS_AT, EVENT_MAX_ACTIVE. */
  vars?: Record<string, string | number>;
  /** Port on 127.0.0.1; a free one when omitted. */
  port?: number;
  /** More arguments for `wrangler dev` (another config, `--var`s, …). */
  wranglerArgs?: string[];
  /** More environment for wrangler. */
  env?: Record<string, string>;
  /** How long to wait for /guichet/healthz (default 90 s). */
  startTimeoutMs?: number;
  /** Print wrangler's output as it comes (default: only shown when starting fails). */
  verbose?: boolean;
  /** Secrets to use instead of generated ones (e.g. an ORIGIN_API_KEY shared with an origin). */
  secrets?: Record<string, string>;
}

export interface Gateway {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  opsToken: string;
  originApiKey: string;
  /** Every generated secret, for tests that sign or verify on their own. */
  secrets: Record<string, string>;
  /** What wrangler printed so far (the last 64 KB). */
  output(): string;
  /** Stops wrangler and its workerd (the whole process group) and removes the state. */
  stop(): Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();
// Last resort if a test run dies or is interrupted without calling stop(): no
// workerd left behind.
process.once("exit", () => {
  for (const child of running) killGroup(child, "SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    for (const child of running) killGroup(child, "SIGKILL");
    process.kill(process.pid, signal);
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

const exited = (child: ChildProcess, ms: number) =>
  new Promise<boolean>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });

/** Environment for a `wrangler dev` that never reaches Cloudflare nor prompts. */
function wranglerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH ?? ""}`,
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_SEND_METRICS: "false",
    CI: "1",
    NO_COLOR: "1",
    ...extra,
  };
}

/** Writes NAME='value' lines for `--env-file` (single quotes: a JWK is JSON). */
export function writeEnvFile(path: string, values: Record<string, string>): void {
  writeFileSync(path, Object.entries(values).map(([k, v]) => `${k}='${v}'\n`).join(""), { mode: 0o600 });
}

export interface WranglerDev {
  url: string;
  port: number;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Runs `wrangler dev` on 127.0.0.1 in its own process group and waits until
 * `healthPath` answers 2xx. `dir` (the caller's temporary directory: state,
 * env file) is removed by stop(), or at once if starting fails.
 */
export async function runWranglerDev(options: {
  name: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  dir: string;
  port: number;
  healthPath: string;
  startTimeoutMs?: number;
  verbose?: boolean;
}): Promise<WranglerDev> {
  const { port } = options;
  const inspectorPort = await freePort();
  const args = [
    "dev",
    "--ip", "127.0.0.1",
    "--port", String(port),
    "--inspector-port", String(inspectorPort),
    "--log-level", options.verbose ? "info" : "warn",
    "--show-interactive-dev-session=false",
    ...options.args,
  ];
  // Its own process group, so stop() reaches workerd too.
  const child = spawn(WRANGLER, args, { cwd: ROOT, env: options.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let out = "";
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    if (options.verbose) process.stderr.write(text.replace(/^(?=.)/gm, `[${options.name}] `));
    out = (out + text).slice(-65_536);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);

  let stopped: Promise<void> | null = null;
  const stop = () =>
    (stopped ??= (async () => {
      killGroup(child, "SIGTERM");
      if (!(await exited(child, 5_000))) {
        killGroup(child, "SIGKILL");
        await exited(child, 5_000);
      }
      running.delete(child);
      rmSync(options.dir, { recursive: true, force: true });
    })());

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${options.name}: wrangler dev exited before answering`);
      if (Date.now() > deadline) throw new Error(`${options.name}: wrangler dev did not answer ${options.healthPath} in time`);
      try {
        const res = await fetch(`${url}${options.healthPath}`, { signal: AbortSignal.timeout(2_000) });
        if (res.ok) break;
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n--- wrangler output (${options.name}) ---\n${out}`);
  }
  return { url, port, output: () => out, stop };
}

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), "guichet-e2e-"));
  const state = join(dir, "state");
  const secrets = { ...(generateSecrets() as Record<string, string>), ...options.secrets };
  // `--env-file` replaces .dev.vars as the source of secrets (wrangler reads
  // no .dev.vars when it is given).
  const envFile = join(dir, "secrets.env");
  writeEnvFile(envFile, secrets);
  const env = wranglerEnv(options.env);

  const migrate = spawnSync(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], {
    cwd: ROOT,
    env,
    encoding: "utf8",
    timeout: 60_000,
  });
  if (migrate.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`wrangler d1 migrations apply failed (${migrate.status ?? migrate.signal}):\n${migrate.stdout}\n${migrate.stderr}`);
  }

  const port = options.port ?? (await freePort());
  // Development, as `npm run dev` runs it (plain-http URLs on 127.0.0.1); a test may pass GUICHET_ENV to check a deployment.
  const vars = Object.entries({ GUICHET_ENV: "development", ...options.vars }).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const dev = await runWranglerDev({
    name: "gateway",
    args: ["--persist-to", state, "--env-file", envFile, ...vars, ...(options.wranglerArgs ?? [])],
    env,
    dir,
    port,
    healthPath: "/guichet/healthz",
    startTimeoutMs: options.startTimeoutMs,
    verbose: options.verbose,
  });
  return {
    ...dev,
    opsToken: secrets.OPS_TOKEN!,
    originApiKey: secrets.ORIGIN_API_KEY!,
    secrets,
  };
}

export interface DemoOriginOptions {
  /** The gateway, server to server (submissions API, JWKS): GATEWAY_URL. */
  gatewayUrl: string;
  /** The admission tokens' expected `iss` (the gateway's public URL); GATEWAY_URL's origin when omitted. */
  issuer?: string;
  /** The gateway's ORIGIN_API_KEY. */
  originApiKey: string;
  /** Port on 127.0.0.1; a free one when omitted. */
  port?: number;
  /** More Worker vars (`--var NAME:VALUE`), e.g. ADMISSION_AUDIENCE. */
  vars?: Record<string, string | number>;
  startTimeoutMs?: number;
  verbose?: boolean;
}

/**
 * The demo origin (demo/origin/, the stand-in for Mon projet Québec) under
 * `wrangler dev`, as `npm run dev` runs it, but with its own temporary state
 * and secrets (ORIGIN_API_KEY given, a fresh SESSION_KEY) in an --env-file:
 * demo/origin/.dev.vars and .wrangler/state are never read nor touched.
 */
export async function startDemoOrigin(options: DemoOriginOptions): Promise<WranglerDev> {
  const dir = mkdtempSync(join(tmpdir(), "guichet-e2e-demo-"));
  const envFile = join(dir, "secrets.env");
  writeEnvFile(envFile, { ORIGIN_API_KEY: options.originApiKey, SESSION_KEY: randomBytes(32).toString("base64url") });
  const vars = { GATEWAY_URL: options.gatewayUrl, GATEWAY_ISSUER: options.issuer ?? new URL(options.gatewayUrl).origin, ...options.vars };
  return runWranglerDev({
    name: "demo-origin",
    args: [
      "--config", join("demo", "origin", "wrangler.toml"),
      "--persist-to", join(dir, "state"),
      "--env-file", envFile,
      ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ],
    env: wranglerEnv(),
    dir,
    port: options.port ?? (await freePort()),
    healthPath: "/robots.txt",
    startTimeoutMs: options.startTimeoutMs,
    verbose: options.verbose,
  });
}

export interface GatewayWithDemo {
  gateway: Gateway;
  demo: WranglerDev;
  /** Stops both (the gateway first), whatever happened. */
  stop(): Promise<void>;
}

/**
 * The whole local stack as `npm run dev` runs it: the demo origin first, then
 * the gateway in front of it (ORIGIN_URL = the demo), both on 127.0.0.1 with
 * GATEWAY_ISSUER = the gateway's URL. A browser must use exactly `gateway.url`
 * (same host as the issuer) for cookies and `iss` to agree.
 */
export async function startGatewayWithDemo(options: GatewayOptions = {}): Promise<GatewayWithDemo> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const originApiKey = options.secrets?.ORIGIN_API_KEY ?? randomBytes(24).toString("base64url");
  const demo = await startDemoOrigin({ gatewayUrl: url, issuer: url, originApiKey, verbose: options.verbose });
  let gateway: Gateway;
  try {
    gateway = await startGateway({
      ...options,
      port,
      secrets: { ...options.secrets, ORIGIN_API_KEY: originApiKey },
      vars: { ORIGIN_URL: demo.url, GATEWAY_ISSUER: url, ...options.vars },
    });
  } catch (e) {
    await demo.stop();
    throw e;
  }
  return {
    gateway,
    demo,
    stop: async () => {
      await gateway.stop().catch(() => {});
      await demo.stop();
    },
  };
}

/** For afterEach: when a test failed, both Workers' last lines, which tell a slow machine from a broken line. */
export function printStackOnFailure(context: { task: { result?: { state?: string } } }, stack: GatewayWithDemo | undefined): void {
  if (context.task.result?.state !== "fail" || !stack) return;
  for (const [name, dev] of [["gateway", stack.gateway], ["demo origin", stack.demo]] as const) {
    console.error(`--- ${name} output (last 4 KB) ---\n${dev.output().slice(-4_096)}`);
  }
}

/** Calls the gateway's ops API with its token; throws (failing the test) on anything but 2xx. */
export async function opsCall(gw: Gateway, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${gw.url}/guichet/ops/api${path}`, {
    method,
    headers: { authorization: `Bearer ${gw.opsToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}
