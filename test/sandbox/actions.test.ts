// Actions in the sandbox: workflow and repository dispatches, workflow runs, and sealed secrets.
import sodium from "libsodium-wrappers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/driver.js";
import { installationOctokit, standardSandbox, type Octokit } from "./helpers.js";

function seal(publicKeyBase64: string, value: string): string {
  const key = sodium.from_base64(publicKeyBase64, sodium.base64_variants.ORIGINAL);
  return sodium.to_base64(sodium.crypto_box_seal(value, key), sodium.base64_variants.ORIGINAL);
}

describe("Actions", () => {
  let sandbox: Sandbox;
  let repo: string;
  let octokit: Octokit;
  const owner = "acme";
  const name = "mono";

  beforeAll(async () => {
    await sodium.ready;
    let installationId: number;
    ({ sandbox, repo, installationId } = await standardSandbox());
    octokit = await installationOctokit(sandbox, installationId);
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  describe("workflow dispatch", () => {
    it("records a dispatch of a workflow file at a ref, with its inputs, and makes a run", async () => {
      const res = await octokit.rest.actions.createWorkflowDispatch({
        owner,
        repo: name,
        workflow_id: "verify.yml",
        ref: "main",
        inputs: { component: "api", sha: "abc" },
      });
      expect(res.status).toBe(204);
      const [dispatch] = sandbox.workflowDispatches(repo);
      expect(dispatch).toMatchObject({
        workflowPath: ".github/workflows/verify.yml",
        ref: "main",
        inputs: { component: "api", sha: "abc" },
        actor: sandbox.botLogin,
      });
      const runs = sandbox.workflowRuns(repo);
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({
        status: "queued",
        head_sha: sandbox.branchSha(repo, "main"),
        event: "workflow_dispatch",
      });
    });

    it.each([
      [
        "a missing workflow file",
        { workflow_id: "nope.yml", ref: "main", inputs: { component: "api" } },
        /does not exist/,
      ],
      [
        "a workflow without workflow_dispatch",
        { workflow_id: "push-only.yml", ref: "main" },
        /workflow_dispatch/,
      ],
      [
        "an unknown ref",
        { workflow_id: "verify.yml", ref: "no-branch", inputs: { component: "api" } },
        /No ref found/,
      ],
      [
        "an undeclared input",
        { workflow_id: "verify.yml", ref: "main", inputs: { component: "api", bogus: "1" } },
        /Unexpected inputs/,
      ],
      [
        "a missing required input",
        { workflow_id: "verify.yml", ref: "main", inputs: {} },
        /Required input 'component'/,
      ],
    ])("answers 422 for %s", async (_name, params, message) => {
      const err = await octokit.rest.actions
        .createWorkflowDispatch({ owner, repo: name, ...params })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 422 });
      expect(
        String((err as { response: { data: { message: string } } }).response.data.message),
      ).toMatch(message);
    });

    it("checks the workflow file at the dispatched ref, not the default branch", async () => {
      sandbox.pushCommit(repo, {
        branch: "no-workflows",
        files: { ".github/workflows/verify.yml": null },
      });
      await expect(
        octokit.rest.actions.createWorkflowDispatch({
          owner,
          repo: name,
          workflow_id: "verify.yml",
          ref: "no-workflows",
          inputs: { component: "api" },
        }),
      ).rejects.toMatchObject({ status: 422 });
    });

    it("records repository dispatches", async () => {
      const res = await octokit.rest.repos.createDispatchEvent({
        owner,
        repo: name,
        event_type: "publish",
        client_payload: { component: "api", version: "1.2.3" },
      });
      expect(res.status).toBe(204);
      expect(sandbox.repositoryDispatches(repo)).toEqual([
        expect.objectContaining({
          eventType: "publish",
          clientPayload: { component: "api", version: "1.2.3" },
        }),
      ]);
    });
  });

  describe("secrets", () => {
    it("stores a value sealed with the repository's public key; the sandbox can open it", async () => {
      const { data: key } = await octokit.rest.actions.getRepoPublicKey({ owner, repo: name });
      expect(key.key_id).toMatch(/^\d+$/);
      expect(Buffer.from(key.key, "base64")).toHaveLength(32);
      const created = await octokit.rest.actions.createOrUpdateRepoSecret({
        owner,
        repo: name,
        secret_name: "DB_PASSWORD",
        encrypted_value: seal(key.key, "s3cr3t"),
        key_id: key.key_id,
      });
      expect(created.status).toBe(201);
      const updated = await octokit.rest.actions.createOrUpdateRepoSecret({
        owner,
        repo: name,
        secret_name: "DB_PASSWORD",
        encrypted_value: seal(key.key, "n3w"),
        key_id: key.key_id,
      });
      expect(updated.status).toBe(204);
      expect(sandbox.secrets(repo)).toEqual({ DB_PASSWORD: "n3w" });
      const { data: list } = await octokit.rest.actions.listRepoSecrets({ owner, repo: name });
      expect(list.total_count).toBe(1);
      expect(list.secrets[0]?.name).toBe("DB_PASSWORD");
      expect(JSON.stringify(list)).not.toContain("n3w");
    });

    it("answers 422 for a stale key_id after the key rotated, and for an unknown one", async () => {
      const { data: old } = await octokit.rest.actions.getRepoPublicKey({ owner, repo: name });
      sandbox.rotateSecretsKey(repo);
      const stale = await octokit.rest.actions
        .createOrUpdateRepoSecret({
          owner,
          repo: name,
          secret_name: "API_TOKEN",
          encrypted_value: seal(old.key, "x"),
          key_id: old.key_id,
        })
        .catch((e: unknown) => e);
      expect(stale).toMatchObject({ status: 422 });
      expect(
        String((stale as { response: { data: { message: string } } }).response.data.message),
      ).toMatch(/stale/);
      await expect(
        octokit.rest.actions.createOrUpdateRepoSecret({
          owner,
          repo: name,
          secret_name: "API_TOKEN",
          encrypted_value: seal(old.key, "x"),
          key_id: "123",
        }),
      ).rejects.toMatchObject({ status: 422 });
      // Refetching the key and re-sealing works; the earlier secret still opens with its retired key.
      const { data: fresh } = await octokit.rest.actions.getRepoPublicKey({ owner, repo: name });
      expect(fresh.key_id).not.toBe(old.key_id);
      await octokit.rest.actions.createOrUpdateRepoSecret({
        owner,
        repo: name,
        secret_name: "API_TOKEN",
        encrypted_value: seal(fresh.key, "tok"),
        key_id: fresh.key_id,
      });
      expect(sandbox.secrets(repo)).toEqual({ DB_PASSWORD: "n3w", API_TOKEN: "tok" });
    });

    it("refuses a value not sealed for the key it names", async () => {
      const { data: key } = await octokit.rest.actions.getRepoPublicKey({ owner, repo: name });
      const other = sodium.crypto_box_keypair();
      const wrong = sodium.to_base64(
        sodium.crypto_box_seal("x", other.publicKey),
        sodium.base64_variants.ORIGINAL,
      );
      await expect(
        octokit.rest.actions.createOrUpdateRepoSecret({
          owner,
          repo: name,
          secret_name: "X",
          encrypted_value: wrong,
          key_id: key.key_id,
        }),
      ).rejects.toMatchObject({ status: 422 });
    });

    it("keeps environment secrets apart, once the environment exists", async () => {
      await expect(
        octokit.rest.actions.getEnvironmentPublicKey({
          owner,
          repo: name,
          environment_name: "production",
        }),
      ).rejects.toMatchObject({ status: 404 });
      sandbox.createEnvironment(repo, "production");
      const { data: key } = await octokit.rest.actions.getEnvironmentPublicKey({
        owner,
        repo: name,
        environment_name: "production",
      });
      await octokit.rest.actions.createOrUpdateEnvironmentSecret({
        owner,
        repo: name,
        environment_name: "production",
        secret_name: "DB_PASSWORD",
        encrypted_value: seal(key.key, "prod"),
        key_id: key.key_id,
      });
      expect(sandbox.secrets(repo, { environment: "production" })).toEqual({ DB_PASSWORD: "prod" });
      expect(sandbox.secrets(repo).DB_PASSWORD).toBe("n3w");
    });
  });

  it("recorded no OpenAPI violations for the conforming calls above", () => {
    expect(sandbox.violations()).toEqual([]);
  });
});
