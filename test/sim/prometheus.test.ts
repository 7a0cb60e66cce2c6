// Prometheus, checked by Prometheus' own tool (Debian's `prometheus` package
// gives /usr/bin/promtool): the exposition of a built gateway that ran a
// small line (enter, call, claim, submit, the origin failing, close) passes
// `promtool check metrics` while the line runs and after it closed; the
// shipped alert rules pass `promtool check rules` and `promtool test rules`
// on their recorded series; and every rule's runbook link names a heading of
// docs/operations.md.
import { spawnSync } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import GithubSlugger from "github-slugger";
import { fromMarkdown } from "mdast-util-from-markdown";
import { toString } from "mdast-util-to-string";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
// @ts-expect-error: plain ES module without types
import { startGateway } from "../../bench/gateway.mjs";

const ROOT = new URL("../../", import.meta.url).pathname;
const PROMTOOL = process.env.PROMTOOL_PATH ?? "/usr/bin/promtool";
const RULES = join(ROOT, "deploy/prometheus/alerts.yml");
const RULE_TESTS = join(ROOT, "deploy/prometheus/alerts.test.yml");
const DESKTOP_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fails the file at once, with the command that fixes it, where promtool is missing (as npm test does for Chromium). */
function requirePromtool(): void {
  try {
    accessSync(PROMTOOL, constants.X_OK);
  } catch {
    throw new Error(`promtool is missing (${PROMTOOL}). Install Debian's: sudo apt-get install -y prometheus (or set PROMTOOL_PATH), then run npm test again.`);
  }
}

function promtool(args: string[], input?: string) {
  const run = spawnSync(PROMTOOL, args, { input, encoding: "utf8", cwd: ROOT });
  return { status: run.status, output: `${run.stdout ?? ""}${run.stderr ?? ""}` };
}

/** A port on 127.0.0.1 that nothing listens on: the origin, unreachable. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

beforeAll(() => requirePromtool());

describe("the shipped alert rules", () => {
  it("pass promtool check rules", () => {
    const r = promtool(["check", "rules", RULES]);
    expect(r.output).toContain("SUCCESS: 9 rules found");
    expect(r.status, r.output).toBe(0);
  });

  it("pass promtool test rules on recorded series", () => {
    const r = promtool(["test", "rules", RULE_TESTS]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain("SUCCESS");
  });

  it("each link to a runbook entry of docs/operations.md, and each is tested", () => {
    const rules = (parseYaml(readFileSync(RULES, "utf8")) as { groups: { rules: { alert: string; annotations: Record<string, string> }[] }[] }).groups.flatMap((g) => g.rules);
    const tests = readFileSync(RULE_TESTS, "utf8");
    const slugger = new GithubSlugger();
    const tree = fromMarkdown(readFileSync(join(ROOT, "docs/operations.md"), "utf8"));
    const anchors = new Set(tree.children.filter((n) => n.type === "heading").map((h) => slugger.slug(toString(h))));
    expect(rules.length).toBe(9);
    for (const rule of rules) {
      expect(rule.annotations.runbook_url, rule.alert).toMatch(/^docs\/operations\.md#[a-z0-9-]+$/);
      const anchor = rule.annotations.runbook_url!.split("#")[1]!;
      expect(anchors.has(anchor), `docs/operations.md has a heading for #${anchor}`).toBe(true);
      expect(tests, `alerts.test.yml tests ${rule.alert}`).toContain(`alertname: ${rule.alert}\n        exp_alerts:\n          - exp_labels`);
    }
  });
});

/** The announced end of the intake, in Montreal's summer time: the metrics give it as Unix time. */
const INTAKE_CLOSES_AT = "2030-06-14T16:30:00-04:00";

describe("the exposition of a gateway that ran a small line", () => {
  let g: any;
  let base: string;
  const metrics = async () => {
    const res = await fetch(`${base}/guichet/ops/metrics`, { headers: { authorization: `Bearer ${g.secrets.METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    return res.text();
  };
  const ops = (method: string, path: string, body?: unknown) =>
    fetch(`${base}/guichet/ops/api${path}`, {
      method,
      headers: { authorization: `Bearer ${g.secrets.OPS_TOKEN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    g = await startGateway({ vars: { ORIGIN_URL: `http://127.0.0.1:${await closedPort()}`, INTAKE_CLOSES_AT: INTAKE_CLOSES_AT } });
    base = g.url;
  }, 120_000);
  afterAll(async () => {
    await g?.dispose();
  });

  it("passes promtool check metrics once people were called, and after the intake closed", async () => {
    // The default event (the one the proxy fronts) opens now, for 3 places.
    expect((await ops("PUT", "/event", { opensAt: new Date(Date.now() - 1000).toISOString(), quota: 3, maxActive: 2, admitPerMinute: 600 })).status).toBe(200);
    const candidates: { cookie: string; token?: string }[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${base}/guichet/api/enter`, { method: "POST", headers: { "user-agent": DESKTOP_UA } });
      expect(res.status).toBe(201);
      candidates.push({ cookie: res.headers.getSetCookie().map((c) => c.split(";")[0]!).join("; ") });
    }
    // The room's alarm calls the first two (maxActive); they claim, the origin submits for both, one twice (a duplicate).
    for (const c of candidates.slice(0, 2)) {
      for (let i = 0; i < 50; i++) {
        const s = (await (await fetch(`${base}/guichet/api/status`, { headers: { cookie: c.cookie } })).json()) as any;
        if (s.state === "your_turn") break;
        await sleep(200);
      }
      const claim = await fetch(`${base}/guichet/api/claim`, { method: "POST", headers: { cookie: c.cookie, "user-agent": DESKTOP_UA, accept: "application/json" } });
      expect(claim.status).toBe(200);
      c.token = ((await claim.json()) as any).admission.token;
    }
    const submit = (token: string, n: number) =>
      fetch(`${base}/guichet/api/submissions`, {
        method: "POST",
        headers: { authorization: `Bearer ${g.secrets.ORIGIN_API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({
          admissionToken: token,
          accountId: `mpq-prom-${n}`,
          applicationId: `app-prom-${n}`,
          applicant: { familyName: `Prom${n}`, givenNames: "Test", birthDate: "1990-01-01", countryOfBirth: "FR", passportNumber: `PR${n}0000`, email: `p${n}@example.invalid` },
          signedByRepresentative: false,
          representativeId: null,
          device: { userAgent: DESKTOP_UA, mobileHint: "?0" },
        }),
      });
    expect((await submit(candidates[0]!.token!, 1)).status).toBe(201);
    expect((await submit(candidates[1]!.token!, 1)).status).toBe(409);
    // The origin does not answer: the proxy counts it.
    expect((await fetch(`${base}/aide`, { headers: { accept: "application/json" } })).status).toBe(502);
    await sleep(1_500);

    const running = await metrics();
    // What broke promtool before: a quantile label on a gauge, once anyone was called.
    expect(running).toMatch(/^guichet_wait_to_call_p50_seconds\{event="csq-2016-06"\} \d+$/m);
    expect(running).toMatch(/^guichet_origin_failures_total\{event="csq-2016-06",kind="unreachable"\} 1$/m);
    expect(running).toMatch(/^guichet_waiting\{event="csq-2016-06"\} [1-9]\d*$/m);
    expect(running).toContain(`\nguichet_intake_closes_at_timestamp_seconds{event="csq-2016-06"} ${Date.parse(INTAKE_CLOSES_AT) / 1000}\n`);
    expect(running).toMatch(/^guichet_opens_at_timestamp_seconds\{event="csq-2016-06"\} \d+(\.\d+)?$/m);
    expect(running).toMatch(/^guichet_outbox_failing\{event="csq-2016-06",object="quota_counter"\} 0$/m);
    let r = promtool(["check", "metrics"], running);
    expect(r.output, running).toBe("");
    expect(r.status).toBe(0);

    expect((await ops("POST", "/event/close")).status).toBe(200);
    const closed = await metrics();
    expect(closed).toMatch(/^guichet_phase\{event="csq-2016-06",phase="closed"\} 1$/m);
    expect(closed).toMatch(/^guichet_waiting\{event="csq-2016-06"\} 0$/m);
    expect(closed).toMatch(/^guichet_oldest_waiting_seconds\{event="csq-2016-06"\} 0$/m);
    expect(closed).toMatch(/^guichet_build_info\{event="csq-2016-06",version="[^"]+",version_tag="[^"]*",config_version="\d+"\} 1$/m);
    r = promtool(["check", "metrics"], closed);
    expect(r.output, closed).toBe("");
    expect(r.status).toBe(0);
  }, 120_000);
});
