// The target lookups of monobot/secrets: each repository once, a bounded number of targets, failures left unknown.
import { describe, expect, it } from "vitest";
import { parseTarget, type SecretTarget } from "../../src/core/secrets-file.js";
import type { ChangeSnapshot } from "../../src/core/types.js";
import { resolvePolicy } from "../../src/core/policy.js";
import {
  lookupSecretTargets,
  sealedSecretsFacts,
  SECRET_TARGET_LOOKUPS_PER_EVENT,
  type SecretTargetsPort,
} from "../../src/workflows/secret-targets.js";

function target(text: string): SecretTarget {
  const r = parseTarget(text);
  if (!r.ok) throw new Error(r.problem);
  return r.target;
}

/** A fake GitHub: installed repos (their config repo), visible repos, environments; counts calls. */
function fakePort(world: {
  installed: Record<string, string>;
  visible?: string[];
  environments?: string[];
  failing?: string[];
}) {
  const calls: string[] = [];
  const port: SecretTargetsPort = {
    installationOf(owner, repo) {
      const full = `${owner}/${repo}`;
      calls.push(`installation ${full}`);
      if (world.failing?.includes(full))
        return Promise.reject(Object.assign(new Error("boom"), { status: 502 }));
      return Promise.resolve(full in world.installed ? 7 : null);
    },
    repositoryExists(owner, repo) {
      calls.push(`exists ${owner}/${repo}`);
      return Promise.resolve((world.visible ?? []).includes(`${owner}/${repo}`));
    },
    environmentExists(owner, repo, _id, environment) {
      calls.push(`environment ${owner}/${repo}@${environment}`);
      return Promise.resolve(
        (world.environments ?? []).includes(`${owner}/${repo}@${environment}`),
      );
    },
    policyOf(owner, repo) {
      calls.push(`policy ${owner}/${repo}`);
      return Promise.resolve({
        deploy: { config_repo: world.installed[`${owner}/${repo}`] ?? "" },
      } as never);
    },
  };
  return { port, calls };
}

const SOURCE = { owner: "acme", name: "config" };

describe("lookupSecretTargets", () => {
  it("asks about each repository once and each named environment once", async () => {
    const { port, calls } = fakePort({
      installed: { "acme/api": "acme/config", "acme/web": "" },
      visible: ["acme/lonely"],
      environments: ["acme/api@production"],
    });
    const found = await lookupSecretTargets(
      port,
      SOURCE,
      [
        "acme/api",
        "acme/api@production",
        "acme/api@staging",
        "acme/web",
        "acme/lonely",
        "acme/ghost",
      ].map(target),
    );
    expect(Object.fromEntries(found.statuses)).toEqual({
      "acme/api": { exists: true, installed: true },
      "acme/api@production": { exists: true, installed: true, environment: true },
      "acme/api@staging": { exists: true, installed: true, environment: false },
      "acme/web": {
        exists: true,
        installed: true,
        refusal: expect.stringMatching(/^acme\/web does not take sealed secrets from acme\/config/),
      },
      "acme/lonely": { exists: true, installed: false },
      "acme/ghost": { exists: false, installed: false },
    });
    expect(found.notChecked).toEqual([]);
    expect(calls.filter((c) => c.startsWith("installation acme/api"))).toHaveLength(1);
    expect(calls.filter((c) => c.startsWith("policy acme/api"))).toHaveLength(1);
    expect(calls.filter((c) => c.startsWith("environment"))).toHaveLength(2);
  });

  it(`looks up at most ${SECRET_TARGET_LOOKUPS_PER_EVENT} targets and names the rest`, async () => {
    const { port, calls } = fakePort({ installed: {} });
    const many = Array.from({ length: SECRET_TARGET_LOOKUPS_PER_EVENT + 3 }, (_, i) =>
      target(`acme/r${i}`),
    );
    const found = await lookupSecretTargets(port, SOURCE, many);
    expect(found.statuses.size).toBe(SECRET_TARGET_LOOKUPS_PER_EVENT);
    expect(found.notChecked).toEqual(["acme/r20", "acme/r21", "acme/r22"]);
    expect(calls.filter((c) => c.startsWith("installation"))).toHaveLength(
      SECRET_TARGET_LOOKUPS_PER_EVENT,
    );
  });

  it("leaves a target unknown (not a verdict) when GitHub fails to answer", async () => {
    const { port } = fakePort({ installed: { "acme/api": "acme/config" }, failing: ["acme/down"] });
    const found = await lookupSecretTargets(port, SOURCE, [
      target("acme/down"),
      target("acme/api"),
    ]);
    expect([...found.statuses.keys()]).toEqual(["acme/api"]);
    expect(found.notChecked).toEqual(["acme/down"]);
  });
});

describe("sealedSecretsFacts", () => {
  const policy = (() => {
    const r = resolvePolicy([]);
    if (!r.ok) throw new Error("defaults");
    return r.policy;
  })();
  const snapshot = (files: { path: string; status: string }[], text?: string) =>
    ({
      files,
      contents: new Map(text === undefined ? [] : [["head:secrets.yml", text]]),
    }) as unknown as ChangeSnapshot;

  it("looks nothing up when the change does not touch the secrets file", async () => {
    const { port, calls } = fakePort({ installed: {} });
    const facts = sealedSecretsFacts({ port, source: SOURCE, keys: undefined });
    expect(
      await facts(snapshot([{ path: "README.md", status: "modified" }]), policy),
    ).toBeUndefined();
    expect(
      await facts(snapshot([{ path: "secrets.yml", status: "removed" }]), policy),
    ).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it("looks up the targets named in the changed file", async () => {
    const { port } = fakePort({ installed: { "acme/api": "acme/config" } });
    const facts = sealedSecretsFacts({ port, source: SOURCE, keys: undefined, limit: 1 });
    const text = `- name: A\n  targets: [acme/api, acme/web]\n  key_id: "0123456789abcdef"\n  sealed: x\n`;
    const got = await facts(snapshot([{ path: "secrets.yml", status: "added" }], text), policy);
    expect(got?.keyIds).toBeUndefined();
    expect([...(got?.targets?.keys() ?? [])]).toEqual(["acme/api"]);
    expect(got?.notChecked).toEqual(["acme/web"]);
  });
});
