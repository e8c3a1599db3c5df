// Each family of secret rules with true and false examples, through the check and the redaction.
// Fake tokens are assembled at run time so that this file holds nothing that looks like a secret.
import { describe, expect, it } from "vitest";
import { secretsCheck } from "../../src/core/checks/secrets.js";
import { resolvePolicy } from "../../src/core/policy.js";
import { redactSecrets, scanLine } from "../../src/core/redact.js";
import {
  PRESET_RULE_NAMES,
  TOKEN_RULES,
  UPSTREAM_NOT_RUN,
  UPSTREAM_RUN,
} from "../../src/core/secret-rules.js";
import type { ChangedFile } from "../../src/core/types.js";

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const ALNUM = UPPER + LOWER + DIGITS;

/** A deterministic high-entropy string of `n` characters from `alphabet`. */
function fake(n: number, alphabet = ALNUM, seed = n * 7919): string {
  let x = seed;
  let out = "";
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += alphabet.charAt(Math.floor((x / 2147483648) * alphabet.length));
  }
  return out;
}

const OPTIONS = { minLength: 12, minEntropy: 3 };

interface Family {
  family: string;
  kind: RegExp;
  masked: string;
  found: string[];
  quiet: string[];
}

const FAMILIES: Family[] = [
  {
    family: "GitHub",
    kind: /GitHub personal access token/,
    masked: "ghp_****",
    found: [`GITHUB_TOKEN=${"gh" + "p_" + fake(36)}`],
    quiet: ["token: ghp_short", `ghp_${"x".repeat(36)}`, "token: ${{ secrets.GITHUB_TOKEN }}"],
  },
  {
    family: "AWS access key ID",
    kind: /AWS access key ID/,
    masked: "AKIA****",
    found: [`aws_access_key_id = ${"AK" + "IA" + fake(16, UPPER + DIGITS)}`],
    // AWS's own documentation key is on the rule's allow-list.
    quiet: [`aws_access_key_id = ${"AKIA" + "IOSFODNN7" + "EXAMPLE"}`, "AKIA-is-a-prefix"],
  },
  {
    family: "AWS secret access key",
    kind: /AWS secret access key/,
    masked: "****",
    found: [`aws_secret_access_key = ${fake(40, ALNUM + "/+")}`],
    quiet: ["aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}"],
  },
  {
    family: "Slack",
    kind: /Slack token/,
    masked: "xoxb-****",
    found: [
      `SLACK_BOT=${"xo" + "xb-" + fake(11, DIGITS) + "-" + fake(12, DIGITS) + "-" + fake(24)}`,
    ],
    quiet: ["slack: xoxb-your-token-here", "see the xox tokens doc"],
  },
  {
    family: "Slack webhook",
    kind: /Slack webhook URL/,
    masked: "https://hooks.slack.com/services/****",
    found: [`url: https://hooks.slack.com/services/T${fake(8)}/B${fake(9)}/${fake(24)}`],
    quiet: ["url: https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"],
  },
  {
    family: "npm",
    kind: /npm access token/,
    masked: "npm_****",
    found: [`//registry.npmjs.org/:_authToken=${"np" + "m_" + fake(36)}`],
    quiet: [`NPM=npm_${"x".repeat(36)}`, "run npm_config_cache=/tmp npm ci"],
  },
  {
    family: "Stripe",
    kind: /Stripe secret key/,
    masked: "sk_live_****",
    found: [
      `STRIPE_KEY=${"sk" + "_live_" + fake(24)}`,
      `stripe.key = "${"rk" + "_live_" + fake(30)}"`,
    ],
    quiet: [
      `STRIPE_KEY=sk_live_${"x".repeat(24)}`,
      "STRIPE_KEY=sk_live_EXAMPLEKEY0123456789abcdef",
    ],
  },
  {
    family: "OpenAI",
    kind: /OpenAI API key/,
    masked: "sk-proj-****",
    found: [`OPENAI_API_KEY=${"sk-proj-" + fake(74) + "T3Blbk" + "FJ" + fake(74)}`],
    quiet: ["OPENAI_API_KEY=sk-proj-...", "OPENAI_API_KEY=${OPENAI_API_KEY}"],
  },
  {
    family: "Anthropic",
    kind: /Anthropic API key/,
    masked: "sk-ant-api03-****",
    found: [`key: ${"sk-ant-" + "api03-" + fake(93) + "AA"}`],
    quiet: ["a key looks like sk-ant-api03-xxxx"],
  },
  {
    family: "Google API key",
    kind: /Google API key/,
    masked: "AIza****",
    found: [`maps_key: "${"AI" + "za" + fake(35, ALNUM + "_-")}"`],
    quiet: [`maps_key: "AIza${"x".repeat(35)}"`, "AIzaSy-too-short"],
  },
  {
    family: "JSON Web Token",
    kind: /JSON Web Token/,
    masked: "eyJ****",
    found: [
      `session = ${"ey" + "J" + fake(24)}.${"ey" + "J" + fake(40)}.${fake(43, ALNUM + "_-")}`,
    ],
    quiet: ['the header starts with eyJ, base64 for {"'],
  },
  {
    family: "PostgreSQL connection string",
    kind: /PostgreSQL connection string/,
    masked: "postgres://app:****@",
    found: [`DATABASE_URL=postgres://app:${fake(18)}@db:5432/app`],
    quiet: [
      "DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/app",
      "DATABASE_URL=postgres://app:<password>@db:5432/app",
      "DATABASE_URL=postgres://app:password@localhost:5432/app",
      "DATABASE_URL=postgres://db:5432/app",
    ],
  },
  {
    family: "MySQL and MongoDB connection strings",
    kind: /(MySQL|MongoDB) connection string/,
    masked: "mysql://svc:****@",
    found: [
      `url: mysql://svc:${fake(16)}@mysql.internal/orders`,
      `MONGO=mongodb+srv://svc:${fake(20)}@cluster0.mongodb.net/db`,
    ],
    quiet: ["url: mysql://svc:{{ .Values.password }}@mysql/orders"],
  },
  {
    family: "basic authentication in a URL",
    kind: /password in a URL/,
    masked: "https://deploy:****@",
    found: [`registry: https://deploy:${fake(20)}@registry.acme.io/v2`],
    quiet: ["registry: https://USER:PASSWORD@registry.acme.io/v2", "see https://acme.io/docs"],
  },
  {
    family: "SendGrid, GitLab, Vault and Docker",
    kind: /SendGrid|GitLab|Vault|Docker/,
    masked: "SG.****",
    found: [
      `SENDGRID=${"S" + "G." + fake(22)}.${fake(43)}`,
      `GITLAB_TOKEN=${"glp" + "at-" + fake(20)}`,
      `VAULT_TOKEN=${"hv" + "s." + fake(95)}`,
      `DOCKER_TOKEN=${"dckr" + "_pat_" + fake(27)}`,
    ],
    quiet: ["SENDGRID=SG.example.key", "VAULT_TOKEN=hvs.xxxx"],
  },
];

describe.each(FAMILIES)("$family", ({ kind, masked, found, quiet }) => {
  it.each(found)("finds %s", (line) => {
    const findings = scanLine(line, OPTIONS);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.rule).toBe("token");
    expect(findings[0]?.kind).toMatch(kind);
    const redacted = redactSecrets(line);
    const secret = line.slice(findings[0]?.start, findings[0]?.end);
    expect(redacted).not.toContain(secret.slice(-12));
    expect(redacted).toContain("****");
  });

  it("masks the first example as " + masked, () => {
    expect(scanLine(found[0] as string, OPTIONS)[0]?.masked).toBe(masked);
  });

  it.each(quiet)("stays quiet on %s", (line) => {
    expect(scanLine(line, OPTIONS).filter((f) => f.rule === "token")).toEqual([]);
    expect(redactSecrets(line)).toBe(line);
  });
});

describe("the rule set", () => {
  it("runs or explains every rule of the preset, so a new upstream rule is not missed", () => {
    const listed = [...UPSTREAM_RUN, ...Object.keys(UPSTREAM_NOT_RUN)].sort();
    expect(listed).toEqual([...PRESET_RULE_NAMES].sort());
  });

  it("gives every rule keywords, and every rule answers synchronously", () => {
    for (const rule of TOKEN_RULES) {
      expect(rule.keywords.length, rule.id).toBeGreaterThan(0);
      expect(
        rule.keywords.every((k) => k === k.toLowerCase()),
        rule.id,
      ).toBe(true);
      expect(Array.isArray(rule.find(`x ${rule.keywords[0] ?? ""} y`)), rule.id).toBe(true);
    }
    expect(TOKEN_RULES.filter((r) => r.id.startsWith("secretlint:")).length).toBe(
      UPSTREAM_RUN.length,
    );
  });

  it("keeps the redacted URL readable: only the password is masked", () => {
    const line = `DATABASE_URL=postgres://app:${fake(18)}@db:5432/app`;
    expect(redactSecrets(line)).toBe("DATABASE_URL=postgres://app:****@db:5432/app");
  });
});

describe("monobot/secrets with the shared rules", () => {
  it("fails on a Stripe live key and a database password, and never echoes them", () => {
    const stripe = "sk" + "_live_" + fake(28);
    const password = fake(18);
    const lines = [`STRIPE_KEY=${stripe}`, `DATABASE_URL=postgres://app:${password}@db:5432/app`];
    const file: ChangedFile = {
      path: "deploy/.env",
      status: "added",
      additions: 2,
      deletions: 0,
      patch: `@@ -0,0 +1,2 @@\n${lines.map((l) => `+${l}`).join("\n")}`,
    };
    const policy = resolvePolicy([]);
    if (!policy.ok) throw new Error("defaults invalid");
    const components = { components: [], affected: [], outside: [], errors: [] };
    const result = secretsCheck.run({
      snapshot: {
        repo: { owner: "acme", name: "mono", defaultBranch: "main" },
        base: { ref: "main", sha: "b".repeat(40) },
        head: { ref: "topic", sha: "h".repeat(40) },
        files: [file],
        truncated: false,
        commits: [],
        headPaths: [file.path],
        contents: new Map(),
      },
      policy: policy.policy,
      components,
    });
    expect(result.conclusion).toBe("failure");
    expect(result.annotations.map((a) => [a.start_line, a.title])).toEqual([
      [1, "Possible secret: Stripe secret key"],
      [2, "Possible secret: PostgreSQL connection string with a password"],
    ]);
    const text = JSON.stringify(result);
    expect(text).not.toContain(stripe.slice(8));
    expect(text).not.toContain(password);
  });
});
