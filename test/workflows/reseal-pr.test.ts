// The rotation's pull request against the sandbox's config repo: when it refuses, skips, and what it leaves out.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitHubConfigRepo } from "../../src/forge/config-repo.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/driver.js";
import { keyRing, newPrivateKey, sodiumReady, type KeyRing } from "../../src/secrets/sealing.js";
import { openResealPr } from "../../src/workflows/reseal-pr.js";
import { sealedEntry } from "../helpers/sealed-secrets.js";
import { installationOctokit, type Octokit } from "../sandbox/helpers.js";

let sandbox: Sandbox;
let octokit: Octokit;
let oldRing: KeyRing;
let n = 0;

/** A new config repo whose secrets.yml has `entries` (each sealed by the caller). */
function configRepo(entries: string): { full: string; port: GitHubConfigRepo } {
  const name = `config-${++n}`;
  sandbox.createRepo({
    owner: "acme",
    name,
    installation: true,
    files: { "secrets.yml": entries },
  });
  return { full: `acme/${name}`, port: new GitHubConfigRepo(octokit, "acme", name) };
}

beforeAll(async () => {
  await sodiumReady();
  oldRing = keyRing(newPrivateKey());
  sandbox = await startSandbox();
  sandbox.createOrg("acme");
  const info = sandbox.createRepo({ owner: "acme", name: "seed", installation: true });
  octokit = await installationOctokit(sandbox, info.installationId as number);
});
afterAll(async () => {
  await sandbox.stop();
});

describe("openResealPr", () => {
  it("does nothing, and asks nothing, without a previous key", async () => {
    const { port } = configRepo(sealedEntry(oldRing.current, "A", ["acme/api"], "a"));
    const mark = sandbox.mark();
    expect(await openResealPr(port, { path: "secrets.yml", keys: oldRing })).toMatchObject({
      status: "skipped",
    });
    expect(sandbox.requests({ since: mark })).toEqual([]);
  });

  it("lists what it cannot re-seal, and re-seals the rest", async () => {
    const stranger = keyRing(newPrivateKey());
    const keys = keyRing(newPrivateKey(), [oldRing.current.privateKey]);
    const { full, port } = configRepo(
      sealedEntry(oldRing.current, "A", ["acme/api"], "a") +
        sealedEntry(stranger.current, "B", ["acme/api"], "b") +
        sealedEntry(keys.current, "C", ["acme/api"], "c"),
    );
    const out = await openResealPr(port, { path: "secrets.yml", keys });
    expect(out.status).toBe("opened");
    const pr = sandbox.pullRequest(full, out.pull?.number ?? 0) as {
      body: string;
      head: { ref: string };
    };
    expect(pr.head.ref).toBe(`monobot/reseal-${keys.current.keyId}`);
    expect(pr.body).toContain("re-seals 1 entry to");
    expect(pr.body).toMatch(
      /- line \d+, `B`: it is sealed to key [0-9a-f]{16}, which monobot does not have/,
    );
    expect(pr.body).toContain("1 entry is sealed to");
    // A second run: the same pull request, nothing written.
    const mark = sandbox.mark();
    expect((await openResealPr(port, { path: "secrets.yml", keys })).status).toBe("unchanged");
    const writes = ["pulls/create", "pulls/update", "git/create-tree", "git/create-commit"];
    expect(
      sandbox.requests({ since: mark }).filter((r) => writes.includes(r.operationId ?? "")),
    ).toEqual([]);
  });

  it("is not opened again once its pull request was closed", async () => {
    const keys = keyRing(newPrivateKey(), [oldRing.current.privateKey]);
    const { full, port } = configRepo(sealedEntry(oldRing.current, "A", ["acme/api"], "a"));
    const first = await openResealPr(port, { path: "secrets.yml", keys });
    sandbox.updatePullRequest(full, first.pull?.number ?? 0, { state: "closed" });
    const again = await openResealPr(port, { path: "secrets.yml", keys });
    expect(again.status).toBe("skipped");
    expect(again.message).toContain(
      "was closed without merging; monobot opens one such pull request per key",
    );
  });

  it("refuses a branch whose tip monobot did not write", async () => {
    const keys = keyRing(newPrivateKey(), [oldRing.current.privateKey]);
    const { full, port } = configRepo(sealedEntry(oldRing.current, "A", ["acme/api"], "a"));
    sandbox.pushCommit(full, {
      branch: `monobot/reseal-${keys.current.keyId}`,
      files: { "notes.md": "mine\n" },
    });
    const out = await openResealPr(port, { path: "secrets.yml", keys });
    expect(out.status).toBe("refused");
    expect(out.message).toMatch(/has a commit monobot did not write/);
    sandbox.assertNoViolations();
  });
});
