// Installation events through the Probot app: the repositories they add are scheduled, the ones
// they remove are not (real payloads from @octokit/webhooks-examples).
import { describe, expect, it } from "vitest";
import { makeProbot } from "../helpers/probot.js";
import { examplePayload } from "../helpers/payloads.js";

type Repo = { full_name: string };

describe("installation events reach the scheduler", () => {
  it("installation_repositories: added repositories are scheduled, removed ones dropped", async () => {
    const { probot, services } = await makeProbot();
    const added = examplePayload<{
      action: string;
      installation: { id: number };
      repositories_added: Repo[];
      repositories_removed: Repo[];
    }>("installation_repositories", "added");
    expect(added.repositories_added.length).toBeGreaterThan(0);
    await probot.receive({
      id: "inst-1",
      name: "installation_repositories",
      payload: added,
    } as Parameters<typeof probot.receive>[0]);
    const names = added.repositories_added.map((r) => r.full_name).sort();
    expect(services.scheduler.repositories.map((r) => `${r.owner}/${r.repo}`).sort()).toEqual(
      names,
    );
    expect(services.scheduler.repositories.map((r) => r.installationId)).toEqual(
      names.map(() => added.installation.id),
    );

    const removed = structuredClone(added);
    removed.repositories_removed = removed.repositories_added;
    removed.repositories_added = [];
    removed.action = "removed";
    await probot.receive({
      id: "inst-2",
      name: "installation_repositories",
      payload: removed,
    } as Parameters<typeof probot.receive>[0]);
    expect(services.scheduler.repositories).toEqual([]);
  });

  it("installation created: its repositories are scheduled", async () => {
    const { probot, services } = await makeProbot();
    const created = examplePayload<{ repositories?: Repo[] }>("installation", "created");
    const names = (created.repositories ?? []).map((r) => r.full_name).sort();
    expect(names.length).toBeGreaterThan(0);
    await probot.receive({
      id: "inst-3",
      name: "installation",
      payload: created,
    } as Parameters<typeof probot.receive>[0]);
    expect(services.scheduler.repositories.map((r) => `${r.owner}/${r.repo}`).sort()).toEqual(
      names,
    );
  });
});
