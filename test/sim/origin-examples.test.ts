// The origin-integration examples (docs/examples/verify.mjs with jose, and
// docs/examples/verify.py with Debian's PyJWT), run as an origin developer
// would run them: against a real gateway's JWKS, with a real admission taken
// through the public API (enter, wait for the turn, claim). Each must accept
// that token and refuse a forged, an expired and a foreign-audience one, and
// give every token of the conformance kit (GET /guichet/dev/tokens) the
// verdict the docs' table gives it. The doc must show each file verbatim, so
// what the developers copy is what ran.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SignJWT, decodeJwt, decodeProtectedHeader, importJWK, type JWK } from "jose";
import { fromMarkdown } from "mdast-util-from-markdown";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ES module without types
import { startGateway } from "../../bench/gateway.mjs";
// @ts-expect-error: plain ES module without types
import { newSigningJwk } from "../../scripts/secrets.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ISSUER = "https://www.monprojetquebec.example";
const AUDIENCE = "mpq-origin";
const EXAMPLES = [
  { name: "Node (jose)", file: "docs/examples/verify.mjs", command: process.execPath },
  // Debian's Python, which has python3-jwt and python3-cryptography (PATH's python3 may be another build).
  { name: "Python (PyJWT)", file: "docs/examples/verify.py", command: "/usr/bin/python3" },
];

let g: any;
let real: string;
const tokens: Record<string, string> = {};
let kit: { tokens: Record<string, { token: string | null; kid: string | null; expect: string; refusal?: string }> };

// A previous key whose private part development keeps: the kit signs its previous-key token with it.
const previousKey = { ...newSigningJwk("k-sim-previous"), expiresAt: new Date(Date.now() + 86_400_000).toISOString() };

/** The kit's table in docs/origin-integration.md: each token's name and the verdict the docs give it. */
function documentedVerdicts(): Map<string, { ok: boolean; refusal?: string }> {
  const text = readFileSync(join(ROOT, "docs/origin-integration.md"), "utf8");
  // Up to the next heading (a shell comment's "# " in a code block is no heading).
  const section = text.split("### The conformance kit")[1]?.split(/\n#{2,4} /)[0] ?? "";
  const verdicts = new Map<string, { ok: boolean; refusal?: string }>();
  for (const m of section.matchAll(/^\| `([a-z_]+)` \|[^|]*\| (accept|refuse: `([a-z_]+)`) \|$/gm)) {
    verdicts.set(m[1]!, m[2] === "accept" ? { ok: true } : { ok: false, refusal: m[3]! });
  }
  return verdicts;
}

/** The cookie a Set-Cookie header sets, as a Cookie header value. */
function cookieOf(res: Response, name: string): string {
  const line = res.headers.getSetCookie().find((l) => l.startsWith(`${name}=`));
  if (!line) throw new Error(`no ${name} cookie`);
  return line.split(";")[0]!;
}

/** An admission as a candidate gets one: enter, poll until called, claim. */
async function admissionThroughTheLine(url: string): Promise<string> {
  const entered = await fetch(`${url}/guichet/api/enter`, { method: "POST" });
  expect(entered.status).toBe(201);
  const ticket = cookieOf(entered, "guichet_ticket");
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = (await (await fetch(`${url}/guichet/api/status`, { headers: { cookie: ticket } })).json()) as { state: string };
    if (status.state === "your_turn") break;
    if (Date.now() > deadline) throw new Error(`never called: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const claimed = await fetch(`${url}/guichet/api/claim`, { method: "POST", headers: { cookie: ticket } });
  expect(claimed.status).toBe(200);
  return ((await claimed.json()) as { admission: { token: string } }).admission.token;
}

/** The real token's claims under another lifetime or audience, signed with the gateway's own key and kid. */
async function resigned(changes: Record<string, unknown>): Promise<string> {
  const jwk = JSON.parse(g.secrets.ADMISSION_SIGNING_JWK) as JWK;
  const { kid } = decodeProtectedHeader(real);
  return new SignJWT({ ...decodeJwt(real), ...changes }).setProtectedHeader({ alg: "ES256", kid, typ: "JWT" }).sign(await importJWK(jwk, "ES256"));
}

function run(example: (typeof EXAMPLES)[number], token: string, scope?: string) {
  const env: Record<string, string | undefined> = { ...process.env, GATEWAY_URL: g.url, GATEWAY_ISSUER: ISSUER, ADMISSION_AUDIENCE: AUDIENCE };
  delete env.PYTHONPATH;
  delete env.PYTHONHOME;
  const out = spawnSync(example.command, [join(ROOT, example.file), token, ...(scope ? [scope] : [])], { env: env as NodeJS.ProcessEnv, encoding: "utf8", timeout: 30_000 });
  if (out.status === null || out.status > 2) throw new Error(`${example.file} exited ${out.status}: ${out.stderr}`);
  return { status: out.status, verdict: JSON.parse(out.stdout.trim()) as { ok: boolean; kind?: string; refusal?: string; claims?: Record<string, unknown> } };
}

beforeAll(async () => {
  g = await startGateway({
    vars: {
      EVENT_OPENS_AT: new Date(Date.now() - 1_000).toISOString(),
      GATEWAY_ISSUER: ISSUER,
      ENABLE_TEST_SEAMS: "true",
      ADMISSION_PREVIOUS_JWKS: JSON.stringify({ keys: [previousKey] }),
    },
  });
  real = await admissionThroughTheLine(g.url);
  const now = Math.floor(Date.now() / 1000);
  const [head, payload, signature] = real.split(".") as [string, string, string];
  // One base64url character in the middle of the signature, changed: the same claims, a signature that does not match.
  const at = Math.floor(signature.length / 2);
  tokens.forged = `${head}.${payload}.${signature.slice(0, at)}${signature[at] === "A" ? "B" : "A"}${signature.slice(at + 1)}`;
  tokens.expired = await resigned({ iat: now - 700, nbf: now - 700, exp: now - 100 });
  tokens.otherAudience = await resigned({ aud: "another-origin" });
  kit = (await (await fetch(`${g.url}/guichet/dev/tokens`)).json()) as typeof kit;
}, 120_000);

afterAll(async () => {
  await g?.dispose();
});

describe.each(EXAMPLES)("the origin's example in $name", (example) => {
  it("accepts a real admission from the gateway, with the claims the origin relies on", () => {
    const { status, verdict } = run(example, real);
    expect(verdict).toMatchObject({ ok: true, kind: "admission" });
    expect(status).toBe(0);
    const claims = decodeJwt(real);
    expect(verdict.claims).toMatchObject({ iss: ISSUER, aud: AUDIENCE, evt: "csq-2016-06", num: claims.num, jti: claims.jti, dev: "desktop" });
  });

  it("refuses the same token with its signature altered", () => {
    expect(run(example, tokens.forged!)).toEqual({ status: 1, verdict: { ok: false, refusal: "invalid" } });
  });

  it("refuses a token signed by the gateway's key that has expired", () => {
    expect(run(example, tokens.expired!)).toEqual({ status: 1, verdict: { ok: false, refusal: "expired" } });
  });

  it("refuses a token signed by the gateway's key for another audience", () => {
    expect(run(example, tokens.otherAudience!)).toEqual({ status: 1, verdict: { ok: false, refusal: "invalid" } });
  });

  it("gives each of the conformance kit's 8 tokens the verdict the docs' table gives it", () => {
    const documented = documentedVerdicts();
    expect([...documented.keys()]).toEqual(Object.keys(kit.tokens));
    expect(documented.size).toBe(8);
    for (const [name, expected] of documented) {
      const t = kit.tokens[name]!;
      // The kit says the same as the docs.
      expect([name, t.expect, t.refusal]).toEqual([name, expected.ok ? "accept" : "refuse", expected.refusal]);
      expect(typeof t.token, name).toBe("string");
      const { status, verdict } = run(example, t.token!);
      expect([name, verdict.ok, verdict.refusal]).toEqual([name, expected.ok, expected.refusal]);
      expect([name, status]).toEqual([name, expected.ok ? 0 : 1]);
    }
    expect(kit.tokens.previous_key!.kid).toBe("k-sim-previous");
  });

  it("accepts the kit's session token where a session is asked for, and the admission is then refused", () => {
    expect(run(example, kit.tokens.session!.token!, "session").verdict).toMatchObject({ ok: true, kind: "session" });
    expect(run(example, kit.tokens.valid!.token!, "session").verdict).toEqual({ ok: false, refusal: "invalid" });
  });

  it("is shown verbatim in docs/origin-integration.md", () => {
    const doc = fromMarkdown(readFileSync(join(ROOT, "docs/origin-integration.md"), "utf8"));
    const blocks = doc.children.flatMap((n) => (n.type === "code" ? [n.value] : []));
    expect(blocks).toContain(readFileSync(join(ROOT, example.file), "utf8").trimEnd());
  });
});
