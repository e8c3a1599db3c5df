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

const ACCESS = `
access:
  rules:
    - name: infrastructure
      paths: ["infra/**"]
      approve: { count: 2, teams: [acme/platform] }
  unmatched: allow
  owners: { teams: [acme/platform] }
`;

describe("access rules, end to end", () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld({ env: { MONOBOT_SCHEDULER: "off" } });
    world.sandbox.createUser("carol", { name: "Carol Chen", email: "carol@example.com" });
    world.sandbox.addOrgMember("acme", "carol");
    world.sandbox.createTeam("acme", "platform", ["bob", "carol"]);
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
});
