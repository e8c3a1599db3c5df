// One sync run and its check run: once per delivery, a run left in progress taken over, errors reported.
import { beforeAll, describe, expect, it } from "vitest";
import { SECRETS_SYNC_CHECK } from "../../src/core/secrets-provisioning.js";
import type { CheckRunRecord } from "../../src/forge/port.js";
import { keyRing, newPrivateKey, sodiumReady, type KeyRing } from "../../src/secrets/sealing.js";
import {
  syncSecretsChecked,
  type SyncSecretsCheckedPort,
  type SyncSecretsCheckedRequest,
} from "../../src/workflows/sync-secrets-checked.js";
import { sealedEntry } from "../helpers/sealed-secrets.js";

let ring: KeyRing;
beforeAll(async () => {
  await sodiumReady();
  ring = keyRing(newPrivateKey());
});

function fakeChecks(existing: CheckRunRecord[] = []) {
  const created: unknown[] = [];
  const updates: { id: number; input: unknown }[] = [];
  const port: SyncSecretsCheckedPort = {
    listCheckRuns: () => Promise.resolve(existing),
    createCheckRun: (input) => {
      created.push(input);
      return Promise.resolve(99);
    },
    updateCheckRun: (id, input) => {
      updates.push({ id, input });
      return Promise.resolve();
    },
  };
  return { port, created, updates };
}

function request(
  over: Partial<SyncSecretsCheckedRequest> = {},
): SyncSecretsCheckedRequest & { asked: string[] } {
  const asked: string[] = [];
  return {
    path: "secrets.yml",
    sha: "a".repeat(40),
    externalId: "d-1.secrets",
    before: null,
    after: sealedEntry(ring.current, "A", ["acme/api"], "a"),
    keys: ring,
    prune: false,
    trigger: { kind: "push", sha: "a".repeat(40) },
    portFor: (owner, repo) => {
      asked.push(`${owner}/${repo}`);
      return Promise.reject(Object.assign(new Error("Not Found"), { status: 404 }));
    },
    ...over,
    asked,
  };
}

const run = (status: string, externalId = "d-1.secrets"): CheckRunRecord => ({
  id: 7,
  name: SECRETS_SYNC_CHECK,
  headSha: "a".repeat(40),
  status,
  conclusion: status === "completed" ? "success" : null,
  externalId,
});

describe("syncSecretsChecked", () => {
  it("does nothing for a delivery whose check run is completed", async () => {
    const { port, created, updates } = fakeChecks([run("completed")]);
    const req = request();
    expect(await syncSecretsChecked(port, req)).toEqual({ status: "already-done", checkRunId: 7 });
    expect([created, updates, req.asked]).toEqual([[], [], []]);
  });

  it("takes over a check run left in progress, and completes it", async () => {
    const { port, created, updates } = fakeChecks([run("in_progress"), run("completed", "other")]);
    const req = request();
    const out = await syncSecretsChecked(port, req);
    expect(out.status).toBe("done");
    expect(created).toEqual([]);
    expect(req.asked).toEqual(["acme/api"]);
    expect(updates).toEqual([
      {
        id: 7,
        input: expect.objectContaining({
          conclusion: "failure",
          output: expect.objectContaining({ title: "Sealed secrets: 1 failed" }),
        }),
      },
    ]);
  });

  it("reports a missing key as a failure, without asking any target", async () => {
    const { port, created, updates } = fakeChecks();
    const req = request({ keys: undefined });
    await syncSecretsChecked(port, req);
    expect(created).toEqual([
      expect.objectContaining({ status: "in_progress", externalId: "d-1.secrets" }),
    ]);
    expect(updates[0]?.input).toMatchObject({
      conclusion: "failure",
      output: { title: "monobot has no sealing key: no secret was written" },
    });
    expect(req.asked).toEqual([]);
  });

  it("completes the check run when the sync stops with an error, and says only its kind", async () => {
    const { port, updates } = fakeChecks();
    // Anything outside the per-target handling: here the log itself fails.
    const broken = Object.assign(new TypeError("token ghs_abc in a message"), { status: 500 });
    const fail = () => {
      throw broken;
    };
    const log = { debug: fail, info: fail, warn: fail, error: fail, child: () => log };
    const req = request({ log, portFor: () => Promise.reject(new Error("unreachable")) });
    await expect(syncSecretsChecked(port, req)).rejects.toThrow(TypeError);
    const output = JSON.stringify(updates[0]?.input);
    expect(output).toContain("TypeError, HTTP 500");
    expect(output).not.toContain("ghs_abc");
  });
});
