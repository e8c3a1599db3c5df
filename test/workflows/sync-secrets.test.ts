// The sync of sealed secrets against the sandbox's Actions secrets: what was PUT is opened with the
// sandbox's private keys and compared with the plaintext; stale keys, limits, refusals and pruning.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderSecretSyncReport } from "../../src/core/secrets-sync-report.js";
import { GitHubActionsSecrets } from "../../src/forge/actions-secrets.js";
import type { Sandbox } from "../../src/sandbox/driver.js";
import { keyRing, newPrivateKey, sodiumReady, type KeyRing } from "../../src/secrets/sealing.js";
import { syncSecrets, type SyncSecretsRequest } from "../../src/workflows/sync-secrets.js";
import { resealFile } from "../../src/secrets/reseal.js";
import { sealedEntry } from "../helpers/sealed-secrets.js";
import { installationOctokit, type Octokit } from "../sandbox/helpers.js";
import { startSandbox } from "../../src/sandbox/driver.js";

let sandbox: Sandbox;
let octokit: Octokit;
let ring: KeyRing;
let n = 0;

/** A fresh repository of `acme` (monobot installed), so each test starts from no secrets. */
function repo(environments: string[] = []): { full: string; name: string; id: number } {
  const name = `svc-${++n}`;
  const info = sandbox.createRepo({ owner: "acme", name, installation: true });
  for (const e of environments) sandbox.createEnvironment(info.fullName, e);
  return { full: info.fullName, name, id: info.id };
}

function request(over: Partial<SyncSecretsRequest> & { after: string }): SyncSecretsRequest {
  return {
    path: "secrets.yml",
    before: null,
    keys: ring,
    prune: false,
    portFor: (owner, name) => new GitHubActionsSecrets(octokit, owner, name),
    ...over,
  };
}

function puts(since: number): number {
  return sandbox.requests({ since, method: "PUT" }).filter((r) => r.operationId?.includes("secret"))
    .length;
}

beforeAll(async () => {
  await sodiumReady();
  ring = keyRing(newPrivateKey());
  sandbox = await startSandbox();
  sandbox.createOrg("acme");
  sandbox.createOrg("outside");
  const config = sandbox.createRepo({ owner: "acme", name: "config", installation: true });
  octokit = await installationOctokit(sandbox, config.installationId as number);
});
afterAll(async () => {
  await sandbox.stop();
});

describe("syncSecrets", () => {
  it("writes every entry on a full sync, sealed so the target's private key opens the plaintext", async () => {
    const api = repo(["production"]);
    const web = repo();
    const file =
      "# sealed secrets of the platform\n" +
      sealedEntry(
        ring.current,
        "DB_PASSWORD",
        [api.full, `${api.full}@production`],
        "pg-Pa55\nword",
      ) +
      sealedEntry(ring.current, "db_url", [web.full], "postgres://db:5432/app");
    const report = await syncSecrets(request({ after: file }));
    expect(report.results.map((r) => [r.name, r.target, r.status, r.reason])).toEqual([
      ["DB_PASSWORD", api.full, "ok", "created"],
      ["DB_PASSWORD", `${api.full}@production`, "ok", "created"],
      ["DB_URL", web.full, "ok", "created"],
    ]);
    expect(sandbox.secrets(api.full)).toEqual({ DB_PASSWORD: "pg-Pa55\nword" });
    expect(sandbox.secrets(api.full, { environment: "production" })).toEqual({
      DB_PASSWORD: "pg-Pa55\nword",
    });
    expect(sandbox.secrets(web.full)).toEqual({ DB_URL: "postgres://db:5432/app" });
    const out = renderSecretSyncReport(report);
    expect(out.conclusion).toBe("success");
    expect(out.title).toBe("Sealed secrets: 3 written");
    expect(sandbox.violations()).toEqual([]);
  });

  it("on a push, writes only the changed entries, and keeps or prunes removed ones", async () => {
    const api = repo();
    const a = sealedEntry(ring.current, "A", [api.full], "a1");
    const before =
      a +
      sealedEntry(ring.current, "B", [api.full], "b1") +
      sealedEntry(ring.current, "C", [api.full], "c1");
    await syncSecrets(request({ after: before }));
    const after =
      a + // unchanged, byte for byte
      sealedEntry(ring.current, "B", [api.full], "b2") +
      sealedEntry(ring.current, "D", [api.full], "d1");
    const mark = sandbox.mark();
    const kept = await syncSecrets(request({ before, after }));
    expect(kept.unchanged).toBe(1);
    expect(kept.results.map((r) => [r.name, r.action, r.status, r.reason])).toEqual([
      ["B", "write", "ok", "updated"],
      ["D", "write", "ok", "created"],
      ["C", "delete", "skipped", expect.stringMatching(/secrets.prune is false/)],
    ]);
    expect(puts(mark)).toBe(2);
    expect(sandbox.secrets(api.full)).toEqual({ A: "a1", B: "b2", C: "c1", D: "d1" });

    const pruned = await syncSecrets(request({ before, after, prune: true }));
    expect(pruned.results.find((r) => r.action === "delete")).toMatchObject({
      name: "C",
      status: "ok",
      reason: "deleted",
    });
    expect(sandbox.secrets(api.full)).toEqual({ A: "a1", B: "b2", D: "d1" });
  });

  it("refuses a sealed value copied into an entry naming another repository, and writes nothing for it", async () => {
    const api = repo();
    const evil = repo();
    const good = sealedEntry(ring.current, "DB_PASSWORD", [api.full], "s3cr3t");
    const sealedLine = /sealed: (\S+)/.exec(good)?.[1] ?? "";
    const copied = sealedEntry(ring.current, "DB_PASSWORD", [evil.full], "other").replace(
      /sealed: \S+/,
      `sealed: ${sealedLine}`,
    );
    const renamed = sealedEntry(ring.current, "API_TOKEN", [evil.full], "x", {
      sealedFor: { name: "DB_PASSWORD", targets: [evil.full] },
    });
    const widened = sealedEntry(ring.current, "DB_PASSWORD", [api.full, evil.full], "x", {
      sealedFor: { targets: [api.full] },
    });
    const report = await syncSecrets(request({ after: good + copied + renamed }));
    expect(report.results.map((r) => [r.name, r.target, r.status])).toEqual([
      ["DB_PASSWORD", api.full, "ok"],
      ["DB_PASSWORD", evil.full, "refused"],
      ["API_TOKEN", evil.full, "refused"],
    ]);
    expect(report.results[1]?.reason).toMatch(
      new RegExp(`sealed for the targets ${api.full}, not ${evil.full}`),
    );
    expect(report.results[2]?.reason).toMatch(/sealed for the secret DB_PASSWORD, not API_TOKEN/);
    expect(sandbox.secrets(evil.full)).toEqual({});
    expect(sandbox.secrets(api.full)).toEqual({ DB_PASSWORD: "s3cr3t" });
    const out = renderSecretSyncReport(report);
    expect(out.conclusion).toBe("failure");
    expect(out.title).toBe("Sealed secrets: 1 written, 2 refused");
    expect(out.summary).toMatch(/\*\*Refused\*\*/);

    // A target added to an entry without sealing again: nothing is written for the entry, not
    // even to the target it was sealed for.
    const third = await syncSecrets(request({ before: good, after: widened }));
    expect(third.results.map((r) => [r.target, r.status])).toEqual([
      [api.full, "refused"],
      [evil.full, "refused"],
    ]);
    expect(sandbox.secrets(evil.full)).toEqual({});
  });

  it("re-reads the public key once when GitHub rotated it (422 for a stale key id)", async () => {
    const api = repo();
    let rotated = false;
    const portFor: SyncSecretsRequest["portFor"] = (owner, name) => {
      const real = new GitHubActionsSecrets(octokit, owner, name);
      return {
        publicKey: async (env) => {
          const key = await real.publicKey(env);
          if (!rotated) {
            rotated = true;
            // GitHub rotates the key between monobot's read and its write.
            const res = await fetch(`${sandbox.url}/_sandbox/secrets/rotate`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ repo: api.full }),
            });
            expect(res.status).toBe(200);
          }
          return key;
        },
        putSecret: (...a) => real.putSecret(...a),
        listSecretNames: (env) => real.listSecretNames(env),
        deleteSecret: (...a) => real.deleteSecret(...a),
        repositoryId: () => real.repositoryId(),
      };
    };
    const mark = sandbox.mark();
    const report = await syncSecrets(
      request({ after: sealedEntry(ring.current, "TOKEN", [api.full], "t0k3n"), portFor }),
    );
    expect(report.results).toMatchObject([{ status: "ok" }]);
    expect(sandbox.secrets(api.full)).toEqual({ TOKEN: "t0k3n" });
    const calls = sandbox
      .requests({ since: mark })
      .filter((r) => /secret|public-key/.test(r.operationId ?? ""))
      .map((r) => `${r.operationId} ${r.status}`);
    expect(calls).toEqual([
      "actions/list-repo-secrets 200",
      "actions/get-repo-public-key 200",
      "actions/create-or-update-repo-secret 422",
      "actions/get-repo-public-key 200",
      "actions/create-or-update-repo-secret 201",
    ]);
  });

  it("reads each scope's public key and secret names once per run", async () => {
    const api = repo();
    let file = "";
    for (let i = 0; i < 5; i++) file += sealedEntry(ring.current, `S${i}`, [api.full], `v${i}`);
    const mark = sandbox.mark();
    await syncSecrets(request({ after: file }));
    const ops = sandbox.requests({ since: mark }).map((r) => r.operationId);
    expect(ops.filter((o) => o === "actions/get-repo-public-key")).toHaveLength(1);
    expect(ops.filter((o) => o === "actions/list-repo-secrets")).toHaveLength(1);
    expect(ops.filter((o) => o === "actions/create-or-update-repo-secret")).toHaveLength(5);
  });

  it("refuses a secret that would make 101 in a repository, naming the entry", async () => {
    const api = repo();
    const { data: key } = await octokit.rest.actions.getRepoPublicKey({
      owner: "acme",
      repo: api.name,
    });
    const { sealForGitHub } = await import("../../src/secrets/sealing.js");
    for (let i = 0; i < 99; i++) {
      await octokit.rest.actions.createOrUpdateRepoSecret({
        owner: "acme",
        repo: api.name,
        secret_name: `EXISTING_${i}`,
        encrypted_value: sealForGitHub(new Uint8Array([i + 1]), key.key),
        key_id: key.key_id,
      });
    }
    const file =
      sealedEntry(ring.current, "EXISTING_3", [api.full], "replaced") +
      sealedEntry(ring.current, "NEW_ONE", [api.full], "fits") +
      sealedEntry(ring.current, "NEW_TWO", [api.full], "too many");
    const report = await syncSecrets(request({ after: file }));
    expect(report.results.map((r) => [r.name, r.status, r.line])).toEqual([
      ["EXISTING_3", "ok", 2],
      ["NEW_ONE", "ok", 8],
      ["NEW_TWO", "refused", 14],
    ]);
    expect(report.results[2]?.reason).toMatch(
      /has 100 secrets already and GitHub keeps at most 100 per repository: NEW_TWO would be one too many/,
    );
    expect(Object.keys(sandbox.secrets(api.full))).toHaveLength(100);
  });

  it("fails a target that is missing, not installed, or lacks the environment, and goes on", async () => {
    const api = repo();
    sandbox.createRepo({ owner: "outside", name: "svc" });
    const file =
      sealedEntry(ring.current, "A", [api.full], "a") +
      sealedEntry(
        ring.current,
        "B",
        ["outside/svc", `${api.full}@nope`, "acme/does-not-exist"],
        "b",
      ) +
      sealedEntry(ring.current, "C", [api.full], "c");
    const report = await syncSecrets(request({ after: file }));
    expect(report.results.map((r) => [r.name, r.target, r.status])).toEqual([
      ["A", api.full, "ok"],
      ["B", "outside/svc", "failed"],
      ["B", `${api.full}@nope`, "failed"],
      ["B", "acme/does-not-exist", "failed"],
      ["C", api.full, "ok"],
    ]);
    for (const r of report.results.filter((x) => x.status === "failed"))
      expect(r.reason).toMatch(/GitHub answered 404/);
    expect(sandbox.secrets(api.full)).toEqual({ A: "a", C: "c" });
  });

  it("checks pinned repository ids: a re-created repository does not get the secret", async () => {
    const api = repo();
    const file =
      sealedEntry(ring.current, "PINNED_OK", [api.full], "p", { repoIds: { [api.full]: api.id } }) +
      sealedEntry(ring.current, "PINNED_OLD", [api.full], "q", { repoIds: { [api.full]: 1 } });
    const report = await syncSecrets(request({ after: file }));
    expect(report.results.map((r) => [r.name, r.status])).toEqual([
      ["PINNED_OK", "ok"],
      ["PINNED_OLD", "refused"],
    ]);
    expect(report.results[1]?.reason).toMatch(
      /sealed for the repository with id 1 \(was it deleted and re-created\?\)/,
    );
    expect(sandbox.secrets(api.full)).toEqual({ PINNED_OK: "p" });
  });

  it("opens entries sealed to a previous key, and refuses those sealed to an unknown one", async () => {
    const api = repo();
    const old = keyRing(newPrivateKey());
    const rotatedRing = keyRing(newPrivateKey(), [old.current.privateKey]);
    const stranger = keyRing(newPrivateKey());
    const file =
      sealedEntry(old.current, "OLD", [api.full], "still works") +
      sealedEntry(stranger.current, "STRANGER", [api.full], "no");
    const report = await syncSecrets(request({ after: file, keys: rotatedRing }));
    expect(report.results.map((r) => [r.name, r.status])).toEqual([
      ["OLD", "ok"],
      ["STRANGER", "refused"],
    ]);
    expect(report.results[1]?.reason).toMatch(/not among monobot's keys/);
    expect(sandbox.secrets(api.full)).toEqual({ OLD: "still works" });
  });

  it("after a key rotation, leaves alone the secrets whose value did not change", async () => {
    const api = repo();
    const before =
      sealedEntry(ring.current, "KEEP", [api.full], "same") +
      sealedEntry(ring.current, "MISSING", [api.full], "was never written");
    await syncSecrets(request({ after: before.split("\n- name").slice(0, 2).join("\n- name") }));
    expect(Object.keys(sandbox.secrets(api.full))).toEqual(["KEEP"]);
    const rotated = keyRing(newPrivateKey(), [ring.current.privateKey]);
    const resealed = resealFile(before, rotated, rotated.current);
    if (!resealed.ok) throw new Error(resealed.reason);
    const mark = sandbox.mark();
    const report = await syncSecrets(request({ before, after: resealed.text, keys: rotated }));
    expect(report.results.map((r) => [r.name, r.status, r.reason])).toEqual([
      ["KEEP", "skipped", "re-sealed with the same value: left as it is"],
      ["MISSING", "ok", "created"],
    ]);
    expect(puts(mark)).toBe(1);
    expect(sandbox.secrets(api.full)).toEqual({ KEEP: "same", MISSING: "was never written" });
  });

  it("writes nothing when the file does not parse", async () => {
    const report = await syncSecrets(request({ before: "", after: "- name: [\n" }));
    expect(report.results).toEqual([]);
    const out = renderSecretSyncReport(report);
    expect(out.conclusion).toBe("failure");
    expect(out.title).toMatch(/could not be read: no secret was written/);
  });
});
