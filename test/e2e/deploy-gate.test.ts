// End to end: the deployment gate holds config-repo pull requests in a freeze window and releases
// them by itself when it ends, through the real server process (its durable timer) and the sandbox.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../../src/demo.js";
import {
  E2E_TIMEOUT_MS,
  deliverAndWait,
  startWorld,
  violationLines,
  type CheckRunView,
  type CommentView,
  type World,
} from "./harness.js";

const CONFIG_REPO = "acme/config";
const MINUTE = 60_000;
/** Time left in the window after the pull requests were opened and commented on. */
const LEAD_MS = 40_000;

/** A one-off UTC window from a minute ago to the first minute boundary at least LEAD_MS away. */
function freezeWindow(now: number): { from: string; to: string; endsAt: number } {
  const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16);
  const endsAt = Math.ceil((now + LEAD_MS) / MINUTE) * MINUTE;
  return { from: minute(Math.floor(now / MINUTE) * MINUTE - MINUTE), to: minute(endsAt), endsAt };
}

function gateRuns(world: World, sha: string): CheckRunView[] {
  // The driver returns the REST shape as plain records; these are the fields the test reads.
  return (world.sandbox.checkRuns(CONFIG_REPO, sha) as unknown as CheckRunView[])
    .filter((r) => r.name === "monobot/deploy-gate")
    .sort((a, b) => a.id - b.id);
}

function comments(world: World, pr: number): CommentView[] {
  return world.sandbox.comments(CONFIG_REPO, pr) as unknown as CommentView[];
}

describe("the deployment gate, end to end", () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld({ env: { MONOBOT_SCHEDULER: "off" } });
  });
  afterEach(() => {
    expect(violationLines(world)).toEqual([]);
  });
  afterAll(async () => {
    await world?.close();
  });

  it(
    "holds chart changes in a freeze, lets an admin override one, and releases them when it ends",
    async () => {
      const window = freezeWindow(Date.now());
      const { sandbox } = world;
      sandbox.createRepo({
        owner: "acme",
        name: "config",
        installation: true,
        files: {
          ".github/monobot.yml": [
            "deploy:",
            "  freeze:",
            `    - from: "${window.from}"`,
            `      to: "${window.to}"`,
            "      timezone: UTC",
            "      reason: end-to-end freeze",
            "",
          ].join("\n"),
          "charts/aether/Chart.yaml": "apiVersion: v2\nname: aether\nversion: 0.4.1\n",
          "charts/aether/values.yaml": "image:\n  tag: 1.2.3\n",
        },
      });
      sandbox.setPermission(CONFIG_REPO, "alice", "admin");
      const open = (branch: string, tag: string) => {
        sandbox.pushCommit(CONFIG_REPO, {
          branch,
          author: "alice",
          message: `aether ${tag}`,
          files: { "charts/aether/values.yaml": `image:\n  tag: ${tag}\n` },
        });
        return sandbox.openPullRequest(CONFIG_REPO, { head: branch, user: "alice" });
      };
      const held = open("aether-1.2.4", "1.2.4");
      const urgent = open("aether-1.2.5", "1.2.5");
      for (const pr of [held, urgent]) {
        await deliverAndWait(
          world,
          sandbox.events.pullRequest({ repo: CONFIG_REPO, number: pr.number, action: "opened" }),
        );
        const [run] = gateRuns(world, pr.headSha);
        expect(run?.conclusion).toBe("failure");
        expect(run?.output.title).toContain("end-to-end freeze");
        expect(run?.output.summary).toContain(
          `${new Date(window.endsAt).toISOString().slice(0, 16).replace("T", " ")} UTC`,
        );
      }

      // bob, an organization member with read access, may not override: one reply, no new check.
      const bobs = sandbox.comment(CONFIG_REPO, urgent.number, {
        user: "bob",
        body: "/deploy-anyway it is fine",
      });
      await deliverAndWait(
        world,
        sandbox.events.issueComment({ repo: CONFIG_REPO, commentId: bobs.id }),
      );
      const replies = comments(world, urgent.number).filter((c) => c.id > bobs.id);
      expect(replies).toHaveLength(1);
      expect(replies[0]?.body).toMatch(/^@bob `\/deploy-anyway` was not run: only admins/);
      expect(gateRuns(world, urgent.headSha)).toHaveLength(1);

      // alice, an admin, overrides it: neutral, with who and why.
      const alices = sandbox.comment(CONFIG_REPO, urgent.number, {
        user: "alice",
        body: "/deploy-anyway hotfix for INC-7",
      });
      await deliverAndWait(
        world,
        sandbox.events.issueComment({ repo: CONFIG_REPO, commentId: alices.id }),
      );
      const overridden = gateRuns(world, urgent.headSha).at(-1);
      expect(overridden?.conclusion).toBe("neutral");
      expect(overridden?.output.title).toBe("Freeze overridden by @alice: hotfix for INC-7");
      const summary = comments(world, urgent.number).find(
        (c) => c.user.login === sandbox.botLogin && c.body.startsWith("<!-- monobot:summary -->"),
      );
      expect(summary?.body).toContain(`<!-- monobot:deploy-anyway sha=${urgent.headSha} by=alice`);
      expect(Date.now()).toBeLessThan(window.endsAt);

      // No event: the server's own timer evaluates the gate again when the window ends.
      await waitUntil(() => gateRuns(world, held.headSha).at(-1)?.conclusion === "success", {
        timeoutMs: window.endsAt - Date.now() + 30_000,
        what: "monobot/deploy-gate to pass by itself once the freeze ends",
        intervalMs: 250,
      });
      const released = gateRuns(world, held.headSha).at(-1);
      expect(released?.external_id).toBe(
        `deploy-gate@${new Date(window.endsAt).toISOString()}:${CONFIG_REPO}#${held.number}`,
      );
      expect(released?.output.title).toBe("No deploy freeze now");
      await waitUntil(() => gateRuns(world, urgent.headSha).at(-1)?.conclusion === "success", {
        timeoutMs: 30_000,
        what: "the overridden pull request's gate to pass too",
      });
    },
    E2E_TIMEOUT_MS + 2 * MINUTE,
  );
});
