import { describe, expect, it } from "vitest";
import { planDeploy, type DeployPlan } from "../../src/core/deploy-plan.js";
import { deployPreview } from "../../src/core/deploy-preview.js";
import {
  deployBranch,
  deployCommitMessage,
  deployMarker,
  deployPrBody,
  deployTitle,
  parseDeployMarker,
  parseDeployTrailer,
  parseSupersedes,
  type DeployPrInput,
  type MonorepoChange,
} from "../../src/core/deploy-pr.js";
import { configRepo } from "../helpers/config-repo.js";

const component = { name: "roc-api", image: "ghcr.io/acme/roc-api" };
const version = { from: "1.2.3", to: "1.3.0" };

function planned(): DeployPlan {
  return planDeploy({
    files: new Map(Object.entries(configRepo())),
    component: {
      ...component,
      charts: ["charts/roc-api"],
      valuesKey: "image.tag",
      chartBump: "patch",
    },
    version,
  });
}

const CHANGES: MonorepoChange[] = [
  {
    sha: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
    title: "fix(roc-api): retry on 503 (#41), thanks @bob",
    author: "alice",
    pr: { number: 42, title: "Retry the upstream on 503" },
  },
  { sha: "0123456789abcdef0123456789abcdef01234567", title: "feat: <fast> /healthz" },
];

function input(over: Partial<DeployPrInput> = {}): DeployPrInput {
  return {
    component,
    version,
    monorepo: { owner: "acme", name: "mono" },
    tags: { from: "roc-api/v1.2.3", to: "roc-api/v1.3.0" },
    changes: CHANGES,
    plan: planned(),
    ...over,
  };
}

describe("deploy PR names", () => {
  it.each([
    ["roc-api", "monobot/deploy-roc-api"],
    ["services/roc api", "monobot/deploy-services-roc-api"],
    ["..x..lock", "monobot/deploy-x"],
    ["~", "monobot/deploy-component"],
  ])("branch of %j is %s", (name, branch) => {
    expect(deployBranch(name)).toBe(branch);
  });

  it("title", () => {
    expect(deployTitle({ component, version })).toBe("Deploy roc-api 1.3.0");
  });
});

describe("the hidden marker", () => {
  it("round-trips component and version", () => {
    const line = deployMarker({ component: "roc-api", version: "1.3.0-rc.1+b7" });
    expect(line).toBe("<!-- monobot:deploy component=roc-api version=1.3.0-rc.1+b7 -->");
    expect(parseDeployMarker(`intro\n${line}\nrest`)).toEqual({
      component: "roc-api",
      version: "1.3.0-rc.1+b7",
    });
  });

  it.each([
    [null],
    [""],
    ["<!-- monobot:deploy component=roc-api -->"],
    ["text <!-- monobot:deploy component=a version=1 -->"],
  ])("is absent from %j", (body) => {
    expect(parseDeployMarker(body)).toBeUndefined();
  });

  it("the body carries it, and earlier versions", () => {
    const body = deployPrBody(input({ supersedes: ["1.2.4", "1.2.5"] }));
    expect(parseDeployMarker(body)).toEqual({ component: "roc-api", version: "1.3.0" });
    expect(parseSupersedes(body)).toEqual(["1.2.4", "1.2.5"]);
    expect(parseSupersedes(deployPrBody(input()))).toEqual([]);
  });
});

describe("deployCommitMessage", () => {
  it("says what changed per file and carries the trailer", () => {
    const message = deployCommitMessage(input());
    expect(message).toBe(
      [
        "Deploy roc-api 1.3.0",
        "",
        "roc-api 1.2.3 -> 1.3.0 (ghcr.io/acme/roc-api:1.3.0).",
        "",
        "- charts/roc-api/values.yaml: image.tag 1.2.3 -> 1.3.0",
        "- charts/roc-api/Chart.yaml: appVersion 1.2.3 -> 1.3.0, version 0.4.1 -> 0.4.2",
        "- charts/aether/Chart.yaml: version 1.4.0 -> 1.4.1, roc-api pin 0.4.1 -> 0.4.2",
        "- charts/legacy/Chart.yaml: version 0.9.0 -> 0.9.1",
        "- charts/legacy/requirements.yaml: roc-api pin =0.4.1 -> =0.4.2",
        "- charts/platform/Chart.yaml: version 2.0.0 -> 2.0.1, legacy pin 0.9.0 -> 0.9.1",
        "- charts/platform/values.yaml: aether.roc-api.image.tag 1.2.3 -> 1.3.0",
        "",
        "Monobot-Deploy: component=roc-api version=1.3.0",
      ].join("\n"),
    );
    expect(parseDeployTrailer(message)).toEqual({ component: "roc-api", version: "1.3.0" });
    expect(parseDeployTrailer("Fix things by hand")).toBeUndefined();
  });
});

describe("deployPrBody", () => {
  it("is the same bytes for the same input", () => {
    const a = deployPrBody(input());
    const b = deployPrBody(input());
    expect(b).toBe(a);
  });

  it("lists the monorepo's pull requests and commits, linked, without pinging anyone", () => {
    const body = deployPrBody(input());
    expect(body).toContain(
      [
        "### Changes in acme/mono (roc-api/v1.2.3...roc-api/v1.3.0)",
        "",
        "Pull requests:",
        "",
        "- acme/mono#42 Retry the upstream on 503",
        "",
        "Commits:",
        "",
        "- acme/mono@a1b2c3d4e5f6 fix(roc-api): retry on 503 (acme/mono#41), thanks @&#8203;bob (alice) in acme/mono#42",
        "- acme/mono@0123456789ab feat: &lt;fast&gt; /healthz",
        "",
        "[Compare roc-api/v1.2.3...roc-api/v1.3.0](https://github.com/acme/mono/compare/roc-api/v1.2.3...roc-api/v1.3.0)",
      ].join("\n"),
    );
  });

  it("shows the chart chain and the charts pending publish", () => {
    const body = deployPrBody(input());
    expect(body).toContain(
      [
        "| Chart | Version | Why |",
        "|---|---|---|",
        "| `charts/roc-api` | 0.4.1 -> 0.4.2 | image.tag 1.2.3 -> 1.3.0 |",
        "| `charts/aether` | 1.4.0 -> 1.4.1 | packages `charts/roc-api` (pin 0.4.1 -> 0.4.2) |",
        "| `charts/legacy` | 0.9.0 -> 0.9.1 | packages `charts/roc-api` (pin =0.4.1 -> =0.4.2) |",
        "| `charts/platform` | 2.0.0 -> 2.0.1 | packages `charts/aether`; packages `charts/legacy` (pin 0.9.0 -> 0.9.1) |",
      ].join("\n"),
    );
    expect(body).not.toContain("### Pending publish");
  });

  it("starts with the marker, says what it supersedes, and embeds the preview", () => {
    const plan = planned();
    const after = new Map(Object.entries(configRepo()));
    for (const e of plan.edits) after.set(e.path, e.after);
    const preview = deployPreview({
      component,
      version: "1.3.0",
      plan,
      files: after,
      environments: { "charts/platform": ["staging"] },
    });
    const body = deployPrBody(input({ plan, preview, supersedes: ["1.2.4"] }));
    expect(body.split("\n").slice(0, 8)).toEqual([
      "<!-- monobot:deploy component=roc-api version=1.3.0 -->",
      "<!-- monobot:deploy-supersedes 1.2.4 -->",
      "## Deploy roc-api 1.3.0",
      "",
      "**roc-api** 1.2.3 -> **1.3.0**, image `ghcr.io/acme/roc-api:1.3.0`.",
      "",
      "Supersedes roc-api 1.2.4, proposed earlier in this pull request.",
      "",
    ]);
    expect(body).toContain(
      "### Where it goes\n\n| Target | Clusters | Chart | Version | Defined in |",
    );
    expect(body).toContain("```mermaid\ngraph LR\n");
    expect(body.endsWith("Close it to skip 1.3.0.</sub>\n")).toBe(true);
  });

  it("lists at most 50 commits, then says how many more, and stays under GitHub's limit", () => {
    const many = Array.from({ length: 2_000 }, (_, i) => ({
      sha: i.toString(16).padStart(40, "0"),
      title: `fix: change number ${i} ${"x".repeat(60)}`,
      pr: { number: 1000 + i, title: `PR ${i} ${"y".repeat(60)}` },
    }));
    const body = deployPrBody(input({ changes: many }));
    expect(body).toContain("- … and 1950 more");
    expect(body.length).toBeLessThan(65_536);
  });

  it("a first release has no compare link", () => {
    const body = deployPrBody(
      input({ version: { to: "1.3.0" }, tags: { to: "roc-api/v1.3.0" }, changes: [] }),
    );
    expect(body).toContain("**roc-api** **1.3.0**");
    expect(body).toContain("The first release of roc-api that monobot deploys.");
    expect(body).not.toContain("[Compare");
  });
});
