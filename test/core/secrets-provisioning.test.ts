import { describe, expect, it } from "vitest";
import {
  parseResealTrailer,
  resealBody,
  resealBranch,
  resealCommitMessage,
} from "../../src/core/reseal-pr.js";
import { secretSourceRefusal } from "../../src/core/secret-sources.js";
import { checkSecretsFile } from "../../src/core/secrets-file.js";
import {
  CHANGED_PATHS_MAX,
  changedYamlPaths,
  entriesOnPreviousKeys,
  PUSH_PAYLOAD_COMMITS,
  syncCheckOutput,
  syncReply,
} from "../../src/core/secrets-provisioning.js";
import type { SecretSyncReport } from "../../src/core/secrets-sync-report.js";

const commit = (c: { added?: string[]; modified?: string[]; removed?: string[] }) => ({
  added: [],
  modified: [],
  removed: [],
  ...c,
});

describe("changedYamlPaths", () => {
  const cases: { name: string; commits: unknown; want: string[] | null }[] = [
    { name: "no commit list", commits: undefined, want: null },
    { name: "an empty list (a new branch, a force push)", commits: [], want: null },
    {
      name: "YAML paths of every commit, once, sorted",
      commits: [
        commit({ modified: ["secrets.yml", "README.md"] }),
        commit({ added: ["charts/a/values.YAML"], removed: ["secrets.yml"] }),
      ],
      want: ["charts/a/values.YAML", "secrets.yml"],
    },
    { name: "no YAML", commits: [commit({ modified: ["main.go"] })], want: [] },
    { name: "a commit without its lists", commits: [{ id: "x" }], want: null },
    {
      name: "GitHub's cap of commits reached",
      commits: Array.from({ length: PUSH_PAYLOAD_COMMITS }, () => commit({})),
      want: null,
    },
    {
      name: "too many YAML paths",
      commits: [
        commit({ added: Array.from({ length: CHANGED_PATHS_MAX + 1 }, (_, i) => `c/${i}.yml`) }),
      ],
      want: null,
    },
  ];
  it.each(cases)("$name", ({ commits, want }) => {
    expect(changedYamlPaths(commits)).toEqual(want);
  });
});

describe("secretSourceRefusal", () => {
  const source = { owner: "acme", name: "config" };
  const policy = (config_repo: string) => ({ deploy: { config_repo } }) as never;
  const cases: { name: string; target: string; policy: unknown; want: RegExp | undefined }[] = [
    { name: "the source itself", target: "acme/config", policy: null, want: undefined },
    {
      name: "the source itself, other case",
      target: "Acme/Config",
      policy: policy(""),
      want: undefined,
    },
    {
      name: "names the source",
      target: "acme/api",
      policy: policy("acme/config"),
      want: undefined,
    },
    {
      name: "names it in another case",
      target: "acme/api",
      policy: policy("ACME/config"),
      want: undefined,
    },
    {
      name: "names none",
      target: "acme/api",
      policy: policy(""),
      want: /names no config repo; set `deploy: \{config_repo: acme\/config\}`/,
    },
    {
      name: "names another",
      target: "acme/api",
      policy: policy("acme/other-config"),
      want: /only from its config repo acme\/other-config .*not from acme\/config/,
    },
    {
      name: "invalid policy",
      target: "acme/api",
      policy: null,
      want: /is invalid, so monobot cannot tell/,
    },
  ];
  it.each(cases)("$name", ({ target, policy: p, want }) => {
    const [owner = "", repo = ""] = target.split("/");
    const got = secretSourceRefusal({ source, target: { owner, repo }, targetPolicy: p as never });
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toMatch(want);
  });
});

describe("entriesOnPreviousKeys", () => {
  it("counts valid entries sealed to one of the given key ids", () => {
    const sealed = Buffer.alloc(120, 1).toString("base64");
    const entry = (name: string, keyId: string) =>
      `- name: ${name}\n  targets: [acme/api]\n  key_id: "${keyId}"\n  sealed: ${sealed}\n`;
    const file = checkSecretsFile(
      entry("A", "aaaaaaaaaaaaaaaa") +
        entry("B", "bbbbbbbbbbbbbbbb") +
        entry("C", "aaaaaaaaaaaaaaaa") +
        '- name: D\n  targets: [acme/api]\n  key_id: "aaaaaaaaaaaaaaaa"\n',
    );
    expect(entriesOnPreviousKeys(file, ["aaaaaaaaaaaaaaaa"])).toBe(2);
    expect(entriesOnPreviousKeys(file, [])).toBe(0);
  });
});

describe("the sync's check run and reply", () => {
  const report: SecretSyncReport = {
    path: "secrets.yml",
    unchanged: 0,
    fileProblems: [],
    results: [
      { name: "A", target: "acme/api", action: "write", status: "ok", reason: "created", line: 1 },
    ],
  };
  it("says what started it and what the rotation did", () => {
    const push = syncCheckOutput({ report, trigger: { kind: "push", sha: "a".repeat(40) } });
    expect(push.summary.split("\n")[0]).toBe(
      "The push of aaaaaaa changed `secrets.yml`: the entries it changed were written.",
    );
    expect(push.title).toBe("Sealed secrets: 1 written");
    const cmd = syncCheckOutput({
      report,
      trigger: { kind: "command", user: "alice", where: "#4", sha: "b".repeat(40) },
      rotation: "opened acme/config#5.",
    });
    expect(cmd.summary).toMatch(/^@alice asked for a full sync with `\/sync-secrets` \(#4\)/);
    expect(cmd.summary).toMatch(/\*\*Key rotation\*\*: opened acme\/config#5\.$/);
  });
  it("replies in one line", () => {
    expect(
      syncReply({
        path: "secrets.yml",
        sha: "c".repeat(40),
        branch: "main",
        title: "Sealed secrets: 1 written",
        conclusion: "success",
      }),
    ).toBe(
      "sync of `secrets.yml` at main ccccccc done: Sealed secrets: 1 written. The `monobot/secrets-sync` check run on ccccccc lists each secret and target.",
    );
  });
});

describe("the re-seal pull request's text", () => {
  const text = {
    path: "secrets.yml",
    keyId: "0123456789abcdef",
    resealed: ["A", "B"],
    left: [
      {
        line: 9,
        name: "C",
        reason: "it is sealed to key ffffffffffffffff, which monobot does not have",
      },
    ],
    onNewKey: 1,
  };
  it("marks its commit with a trailer naming the key, and only that", () => {
    expect(resealBranch(text.keyId)).toBe("monobot/reseal-0123456789abcdef");
    expect(parseResealTrailer(resealCommitMessage(text))).toBe(text.keyId);
    expect(parseResealTrailer("Some commit\n\nSigned-off-by: x")).toBeUndefined();
    expect(parseResealTrailer("Monobot-Reseal: not-a-key-id")).toBeUndefined();
  });
  it("describes what it re-seals and what it leaves, the same way every time", () => {
    const body = resealBody(text);
    expect(body).toBe(resealBody({ ...text }));
    expect(body).toContain("re-seals 2 entries to `0123456789abcdef`");
    expect(body).toContain("| `A` | re-sealed |");
    expect(body).toContain("- line 9, `C`: it is sealed to key ffffffffffffffff");
    expect(body).toContain("1 entry is sealed to `0123456789abcdef` already.");
  });
});
