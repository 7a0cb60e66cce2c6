/// <reference types="node" />
// A real gateway for tests that need one from the outside (browser tests,
// benchmarks, a demo origin alongside): `wrangler dev` on 127.0.0.1 with its
// own throwaway state and secrets, so the developer's .dev.vars and
// .wrangler/state are never read nor touched.
//
//   const gw = await startGateway({ vars: { EVENT_OPENS_AT: new Date(Date.now() + 8000).toISOString() } });
//   await fetch(`${gw.url}/guichet/healthz`);
//   await gw.stop();
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
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

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), "guichet-e2e-"));
  const state = join(dir, "state");
  const secrets = generateSecrets() as Record<string, string>;
  // `--env-file` replaces .dev.vars as the source of secrets (wrangler reads
  // no .dev.vars when it is given). Single quotes: the JWK is JSON.
  const envFile = join(dir, "secrets.env");
  writeFileSync(envFile, Object.entries(secrets).map(([k, v]) => `${k}='${v}'\n`).join(""), { mode: 0o600 });

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH ?? ""}`,
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_SEND_METRICS: "false",
    CI: "1",
    NO_COLOR: "1",
    ...options.env,
  };
  const cleanup = () => rmSync(dir, { recursive: true, force: true });

  const migrate = spawnSync(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], {
    cwd: ROOT,
    env,
    encoding: "utf8",
    timeout: 60_000,
  });
  if (migrate.status !== 0) {
    cleanup();
    throw new Error(`wrangler d1 migrations apply failed (${migrate.status ?? migrate.signal}):\n${migrate.stdout}\n${migrate.stderr}`);
  }

  const port = options.port ?? (await freePort());
  const inspectorPort = await freePort();
  const vars = Object.entries(options.vars ?? {}).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const args = [
    "dev",
    "--ip", "127.0.0.1",
    "--port", String(port),
    "--inspector-port", String(inspectorPort),
    "--persist-to", state,
    "--env-file", envFile,
    "--log-level", options.verbose ? "info" : "warn",
    "--show-interactive-dev-session=false",
    ...vars,
    ...(options.wranglerArgs ?? []),
  ];
  // Its own process group, so stop() reaches workerd too.
  const child = spawn(WRANGLER, args, { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let out = "";
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    if (options.verbose) process.stderr.write(text);
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
      cleanup();
    })());

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error("wrangler dev exited before answering");
      if (Date.now() > deadline) throw new Error("wrangler dev did not answer /guichet/healthz in time");
      try {
        const res = await fetch(`${url}/guichet/healthz`, { signal: AbortSignal.timeout(2_000) });
        if (res.ok) break;
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n--- wrangler output ---\n${out}`);
  }

  return {
    url,
    port,
    opsToken: secrets.OPS_TOKEN!,
    originApiKey: secrets.ORIGIN_API_KEY!,
    secrets,
    output: () => out,
    stop,
  };
}
