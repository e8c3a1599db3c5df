// Sealed secrets provisioning through the real app against the sandbox: a push of secrets.yml, redelivery,
// `/sync-secrets` (admin or not, issue or pull request), and the PR check's real target statuses.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SECRETS_SYNC_CHECK } from "../../src/core/secrets-provisioning.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/driver.js";
import { checkSecretsFile } from "../../src/core/secrets-file.js";
import {
  keyRing,
  newPrivateKey,
  openEnvelope,
  sodiumReady,
  type KeyRing,
} from "../../src/secrets/sealing.js";
import { sandboxApp, type SandboxApp } from "../helpers/sandbox-app.js";
import { sealedEntry } from "../helpers/sealed-secrets.js";
import { installationOctokit } from "../sandbox/helpers.js";

const CONFIG = "acme/config";
const MONO = "acme/mono";
const MONO_POLICY = { ".github/monobot.yml": "deploy:\n  config_repo: acme/config\n" };

let sandbox: Sandbox;
let ring: KeyRing;
let app: SandboxApp;
let configInstallation: number;

interface RunView {
  id: number;
  name: string;
  status: string;
  conclusion: string | null;
  external_id: string | null;
  output: { title: string; summary: string };
  annotations: { path: string; start_line: number; message: string; annotation_level: string }[];
}

function syncRuns(repo: string, sha: string): RunView[] {
  return (sandbox.checkRuns(repo, sha) as unknown as RunView[]).filter(
    (r) => r.name === SECRETS_SYNC_CHECK,
  );
}

function secretWrites(since: number): number {
  return sandbox
    .requests({ since })
    .filter((r) => r.method === "PUT" && r.operationId?.includes("secret")).length;
}

function botComments(repo: string, issue: number): string[] {
  return (sandbox.comments(repo, issue) as { body: string; user: { login: string } }[])
    .filter((c) => c.user.login === sandbox.botLogin)
    .map((c) => c.body);
}

/** Pushes `files` to the config repo's main branch and delivers the push. */
async function pushConfig(files: Record<string, string | null>, to: SandboxApp = app) {
  const pushed = sandbox.pushCommit(CONFIG, { branch: "main", files, author: "alice" });
  const event = sandbox.events.push({ repo: CONFIG, ref: "main", after: pushed.sha });
  const id = await to.receive(event);
  return { ...pushed, event, id };
}

beforeAll(async () => {
  await sodiumReady();
  ring = keyRing(newPrivateKey());
  sandbox = await startSandbox();
  sandbox.createUser("alice");
  sandbox.createUser("bob");
  sandbox.createOrg("acme", { members: ["alice", "bob"] });
  configInstallation = sandbox.createRepo({
    owner: "acme",
    name: "config",
    installation: true,
    files: { "README.md": "# config\n" },
  }).installationId as number;
  sandbox.createRepo({ owner: "acme", name: "mono", installation: true, files: MONO_POLICY });
  sandbox.createEnvironment(MONO, "production");
  // Installed, but its policy names no config repo: it refuses secrets from acme/config.
  sandbox.createRepo({
    owner: "acme",
    name: "other",
    installation: true,
    files: { "README.md": "x\n" },
  });
  sandbox.setPermission(CONFIG, "alice", "admin");
  sandbox.setPermission(CONFIG, "bob", "write");
  app = await sandboxApp(sandbox, { sealingKeys: ring });
});
afterAll(async () => {
  await sandbox.stop();
});

describe("a push of secrets.yml to the config repo's default branch", () => {
  const db = () =>
    sealedEntry(ring.current, "DB_PASSWORD", [MONO, `${MONO}@production`], "pg-s3cr3t\nline2");
  const api = () => sealedEntry(ring.current, "API_TOKEN", [MONO], "tok-123");
  let first: Awaited<ReturnType<typeof pushConfig>>;

  it("writes every target, sealed so the sandbox's private keys open the plaintext, and reports it", async () => {
    const mark = sandbox.mark();
    first = await pushConfig({
      "secrets.yml": `# sealed secrets\n${db()}${api()}${sealedEntry(ring.current, "ELSEWHERE", ["acme/other"], "nope")}`,
    });
    expect(app.failures).toEqual([]);
    expect(sandbox.secrets(MONO)).toEqual({
      DB_PASSWORD: "pg-s3cr3t\nline2",
      API_TOKEN: "tok-123",
    });
    expect(sandbox.secrets(MONO, { environment: "production" })).toEqual({
      DB_PASSWORD: "pg-s3cr3t\nline2",
    });
    expect(sandbox.secrets("acme/other")).toEqual({});
    expect(secretWrites(mark)).toBe(3);

    const [run, ...more] = syncRuns(CONFIG, first.sha);
    expect(more).toEqual([]);
    expect(run).toMatchObject({
      status: "completed",
      conclusion: "failure",
      external_id: `${first.id}.secrets`,
    });
    const summary = run?.output.summary ?? "";
    expect(run?.output.title).toBe("Sealed secrets: 3 written, 1 refused");
    expect(summary).toContain("| `DB_PASSWORD` | acme/mono | ok |");
    expect(summary).toContain("| `DB_PASSWORD` | acme/mono@production | ok |");
    expect(summary).toContain("| `API_TOKEN` | acme/mono | ok |");
    expect(summary).toMatch(
      /\| `ELSEWHERE` \| acme\/other \| refused \| \d+ \| acme\/other does not take sealed secrets from acme\/config: its \.github\/monobot\.yml names no config repo/,
    );
    for (const value of ["pg-s3cr3t", "tok-123", "nope"])
      expect(JSON.stringify(run)).not.toContain(value);
    sandbox.assertNoViolations();
  });

  it("writes nothing again when the same delivery comes back after a restart", async () => {
    const restarted = await sandboxApp(sandbox, { sealingKeys: ring });
    const mark = sandbox.mark();
    await restarted.receive(first.event, first.id);
    expect(restarted.failures).toEqual([]);
    expect(restarted.jobs.map((j) => j.handler)).toContain("secrets-sync");
    expect(secretWrites(mark)).toBe(0);
    expect(syncRuns(CONFIG, first.sha)).toHaveLength(1);
    // The same process drops the delivery at intake.
    const again = sandbox.mark();
    await app.receive(first.event, first.id);
    expect(secretWrites(again)).toBe(0);
  });

  it("writes only what the next push changed, and leaves a removed entry in place without secrets.prune", async () => {
    const mark = sandbox.mark();
    const next = await pushConfig({
      // DB_PASSWORD sealed again with the same value (a new box), API_TOKEN removed, NEW_ONE added.
      "secrets.yml": `# sealed secrets\n${db()}${sealedEntry(ring.current, "NEW_ONE", [MONO], "fresh")}`,
    });
    expect(app.failures).toEqual([]);
    expect(secretWrites(mark)).toBe(1);
    expect(sandbox.secrets(MONO)).toEqual({
      DB_PASSWORD: "pg-s3cr3t\nline2",
      API_TOKEN: "tok-123",
      NEW_ONE: "fresh",
    });
    const summary = syncRuns(CONFIG, next.sha)[0]?.output.summary ?? "";
    expect(summary).toContain("| `NEW_ONE` | acme/mono | ok |");
    expect(summary).toMatch(
      /\| `DB_PASSWORD` \| acme\/mono \| skipped \| \d+ \| re-sealed with the same value/,
    );
    expect(summary).toMatch(
      /\| `API_TOKEN` \| acme\/mono \| skipped \| \d+ \| removed from the file; left in place because secrets.prune is false/,
    );
  });

  it("ignores pushes that do not touch the file, and pushes to other branches", async () => {
    const before = app.jobs.filter((j) => j.handler === "secrets-sync").length;
    await pushConfig({ "README.md": "# config, again\n" });
    const side = sandbox.pushCommit(CONFIG, {
      branch: "feature",
      files: { "secrets.yml": "[]\n" },
    });
    await app.receive(sandbox.events.push({ repo: CONFIG, ref: "feature", after: side.sha }));
    expect(app.jobs.filter((j) => j.handler === "secrets-sync").length).toBe(before);
  });
});

describe("/sync-secrets", () => {
  it("by an admin on an issue: writes every entry of the default branch's file and replies once", async () => {
    const issue = sandbox.createIssue(CONFIG, { user: "alice", title: "rotate the DB password" });
    const c = sandbox.comment(CONFIG, issue, { user: "alice", body: "/sync-secrets" });
    const mark = sandbox.mark();
    const event = sandbox.events.issueComment({ repo: CONFIG, commentId: c.id });
    const id = await app.receive(event);
    expect(app.failures).toEqual([]);
    // DB_PASSWORD x2 and NEW_ONE: every entry of the file, none skipped as unchanged.
    expect(secretWrites(mark)).toBe(3);
    const head = sandbox.branchSha(CONFIG, "main") ?? "";
    const [run] = syncRuns(CONFIG, head).filter((r) => r.external_id === `${id}.secrets`);
    expect(run?.conclusion).toBe("success");
    expect(run?.output.summary).toContain("@alice asked for a full sync with `/sync-secrets`");
    const replies = botComments(CONFIG, issue);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatch(
      /^@alice sync of `secrets.yml` at main [0-9a-f]{7} done: Sealed secrets: 3 written\./,
    );

    const restarted = await sandboxApp(sandbox, { sealingKeys: ring });
    const again = sandbox.mark();
    await restarted.receive(event, id);
    expect(secretWrites(again)).toBe(0);
    expect(botComments(CONFIG, issue)).toHaveLength(1);
  });

  it("by a user with write access: one short reply, nothing written", async () => {
    const issue = sandbox.createIssue(CONFIG, { user: "bob", title: "sync please" });
    const c = sandbox.comment(CONFIG, issue, { user: "bob", body: "/sync-secrets" });
    const mark = sandbox.mark();
    await app.receive(sandbox.events.issueComment({ repo: CONFIG, commentId: c.id }));
    expect(secretWrites(mark)).toBe(0);
    const replies = botComments(CONFIG, issue);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain(
      "@bob `/sync-secrets` was not run: only admins of this repository may use it (your permission is write).",
    );
  });

  it("on a pull request (a fork's too) syncs the default branch's file, never the pull request's", async () => {
    const fork = sandbox.fork(CONFIG, "bob").fullName;
    sandbox.pushCommit(fork, {
      branch: "evil",
      author: "bob",
      files: { "secrets.yml": sealedEntry(ring.current, "DB_PASSWORD", [MONO], "from-the-fork") },
    });
    const pr = sandbox.openPullRequest(CONFIG, { head: "evil", user: "bob", fromFork: fork });
    const c = sandbox.comment(CONFIG, pr.number, {
      user: "alice",
      body: "Looks odd.\n/sync-secrets",
    });
    await app.receive(sandbox.events.issueComment({ repo: CONFIG, commentId: c.id }));
    expect(app.failures).toEqual([]);
    expect(sandbox.secrets(MONO).DB_PASSWORD).toBe("pg-s3cr3t\nline2");
    // One reply: the comment handler leaves `/sync-secrets` to this handler.
    expect(botComments(CONFIG, pr.number).filter((b) => !b.includes("monobot:summary"))).toEqual([
      expect.stringMatching(/^@alice sync of `secrets.yml` at main/),
    ]);
  });

  it("answers a usage error on an issue", async () => {
    const issue = sandbox.createIssue(CONFIG, { user: "alice", title: "typo" });
    const c = sandbox.comment(CONFIG, issue, { user: "alice", body: "/sync-secrets now" });
    await app.receive(sandbox.events.issueComment({ repo: CONFIG, commentId: c.id }));
    expect(botComments(CONFIG, issue)).toEqual([
      expect.stringContaining("it takes no arguments. Usage: `/sync-secrets`"),
    ]);
  });

  it("under an access rule naming it for the secrets file: its team decides, an admin outside it is refused", async () => {
    sandbox.createTeam("acme", "secops", ["bob"]);
    const policy = [
      "access:",
      "  owners: { teams: [acme/secops] }",
      "  rules:",
      "    - name: secrets",
      '      paths: ["secrets.yml"]',
      "      approve: { count: 1, teams: [acme/secops] }",
      "      commands: [sync-secrets]",
      "",
    ].join("\n");
    sandbox.pushCommit(CONFIG, {
      branch: "main",
      author: "alice",
      files: { ".github/monobot.yml": policy },
    });
    try {
      const issue = sandbox.createIssue(CONFIG, { user: "bob", title: "sync, as secops" });
      const byBob = sandbox.comment(CONFIG, issue, { user: "bob", body: "/sync-secrets" });
      const mark = sandbox.mark();
      await app.receive(sandbox.events.issueComment({ repo: CONFIG, commentId: byBob.id }));
      expect(app.failures).toEqual([]);
      expect(secretWrites(mark)).toBeGreaterThan(0);
      const byAlice = sandbox.comment(CONFIG, issue, { user: "alice", body: "/sync-secrets" });
      const again = sandbox.mark();
      await app.receive(sandbox.events.issueComment({ repo: CONFIG, commentId: byAlice.id }));
      expect(secretWrites(again)).toBe(0);
      const replies = botComments(CONFIG, issue);
      expect(replies).toHaveLength(2);
      expect(replies[0]).toMatch(/^@bob sync of `secrets.yml`/);
      expect(replies[1]).toContain(
        '@alice `/sync-secrets` was not run: the access rule "secrets" covers `secrets.yml` and lets only members of @acme/secops run it.',
      );
    } finally {
      sandbox.pushCommit(CONFIG, {
        branch: "main",
        author: "alice",
        files: { ".github/monobot.yml": null },
      });
    }
  });
});

describe("monobot/secrets on a config-repo pull request", () => {
  it("reports each target's real status: missing repository, not installed, missing environment, refusal", async () => {
    sandbox.createRepo({ owner: "acme", name: "lonely", installation: false, files: { a: "b\n" } });
    const file =
      sealedEntry(ring.current, "GOOD", [MONO, `${MONO}@production`], "g") +
      sealedEntry(ring.current, "GHOST", ["acme/ghost"], "g") +
      sealedEntry(ring.current, "LONELY", ["acme/lonely"], "g") +
      sealedEntry(ring.current, "STAGING", [`${MONO}@staging`], "g") +
      sealedEntry(ring.current, "OTHER", ["acme/other"], "g");
    sandbox.pushCommit(CONFIG, {
      branch: "targets",
      author: "alice",
      message: "secrets: more targets\n\nSigned-off-by: alice <alice@example.com>",
      files: { "secrets.yml": file },
    });
    const pr = sandbox.openPullRequest(CONFIG, { head: "targets", user: "alice" });
    await app.receive(
      sandbox.events.pullRequest({ repo: CONFIG, number: pr.number, action: "opened" }),
    );
    expect(app.failures).toEqual([]);
    const run = (sandbox.checkRuns(CONFIG, pr.headSha) as unknown as RunView[]).find(
      (r) => r.name === "monobot/secrets",
    );
    const messages = (run?.annotations ?? []).map((a) => a.message);
    expect(messages).toEqual([
      "target acme/ghost does not exist, or monobot cannot see it",
      "monobot is not installed on acme/lonely: install the app there (with the secrets permission) so it can write acme/lonely",
      'acme/mono has no environment "staging": create it (Settings → Environments) before the secret can be written',
      expect.stringMatching(/^acme\/other does not take sealed secrets from acme\/config/),
    ]);
    expect(run?.conclusion).toBe("failure");
    sandbox.assertNoViolations();
  });
});

describe("a rotation of monobot's key", () => {
  it("opens ONE pull request re-sealing every entry to the new key, keeps it up to date, and the merge writes nothing", async () => {
    const rotated = keyRing(newPrivateKey(), [ring.current.privateKey]);
    const app2 = await sandboxApp(sandbox, { sealingKeys: rotated });
    const branch = `monobot/reseal-${rotated.current.keyId}`;
    const octokit = await installationOctokit(sandbox, configInstallation);
    const pulls = async () =>
      (
        await octokit.rest.pulls.list({
          owner: "acme",
          repo: "config",
          state: "all",
          head: `acme:${branch}`,
        })
      ).data;
    const mainFile = () => sandbox.readFile(CONFIG, "main", "secrets.yml") ?? "";
    const valuesOf = (text: string) =>
      checkSecretsFile(text).entries.map((e) => {
        const opened = openEnvelope(e.sealed ?? "", e.keyId ?? "", rotated);
        if (!opened.ok) throw new Error(opened.message);
        return [e.nameKey, e.keyId, Buffer.from(opened.envelope.value).toString("utf8")];
      });

    // Any YAML push to the default branch notices entries sealed to the previous key.
    const first = await pushConfig({ "charts/api/values.yaml": "replicas: 2\n" }, app2);
    expect(app2.failures).toEqual([]);
    expect(syncRuns(CONFIG, first.sha)).toEqual([]); // the file did not change: nothing synced
    const [pr, ...others] = await pulls();
    expect(others).toEqual([]);
    expect(pr).toMatchObject({
      state: "open",
      title: `Re-seal sealed secrets to monobot's key ${rotated.current.keyId}`,
    });
    expect(pr?.body).toContain("This pull request re-seals 2 entries");
    const before = mainFile();
    const after = sandbox.readFile(CONFIG, branch, "secrets.yml") ?? "";
    expect(valuesOf(after)).toEqual(
      valuesOf(before).map(([name, , value]) => [name, rotated.current.keyId, value]),
    );
    // Only the key_id and sealed lines differ.
    const changed = before
      .split("\n")
      .map((line, i) => [line, after.split("\n")[i]] as const)
      .filter(([a, b]) => a !== b)
      .map(([a]) => a.trim().split(":")[0]);
    expect(changed).toEqual(["key_id", "sealed", "key_id", "sealed"]);

    // Another push that leaves the file alone: the same pull request, nothing rewritten.
    let mark = sandbox.mark();
    await pushConfig({ "charts/api/values.yaml": "replicas: 3\n" }, app2);
    expect(await pulls()).toHaveLength(1);
    const writes = (m: number, op: string) =>
      sandbox.requests({ since: m, operationId: op }).length;
    expect(writes(mark, "pulls/update")).toBe(0);
    expect(writes(mark, "git/create-commit")).toBe(0);

    // An entry added on the default branch, sealed to the old key: synced, and the PR follows.
    mark = sandbox.mark();
    const added = await pushConfig(
      { "secrets.yml": `${mainFile()}${sealedEntry(ring.current, "LATE", [MONO], "late-value")}` },
      app2,
    );
    expect(app2.failures).toEqual([]);
    expect(sandbox.secrets(MONO).LATE).toBe("late-value");
    expect(await pulls()).toHaveLength(1);
    expect(writes(mark, "pulls/update")).toBe(1);
    const [updated] = await pulls();
    expect(updated?.body).toContain("This pull request re-seals 3 entries");
    const summary = syncRuns(CONFIG, added.sha)[0]?.output.summary ?? "";
    expect(summary).toContain(`**Key rotation**: updated acme/config#${pr?.number}`);
    const tip = await octokit.rest.repos.getBranch({ owner: "acme", repo: "config", branch });
    expect(tip.data.commit.parents).toHaveLength(2); // the default branch merged in, not forced
    expect(
      valuesOf(sandbox.readFile(CONFIG, branch, "secrets.yml") ?? "").map((v) => v[1]),
    ).toEqual([rotated.current.keyId, rotated.current.keyId, rotated.current.keyId]);

    // The merge: every entry changed in git, no value changed, so nothing is written on GitHub.
    mark = sandbox.mark();
    const merged = sandbox.mergePullRequest(CONFIG, pr?.number ?? 0);
    await app2.receive(sandbox.events.push({ repo: CONFIG, ref: "main", after: merged }));
    expect(app2.failures).toEqual([]);
    expect(secretWrites(mark)).toBe(0);
    const run = syncRuns(CONFIG, merged)[0];
    expect(run?.conclusion).toBe("success");
    expect(run?.output.title).toBe("Sealed secrets: 4 skipped");
    expect(run?.output.summary).not.toContain("Key rotation");
    expect(await pulls()).toHaveLength(1);
    sandbox.assertNoViolations();
  });
});
