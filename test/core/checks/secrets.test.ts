// Tests for monobot/secrets: detection, allow-lists, line numbers, and that no output ever
// carries a secret (annotations, summaries, titles of every check, and the console).
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { dcoCheck } from "../../../src/core/checks/dco.js";
import { licenseCheck } from "../../../src/core/checks/license.js";
import { lintCheck } from "../../../src/core/checks/lint.js";
import type { CheckDefinition } from "../../../src/core/checks/registry.js";
import { secretsCheck } from "../../../src/core/checks/secrets.js";
import { resolvePolicy, type Policy } from "../../../src/core/policy.js";
import { redactSecrets, scanLine, shannonEntropy } from "../../../src/core/redact.js";
import {
  contentKey,
  type ChangeSnapshot,
  type ChangedFile,
  type CheckResult,
} from "../../../src/core/types.js";
import { tempRepo } from "../../helpers/git-repo.js";

// Fake credentials in the real formats, assembled at run time so this file holds none verbatim.
const ALNUM = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v2W3x4Y5z6";
const SECRETS = {
  ghp: "ghp_" + ALNUM.slice(0, 36),
  ghs: "ghs_" + ALNUM.slice(3, 39),
  githubPat: "github_pat_" + ALNUM.slice(0, 22) + "_" + (ALNUM + ALNUM).slice(5, 64),
  aws: "AKIA" + "Z7Q2X9W4V6B8N3M5",
  slack: "xoxb-" + "1234567890-0987654321-" + ALNUM.slice(0, 24),
  npm: "npm_" + ALNUM.slice(10, 46),
  bearer: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlMTIz",
  password: "Zx9!qR2#mK7$wL4@",
  dbSecret: "s3cr3tV4lue-9XkQ2pL",
  apiKey: "AbC123xYz789QwE456",
  envToken: "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
};
const PEM_BODY = {
  rsa: "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi" + "Z1BjP5CE8Wm0vRGJH0aX1kZNq",
  ec: "MHcCAQEEIDw2kq7zFQyL9mZ0Pp8NvT" + "yHq1cXrS5u2AZbWq4y0vBoAoGCCqGSM49",
  openssh: "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAE" + "bm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
  pgp: "lQOYBGN9zQIBCAC7p3dQmZ8vYq2Lr0x" + "Kf5TnWsEe1aHj4Ub9gMx6cVyRtPo",
  plain: "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" + "BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",
};
const PEM_BLOCKS = {
  rsa: ["-----BEGIN RSA PRIVATE KEY-----", PEM_BODY.rsa, "-----END RSA PRIVATE KEY-----"],
  ec: ["-----BEGIN EC PRIVATE KEY-----", PEM_BODY.ec, "-----END EC PRIVATE KEY-----"],
  openssh: [
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    PEM_BODY.openssh,
    "-----END OPENSSH PRIVATE KEY-----",
  ],
  pgp: [
    "-----BEGIN PGP PRIVATE KEY BLOCK-----",
    "",
    PEM_BODY.pgp,
    "-----END PGP PRIVATE KEY BLOCK-----",
  ],
  plain: ["-----BEGIN PRIVATE KEY-----", PEM_BODY.plain, "-----END PRIVATE KEY-----"],
};
const ALL_SECRET_STRINGS = [...Object.values(SECRETS), ...Object.values(PEM_BODY)];

/** Every planted secret, and every 8-character piece of it past its public prefix. */
function leaks(text: string): string[] {
  const out: string[] = [];
  for (const s of ALL_SECRET_STRINGS) {
    if (text.includes(s)) out.push(s);
    const start = s.startsWith("github_pat_") ? 11 : s.includes("_") ? s.indexOf("_") + 1 : 5;
    for (let i = start; i + 8 <= s.length; i++) {
      const piece = s.slice(i, i + 8);
      if (text.includes(piece)) out.push(`${s.slice(0, 4)}…(${piece})`);
    }
  }
  return out;
}

function policyFrom(yaml = ""): Policy {
  const r = resolvePolicy(yaml ? [{ file: ".github/monobot.yml", text: yaml }] : []);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.policy;
}

function addedFile(path: string, lines: string[]): ChangedFile {
  return {
    path,
    status: "added",
    additions: lines.length,
    deletions: 0,
    patch: `@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join("\n")}`,
  };
}

function runCheck(
  check: CheckDefinition,
  base: Omit<ChangeSnapshot, "contents">,
  head: Record<string, string>,
  policyYaml = "",
): CheckResult {
  const policy = policyFrom(policyYaml);
  const components = { components: [], affected: [], outside: [], errors: [] };
  const contents = new Map<string, string | null>();
  for (const r of check.needs?.({ snapshot: base, policy, components }) ?? []) {
    contents.set(contentKey(r.side, r.path), head[r.path] ?? null);
  }
  return check.run({ snapshot: { ...base, contents }, policy, components });
}

function snapshotOf(files: ChangedFile[], extra: Partial<ChangeSnapshot> = {}) {
  return {
    repo: { owner: "acme", name: "mono", defaultBranch: "main" },
    base: { ref: "main", sha: "b".repeat(40) },
    head: { ref: "topic", sha: "h".repeat(40) },
    files,
    truncated: false,
    commits: [],
    headPaths: ["LICENSE", ...files.map((f) => f.path)],
    ...extra,
  };
}

function secrets(
  files: ChangedFile[],
  head: Record<string, string> = {},
  policy = "",
): CheckResult {
  return runCheck(secretsCheck, snapshotOf(files), head, policy);
}

const OPTIONS = { minLength: 12, minEntropy: 3 };

describe("scanLine finds", () => {
  const cases: { line: string; rule: string; kind: RegExp; masked: string }[] = [
    {
      line: `token = "${SECRETS.ghp}"`,
      rule: "token",
      kind: /GitHub personal access token/,
      masked: "ghp_****",
    },
    {
      line: `GH=${SECRETS.ghs}`,
      rule: "token",
      kind: /GitHub App installation token/,
      masked: "ghs_****",
    },
    {
      line: `pat: ${SECRETS.githubPat}`,
      rule: "token",
      kind: /fine-grained/,
      masked: "github_pat_****",
    },
    {
      line: `aws_access_key_id = ${SECRETS.aws}`,
      rule: "token",
      kind: /AWS access key ID/,
      masked: "AKIA****",
    },
    { line: `SLACK=${SECRETS.slack}`, rule: "token", kind: /Slack token/, masked: "xoxb-****" },
    {
      line: `//registry.npmjs.org/:_authToken=${SECRETS.npm}`,
      rule: "token",
      kind: /npm/,
      masked: "npm_****",
    },
    {
      line: `curl -H "Authorization: Bearer ${SECRETS.bearer}"`,
      rule: "token",
      kind: /bearer/,
      masked: "Bearer ****",
    },
    {
      line: `password = "${SECRETS.password}"`,
      rule: "assignment",
      kind: /`password`/,
      masked: "password = ****",
    },
    {
      line: `  DB_SECRET: "${SECRETS.dbSecret}"`,
      rule: "assignment",
      kind: /`DB_SECRET`/,
      masked: "DB_SECRET = ****",
    },
    {
      line: `api_key='${SECRETS.apiKey}'`,
      rule: "assignment",
      kind: /`api_key`/,
      masked: "api_key = ****",
    },
    {
      line: `export API_TOKEN=${SECRETS.envToken}`,
      rule: "assignment",
      kind: /`API_TOKEN`/,
      masked: "API_TOKEN = ****",
    },
    {
      line: `"clientSecret": "${SECRETS.apiKey}",`,
      rule: "assignment",
      kind: /`clientSecret`/,
      masked: "clientSecret = ****",
    },
    {
      line: PEM_BLOCKS.rsa[0] as string,
      rule: "private_key",
      kind: /RSA private key/,
      masked: "-----BEGIN RSA PRIVATE KEY-----",
    },
    {
      line: PEM_BLOCKS.ec[0] as string,
      rule: "private_key",
      kind: /EC private key/,
      masked: "-----BEGIN EC PRIVATE KEY-----",
    },
    {
      line: PEM_BLOCKS.openssh[0] as string,
      rule: "private_key",
      kind: /OPENSSH private key/,
      masked: "-----BEGIN OPENSSH PRIVATE KEY-----",
    },
    {
      line: PEM_BLOCKS.pgp[0] as string,
      rule: "private_key",
      kind: /PGP private key/,
      masked: "-----BEGIN PGP PRIVATE KEY BLOCK-----",
    },
    {
      line: PEM_BLOCKS.plain[0] as string,
      rule: "private_key",
      kind: /^private key/,
      masked: "-----BEGIN PRIVATE KEY-----",
    },
    {
      line: `"private_key": "-----BEGIN PRIVATE KEY-----\\n${PEM_BODY.plain}\\n-----END PRIVATE KEY-----\\n"`,
      rule: "private_key",
      kind: /private key/,
      masked: "-----BEGIN PRIVATE KEY-----",
    },
  ];
  for (const c of cases) {
    it(`${c.rule}: ${c.masked}`, () => {
      const found = scanLine(c.line, OPTIONS);
      expect(found).toHaveLength(1);
      expect(found[0]?.rule).toBe(c.rule);
      expect(found[0]?.kind).toMatch(c.kind);
      expect(found[0]?.masked).toBe(c.masked);
      expect(leaks(JSON.stringify(found.map((f) => ({ ...f, start: 0, end: 0 }))))).toEqual([]);
    });
  }
});

describe("scanLine leaves alone", () => {
  const cases = [
    'password = os.environ["DB_PASSWORD"]',
    "token: ${{ secrets.GITHUB_TOKEN }}",
    'api_key = "<your-api-key-here-123>"',
    "password: changeme123456789",
    "key: value",
    'tokenizer = "bert-base-uncased-v2-1234"',
    "Authorization: Bearer ${TOKEN}",
    "Authorization: Bearer xxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    'monkey = "Abcdef123456789xyz"',
    "const KEY_LENGTH = 32;",
    'sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"',
    "secret_name: db-credentials",
    "-----BEGIN PUBLIC KEY-----",
    "-----BEGIN CERTIFICATE-----",
    'token = "ghp_short"',
    "password = getPassword(user1234567890)",
    "// the key 12 and the token 34 are documented in docs/auth.md",
  ];
  for (const line of cases) {
    it(line, () => expect(scanLine(line, OPTIONS)).toEqual([]));
  }

  it("measures entropy in bits per character", () => {
    expect(shannonEntropy("aaaa")).toBe(0);
    expect(shannonEntropy("abcd")).toBe(2);
  });

  it("scans a 200,000-character minified line to its end", () => {
    const line = "a".repeat(200_000) + ` key=1 ${SECRETS.npm}`;
    expect(scanLine(line, OPTIONS).map((f) => f.masked)).toEqual(["npm_****"]);
  });
});

describe("monobot/secrets", () => {
  it("fails with one annotation per finding, on the right lines, with the kind named", () => {
    const result = secrets([
      addedFile("deploy/.env.prod", [
        "DEBUG=false",
        `API_TOKEN=${SECRETS.envToken}`,
        `GH=${SECRETS.ghp}`,
      ]),
      addedFile("keys/id.txt", ["note", ...PEM_BLOCKS.rsa, "after"]),
    ]);
    expect(result.name).toBe("monobot/secrets");
    expect(result.conclusion).toBe("failure");
    expect(result.annotations.map((a) => [a.path, a.start_line, a.end_line, a.title])).toEqual([
      ["deploy/.env.prod", 2, 2, "Possible secret: high-entropy value assigned to `API_TOKEN`"],
      ["deploy/.env.prod", 3, 3, "Possible secret: GitHub personal access token"],
      ["keys/id.txt", 2, 4, "Possible secret: RSA private key (PEM block)"],
    ]);
    expect(result.annotations[1]?.message).toMatch(/`ghp_\*\*\*\*`.*revoke it now/);
    expect(result.summary).toMatch(/Revoke or rotate it first/);
  });

  it("passes clean added lines and does not look at removed lines", () => {
    const removed: ChangedFile = {
      path: "old.env",
      status: "modified",
      additions: 1,
      deletions: 1,
      patch: `@@ -1,1 +1,1 @@\n-GH=${SECRETS.ghp}\n+GH=\${GH_TOKEN}`,
    };
    const result = secrets([removed, addedFile("src/a.ts", ["export const x = 1;"])]);
    expect(result.conclusion).toBe("success");
    expect(result.annotations).toEqual([]);
    expect(result.title).toBe("No possible secrets in added lines");
  });

  it("allows lines with the inline marker, a whole PEM block by its BEGIN line", () => {
    const result = secrets([
      addedFile("test/fixture.ts", [
        `const fake = "${SECRETS.ghp}"; // monobot:allow-secret`,
        `${PEM_BLOCKS.ec[0]} monobot:allow-secret`,
        ...PEM_BLOCKS.ec.slice(1),
      ]),
    ]);
    expect(result.conclusion).toBe("success");
    expect(result.summary).toMatch(/2 lines allowed by `monobot:allow-secret`/);
  });

  it("allows paths matching checks.secrets.allow", () => {
    const result = secrets(
      [
        addedFile("testdata/keys.txt", [`GH=${SECRETS.ghp}`]),
        addedFile("src/x.txt", [`GH=${SECRETS.ghp}`]),
      ],
      {},
      "checks:\n  secrets:\n    allow: ['**/testdata/**']\n",
    );
    expect(result.annotations.map((a) => a.path)).toEqual(["src/x.txt"]);
    expect(result.summary).toMatch(/1 file allowed by checks\.secrets\.allow/);
  });

  it("takes levels from the policy per kind", () => {
    const result = secrets(
      [addedFile("a.env", [`password="${SECRETS.password}"`, `GH=${SECRETS.ghp}`])],
      {},
      "checks:\n  secrets:\n    rules: { private_key: failure, token: failure, assignment: warning }\n",
    );
    expect(result.annotations.map((a) => a.level).sort()).toEqual(["failure", "warning"]);
  });

  it("reads a file GitHub gave no patch for, scans it whole and says so", () => {
    const big: ChangedFile = { path: "dump.sql", status: "added", additions: 40000, deletions: 0 };
    const result = secrets([big], {
      "dump.sql": `-- dump\nINSERT INTO t VALUES ('${SECRETS.aws}');\n`,
    });
    expect(result.annotations.map((a) => [a.path, a.start_line])).toEqual([["dump.sql", 2]]);
    expect(result.summary).toMatch(/1 file read whole because GitHub gave no patch/);
  });
});

describe("monobot/secrets on a real git diff", () => {
  const repo = tempRepo("secrets-repo");
  afterAll(() => repo.remove());

  it("annotates the head file's line", () => {
    const lines = Array.from({ length: 25 }, (_, i) => `setting_${i} = ${i}`);
    const base = repo.commit({ "conf/app.ini": lines.join("\n") + "\n" });
    const changed = [...lines];
    changed.splice(
      17,
      0,
      `slack_webhook = https://hooks.slack.com/services/T0AAAA1/B0BBBB2/${ALNUM.slice(0, 24)}`,
    );
    changed[3] = `aws = ${SECRETS.aws}`;
    const head = repo.commit({ "conf/app.ini": changed.join("\n") + "\n" });
    const patch = repo.git("diff", "--no-color", base, head, "--", "conf/app.ini");
    const result = secrets([
      { path: "conf/app.ini", status: "modified", additions: 2, deletions: 1, patch },
    ]);
    expect(result.annotations.map((a) => [a.start_line, a.title])).toEqual([
      [4, "Possible secret: AWS access key ID"],
      [18, "Possible secret: Slack webhook URL"],
    ]);
    expect(changed[17]).toContain("hooks.slack.com");
    expect(leaks(JSON.stringify(result))).toEqual([]);
  });
});

describe("no check output carries a secret", () => {
  const spies = (["log", "info", "warn", "error", "debug"] as const).map((m) =>
    vi.spyOn(console, m).mockImplementation(() => undefined),
  );
  afterEach(() => spies.forEach((s) => s.mockClear()));

  const everyLine = [
    `token = "${SECRETS.ghp}"`,
    `installation: ${SECRETS.ghs}`,
    `pat: ${SECRETS.githubPat}`,
    `aws_access_key_id = ${SECRETS.aws}`,
    `slack: ${SECRETS.slack}`,
    `//registry.npmjs.org/:_authToken=${SECRETS.npm}`,
    `Authorization: Bearer ${SECRETS.bearer}`,
    `password = "${SECRETS.password}"`,
    `DB_SECRET: "${SECRETS.dbSecret}"`,
    `api_key='${SECRETS.apiKey}'`,
    `API_TOKEN=${SECRETS.envToken}`,
    ...Object.values(PEM_BLOCKS).flat(),
  ];

  it("holds for all four checks over a PR full of planted secrets", () => {
    const files: ChangedFile[] = [
      addedFile(
        "src/config.ts",
        everyLine.map((l) => `${l}   `),
      ),
      addedFile("conf/broken.yaml", [`token: ${SECRETS.ghp}`, `  ${SECRETS.npm}: [`]),
      addedFile("conf/broken.json", [`{"password": "${SECRETS.password}" "${SECRETS.aws}"}`]),
      addedFile("src/licensed.go", [
        `// SPDX-License-Identifier: ${SECRETS.ghp} OR ${SECRETS.apiKey}`,
      ]),
      addedFile(".env", [`SLACK=${SECRETS.slack}`]),
      { path: "dump.txt", status: "modified", additions: 9, deletions: 9 },
    ];
    const head: Record<string, string> = {
      "conf/broken.yaml": `token: ${SECRETS.ghp}\n  ${SECRETS.npm}: [\n`,
      "conf/broken.json": `{"password": "${SECRETS.password}" "${SECRETS.aws}"}\n`,
      "dump.txt": everyLine.join("\n"),
    };
    const commits = [
      {
        sha: "1".repeat(40),
        message: `Add token ${SECRETS.ghp} and password = ${SECRETS.password}\n\nbody ${SECRETS.aws}`,
        author: { name: "Ada", email: "ada@example.com", login: "ada" },
        parents: 1,
      },
    ];
    const pr = {
      number: 1,
      title: `Rotate ${SECRETS.slack}`,
      body: `npm ${SECRETS.npm}`,
      author: "ada",
      authorAssociation: "MEMBER",
      draft: false,
      fromFork: false,
      maintainerCanModify: false,
      headRef: "topic",
      baseRef: "main",
    };
    const base = snapshotOf(files, { commits, pr });
    const results = [lintCheck, licenseCheck, dcoCheck, secretsCheck].map((c) =>
      runCheck(c, base, head, "checks:\n  dco:\n    squash: true\n"),
    );
    // The planted secrets were seen: secrets fails, and the other checks had content to report.
    expect(results.map((r) => r.conclusion)).toEqual(["failure", "failure", "failure", "failure"]);
    const secretResult = results[3] as CheckResult;
    expect(secretResult.annotations.length).toBeGreaterThanOrEqual(everyLine.length / 2);
    for (const r of results) expect(leaks(JSON.stringify(r))).toEqual([]);
    for (const s of spies) {
      for (const call of s.mock.calls) expect(leaks(JSON.stringify(call))).toEqual([]);
    }
  });

  it("redactSecrets masks every planted secret in free text", () => {
    const text = ["error while deploying:", ...everyLine, "done"].join("\n");
    const masked = redactSecrets(text);
    expect(leaks(masked)).toEqual([]);
    expect(masked).toContain("ghp_****");
    expect(masked).toContain("-----BEGIN RSA PRIVATE KEY----- ****");
    expect(masked).toContain("error while deploying:");
  });
});
