// End to end: access rules through the real server process and the GitHub sandbox (reviews, teams).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  E2E_TIMEOUT_MS,
  checkRunsOn,
  deliverAndWait,
  startWorld,
  violationLines,
  type World,
} from "./harness.js";
import { exampleFiles } from "../helpers/env-config.js";

const ACCESS = `
access:
  rules:
    - name: infrastructure
      paths: ["infra/**"]
      approve: { count: 2, teams: [acme/platform] }
  unmatched: allow
  owners: { teams: [acme/platform] }
`;

const CONFIG = "acme/aether-config";
const FLEET = "fleet/aether/fleet.yaml";

/** The Fleet example config repo with a production rule: SRE approves production and runs its commands. */
function configRepoWithProductionRule(): Record<string, string> {
  const files = exampleFiles(undefined);
  files[".github/monobot.yml"] = `${files[".github/monobot.yml"] ?? ""}
access:
  rules:
    - name: production
      environments: [production]
      approve: { count: 1, teams: [acme/sre] }
      commands: [promote, rollback, deploy-anyway]
  unmatched: allow
  owners: { teams: [acme/platform] }
`;
  return files;
}

describe("access rules, end to end", () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld({ env: { MONOBOT_SCHEDULER: "off" } });
    world.sandbox.createUser("carol", { name: "Carol Chen", email: "carol@example.com" });
    world.sandbox.addOrgMember("acme", "carol");
    world.sandbox.createTeam("acme", "platform", ["bob", "carol"]);
    world.sandbox.createUser("sam", { name: "Sam Reliability", email: "sam@example.com" });
    world.sandbox.addOrgMember("acme", "sam");
    world.sandbox.createTeam("acme", "sre", ["sam"]);
    world.sandbox.createRepo({
      owner: "acme",
      name: "aether-config",
      installation: true,
      files: configRepoWithProductionRule(),
    });
    const policy = world.sandbox.readFile(world.repo, "main", ".github/monobot.yml") ?? "";
    world.sandbox.pushCommit(world.repo, {
      branch: "main",
      author: "alice",
      message: "Access rules for infra\n\nSigned-off-by: Alice Liddell <alice@example.com>",
      files: { ".github/monobot.yml": `${policy}${ACCESS}` },
    });
  }, E2E_TIMEOUT_MS);
  afterEach(() => {
    expect(violationLines(world)).toEqual([]);
  });
  afterAll(async () => {
    await world?.close();
  });

  it(
    "a PR touching infra/** stays failing with one platform approval and passes with two",
    async () => {
      world.sandbox.pushCommit(world.repo, {
        branch: "infra-change",
        author: "alice",
        message: "infra: a network\n\nSigned-off-by: Alice Liddell <alice@example.com>",
        files: { "infra/network.tf": 'resource "net" "main" {}\n' },
      });
      const pr = world.sandbox.openPullRequest(world.repo, {
        head: "infra-change",
        user: "alice",
        title: "infra: a network",
      });
      const access = () =>
        checkRunsOn(world, pr.headSha).filter((r) => r.name === "monobot/access");

      await deliverAndWait(
        world,
        world.sandbox.events.pullRequest({ repo: world.repo, number: pr.number, action: "opened" }),
      );
      expect(access()).toHaveLength(1);
      expect(access()[0]).toMatchObject({ conclusion: "failure" });
      expect(access()[0]?.output.summary).toContain(
        "infrastructure: 0 of 2 approvals from @acme/platform",
      );
      expect(access()[0]?.annotations).toContainEqual(
        expect.objectContaining({ path: "infra/network.tf" }),
      );

      // The author's own approval and one platform member's: still one of two.
      for (const user of ["alice", "bob"]) {
        const review = world.sandbox.review(world.repo, pr.number, { user, state: "APPROVED" });
        await deliverAndWait(
          world,
          world.sandbox.events.pullRequestReview({
            repo: world.repo,
            number: pr.number,
            reviewId: review.id,
          }),
        );
      }
      expect(access()).toHaveLength(1);
      expect(access()[0]).toMatchObject({ conclusion: "failure" });
      expect(access()[0]?.output.summary).toContain(
        "infrastructure: 1 of 2 approvals from @acme/platform; approved by @bob",
      );
      expect(access()[0]?.output.summary).toContain("@alice: the author cannot approve");

      const second = world.sandbox.review(world.repo, pr.number, {
        user: "carol",
        state: "APPROVED",
      });
      await deliverAndWait(
        world,
        world.sandbox.events.pullRequestReview({
          repo: world.repo,
          number: pr.number,
          reviewId: second.id,
        }),
      );
      expect(access()).toHaveLength(1);
      expect(access()[0]).toMatchObject({ conclusion: "success" });
      expect(access()[0]?.output.summary).toContain("approved by @bob, @carol");

      // Dismissing one approval takes the check back to failing, on the same check run.
      world.sandbox.dismissReview(world.repo, pr.number, second.id);
      await deliverAndWait(
        world,
        world.sandbox.events.pullRequestReview({
          repo: world.repo,
          number: pr.number,
          reviewId: second.id,
          action: "dismissed",
        }),
      );
      expect(access()).toHaveLength(1);
      expect(access()[0]).toMatchObject({ conclusion: "failure" });
    },
    4 * E2E_TIMEOUT_MS,
  );

  it(
    "a PR that moves production's pin needs an SRE approval; a /promote by a non-SRE is refused naming the rule",
    async () => {
      const { sandbox } = world;
      const fleet = sandbox.readFile(CONFIG, "main", FLEET) ?? "";
      // Production's roc-api pin moves from 1.2.3 to staging's 1.3.0; staging's line stays.
      const moved = fleet.replace('tag: "1.2.3"', 'tag: "1.3.0"');
      expect(moved).not.toBe(fleet);
      sandbox.pushCommit(CONFIG, {
        branch: "promote-by-hand",
        author: "alice",
        message: "roc-api 1.3.0 to production\n\nSigned-off-by: Alice Liddell <alice@example.com>",
        files: { [FLEET]: moved },
      });
      const pr = sandbox.openPullRequest(CONFIG, {
        head: "promote-by-hand",
        user: "alice",
        title: "roc-api 1.3.0 to production",
      });
      const access = () =>
        checkRunsOn(world, pr.headSha, CONFIG).filter((r) => r.name === "monobot/access");
      await deliverAndWait(
        world,
        sandbox.events.pullRequest({ repo: CONFIG, number: pr.number, action: "opened" }),
      );
      expect(access()).toHaveLength(1);
      expect(access()[0]).toMatchObject({ conclusion: "failure" });
      expect(access()[0]?.output.summary).toContain("production: 0 of 1 approval from @acme/sre");

      // A platform member's approval is not an SRE's.
      const bobs = sandbox.review(CONFIG, pr.number, { user: "bob", state: "APPROVED" });
      await deliverAndWait(
        world,
        sandbox.events.pullRequestReview({ repo: CONFIG, number: pr.number, reviewId: bobs.id }),
      );
      expect(access()[0]).toMatchObject({ conclusion: "failure" });

      const sams = sandbox.review(CONFIG, pr.number, { user: "sam", state: "APPROVED" });
      await deliverAndWait(
        world,
        sandbox.events.pullRequestReview({ repo: CONFIG, number: pr.number, reviewId: sams.id }),
      );
      expect(access()).toHaveLength(1);
      expect(access()[0]).toMatchObject({ conclusion: "success" });
      expect(access()[0]?.output.summary).toContain("approved by @sam");

      // The same rule decides who may promote to production: bob (an admin of nothing here) is refused.
      const asked = sandbox.comment(CONFIG, pr.number, {
        user: "bob",
        body: "/promote roc-api production",
        association: "MEMBER",
      });
      await deliverAndWait(
        world,
        sandbox.events.issueComment({ repo: CONFIG, commentId: asked.id }),
      );
      const replies = sandbox
        .comments(CONFIG, pr.number)
        .map((c) => String(c.body))
        .filter((b) => b.includes("/promote"));
      expect(replies.join("\n")).toMatch(/production/);
      expect(replies.join("\n")).toMatch(/@acme\/sre/);
    },
    4 * E2E_TIMEOUT_MS,
  );
});
