import { describe, expect, it } from "vitest";
import { commitMessage, describeVersions, planBump, type BumpPlan } from "../../src/core/bump.js";
import { versionsCheck, versionsNeeds } from "../../src/core/checks/versions.js";
import type { BumpLevel } from "../../src/core/commands.js";
import { componentReport } from "../../src/core/components.js";
import { defaultPolicyObject, mergePolicy, type Policy } from "../../src/core/policy.js";
import { contentKey, type ChangedFile, type CheckResult } from "../../src/core/types.js";

type Tree = Record<string, string>;

function policyWith(over: unknown = {}): Policy {
  return mergePolicy(defaultPolicyObject(), over) as Policy;
}

function changes(base: Tree, head: Tree): ChangedFile[] {
  const out: ChangedFile[] = [];
  for (const path of [...new Set([...Object.keys(base), ...Object.keys(head)])].sort()) {
    const b = base[path];
    const h = head[path];
    if (b === h) continue;
    const status = b === undefined ? "added" : h === undefined ? "removed" : "modified";
    out.push({ path, status, additions: 1, deletions: 1 });
  }
  return out;
}

/** The check's input for a change, with only the contents `needs` asks for (names included). */
function input(base: Tree, head: Tree, over: unknown = {}, names: readonly string[] = []) {
  const policy = policyWith(over);
  const files = changes(base, head);
  const headPaths = Object.keys(head).sort();
  const components = componentReport(headPaths, files, policy, "mono");
  const snapshot = {
    repo: { owner: "acme", name: "mono", defaultBranch: "main" },
    base: { ref: "main", sha: "b".repeat(40) },
    head: { ref: "feature", sha: "c".repeat(40) },
    files,
    truncated: false,
    commits: [],
    headPaths,
  };
  const contents = new Map<string, string | null>();
  for (const r of versionsNeeds({ snapshot, policy, components }, names)) {
    contents.set(contentKey(r.side, r.path), (r.side === "base" ? base : head)[r.path] ?? null);
  }
  return { snapshot: { ...snapshot, contents }, policy, components };
}

function plan(base: Tree, head: Tree, level: BumpLevel, names: string[] = [], over: unknown = {}) {
  return planBump(input(base, head, over, names), { level, names });
}

/** The head after the plan's commit. */
function applied(head: Tree, p: BumpPlan): Tree {
  const out = { ...head };
  for (const e of p.edits) {
    expect(out[e.path]).toBe(e.before);
    out[e.path] = e.after;
  }
  return out;
}

function check(base: Tree, head: Tree, over: unknown = {}): CheckResult {
  return versionsCheck.run(input(base, head, over));
}

function changedLines(before: string, after: string): string[] {
  const a = before.split("\n");
  return after.split("\n").filter((line, i) => line !== a[i]);
}

const MONOREPO: Tree = {
  "services/roc-api/VERSION": "1.2.3\n",
  "services/roc-api/main.go": "package main\n",
  "services/roc-api/plugins/auth/VERSION": "0.1.0\n",
  "services/roc-api/plugins/auth/auth.go": "package auth\n",
  "services/web/VERSION": "0.9.0\n",
  "services/web/index.ts": "export {};\n",
};

const chart = (name: string, version: string, extra = "") =>
  `apiVersion: v2\nname: ${name}\n# the chart's own version\nversion: ${version} # bump me\n${extra}`;

const CONFIG_REPO: Tree = {
  "charts/root/Chart.yaml": chart(
    "root",
    "3.1.0",
    'dependencies:\n  - name: aether\n    version: "2.0.0"\n    repository: file://../aether\n',
  ),
  "charts/aether/Chart.yaml": chart(
    "aether",
    "2.0.0",
    "dependencies:\n  - name: roc-api\n    version: 1.2.3 # exact\n    repository: file://../roc-api\n  - name: config-svc\n    version: ~0.5.0\n    repository: file://../config-svc\n",
  ),
  "charts/roc-api/Chart.yaml": chart("roc-api", "1.2.3", "appVersion: '1.2.3'\n"),
  "charts/roc-api/values.yaml": "image: roc-api\n",
  "charts/config-svc/Chart.yaml": chart("config-svc", "0.5.1"),
  "charts/config-svc/values.yaml": "a: 1\n",
};

describe("planBump on components", () => {
  it.each([
    ["patch", "1.2.4"],
    ["minor", "1.3.0"],
    ["major", "2.0.0"],
    ["prerelease", "1.2.4-dev"],
  ] as const)("/bump %s writes %s in the failing component's VERSION", (level, version) => {
    const head = { ...MONOREPO, "services/roc-api/main.go": "x\n" };
    const p = plan(MONOREPO, head, level);
    expect(p.problems).toEqual([]);
    expect(p.edits).toEqual([
      {
        path: "services/roc-api/VERSION",
        before: "1.2.3\n",
        after: `${version}\n`,
        changes: [`1.2.3 -> ${version}`],
      },
    ]);
    expect(check(MONOREPO, applied(head, p)).conclusion).toBe("success");
  });

  it("bumps every failing component, nested ones included, and leaves passing ones alone", () => {
    const head = {
      ...MONOREPO,
      "services/roc-api/main.go": "x\n",
      "services/roc-api/plugins/auth/auth.go": "y\n",
      "services/web/index.ts": "z\n",
      "services/web/VERSION": "0.10.0\n",
    };
    const p = plan(MONOREPO, head, "patch");
    expect(p.versions.map((v) => [v.name, v.from, v.to])).toEqual([
      ["auth", "0.1.0", "0.1.1"],
      ["roc-api", "1.2.3", "1.2.4"],
    ]);
    expect(check(MONOREPO, applied(head, p)).conclusion).toBe("success");
  });

  it("bumps a named component even without changes, from its base version", () => {
    const p = plan(MONOREPO, MONOREPO, "minor", ["web"]);
    expect(p.problems).toEqual([]);
    expect(p.versions).toEqual([
      { kind: "component", name: "web", path: "services/web/VERSION", from: "0.9.0", to: "0.10.0" },
    ]);
  });

  it("fixes a regression and an invalid VERSION from the base version", () => {
    const head = {
      ...MONOREPO,
      "services/roc-api/main.go": "x\n",
      "services/roc-api/VERSION": "v1.2.4\n",
      "services/web/index.ts": "z\n",
      "services/web/VERSION": "0.8.0\n",
    };
    const p = plan(MONOREPO, head, "patch");
    expect(p.edits.map((e) => [e.path, e.after])).toEqual([
      ["services/roc-api/VERSION", "1.2.4\n"],
      ["services/web/VERSION", "0.9.1\n"],
    ]);
  });

  it("releases a forbidden pre-release", () => {
    const head = {
      ...MONOREPO,
      "services/roc-api/main.go": "x\n",
      "services/roc-api/VERSION": "1.2.4-dev\n",
    };
    const over = { versions: { prerelease: "forbid" } };
    expect(check(MONOREPO, head, over).conclusion).toBe("failure");
    const p = plan(MONOREPO, head, "patch", [], over);
    expect(p.edits.map((e) => e.after)).toEqual(["1.2.4\n"]);
    expect(check(MONOREPO, applied(head, p), over).conclusion).toBe("success");
  });

  it.each([
    {
      name: "an unknown name",
      names: ["nope"],
      level: "patch" as const,
      over: {},
      problem:
        /there is no component or chart named `nope`\. Components: `auth`, `roc-api`, `web`; charts: none\./,
    },
    {
      name: "a pre-release where they are forbidden",
      names: [],
      level: "prerelease" as const,
      over: { versions: { prerelease: "forbid" } },
      problem: /forbids pre-release versions/,
    },
  ])("refuses $name", ({ names, level, over, problem }) => {
    const p = plan(MONOREPO, { ...MONOREPO, "services/web/index.ts": "x\n" }, level, names, over);
    expect(p.edits).toEqual([]);
    expect(p.problems.join("\n")).toMatch(problem);
  });

  it("refuses a named component that is new in the pull request", () => {
    const head = { ...MONOREPO, "services/new/VERSION": "0.1.0\n" };
    const p = plan(MONOREPO, head, "patch", ["new"]);
    expect(p.problems).toEqual([
      "new is new in this pull request, so there is no released version to bump from; write its first version in `services/new/VERSION`.",
    ]);
  });

  it("has nothing to do when every version already went up", () => {
    const head = {
      ...MONOREPO,
      "services/roc-api/main.go": "x\n",
      "services/roc-api/VERSION": "1.3.0\n",
    };
    const p = plan(MONOREPO, head, "patch");
    expect(p).toEqual({ edits: [], versions: [], problems: [] });
  });
});

describe("planBump on charts and umbrellas", () => {
  it("bumps a changed chart and every umbrella up to the root, with minimal edits", () => {
    const head = { ...CONFIG_REPO, "charts/config-svc/values.yaml": "a: 2\n" };
    const p = plan(CONFIG_REPO, head, "patch");
    expect(p.problems).toEqual([]);
    expect(p.edits.map((e) => [e.path, e.changes])).toEqual([
      ["charts/config-svc/Chart.yaml", ["version 0.5.1 -> 0.5.2"]],
      ["charts/aether/Chart.yaml", ["version 2.0.0 -> 2.0.1"]],
      ["charts/root/Chart.yaml", ["aether pin 2.0.0 -> 2.0.1", "version 3.1.0 -> 3.1.1"]],
    ]);
    const root = p.edits[2];
    expect(changedLines(root?.before ?? "", root?.after ?? "")).toEqual([
      "version: 3.1.1 # bump me",
      '    version: "2.0.1"',
    ]);
    expect(check(CONFIG_REPO, applied(head, p)).conclusion).toBe("success");
  });

  it("keeps a chart that already went up and fixes the umbrellas above it", () => {
    const head = {
      ...CONFIG_REPO,
      "charts/roc-api/values.yaml": "image: v2\n",
      "charts/roc-api/Chart.yaml": chart("roc-api", "1.3.0", "appVersion: '1.2.3'\n"),
    };
    expect(check(CONFIG_REPO, head).conclusion).toBe("failure");
    const p = plan(CONFIG_REPO, head, "minor");
    expect(p.versions.map((v) => `${v.name} ${v.from} -> ${v.to}`)).toEqual([
      "charts/aether 2.0.0 -> 2.1.0",
      "charts/root 3.1.0 -> 3.2.0",
    ]);
    expect(p.edits[0]?.changes).toEqual(["roc-api pin 1.2.3 -> 1.3.0", "version 2.0.0 -> 2.1.0"]);
    expect(p.edits[0]?.after).toContain("    version: 1.3.0 # exact\n");
    expect(check(CONFIG_REPO, applied(head, p)).conclusion).toBe("success");
  });

  it("bumps a chart named by folder or by name", () => {
    for (const name of ["charts/config-svc", "config-svc"]) {
      const p = plan(CONFIG_REPO, CONFIG_REPO, "major", [name]);
      expect(p.versions.map((v) => `${v.name} ${v.to}`)).toEqual([
        "charts/config-svc 1.0.0",
        "charts/aether 3.0.0",
        "charts/root 4.0.0",
      ]);
      expect(p.edits[1]?.changes).toEqual([
        "config-svc pin ~0.5.0 -> ~1.0.0",
        "version 2.0.0 -> 3.0.0",
      ]);
    }
  });

  it("updates a Helm 2 requirements.yaml pin", () => {
    const base: Tree = {
      "charts/umbrella/Chart.yaml": "apiVersion: v1\nname: umbrella\nversion: 1.0.0\n",
      "charts/umbrella/requirements.yaml":
        "dependencies:\n- name: svc\n  version: 0.1.0\n  repository: file://../svc\n",
      "charts/svc/Chart.yaml": "apiVersion: v1\nname: svc\nversion: 0.1.0\n",
      "charts/svc/values.yaml": "a: 1\n",
    };
    const head = { ...base, "charts/svc/values.yaml": "a: 2\n" };
    const p = plan(base, head, "patch");
    expect(p.edits.map((e) => [e.path, e.changes])).toEqual([
      ["charts/svc/Chart.yaml", ["version 0.1.0 -> 0.1.1"]],
      ["charts/umbrella/requirements.yaml", ["svc pin 0.1.0 -> 0.1.1"]],
      ["charts/umbrella/Chart.yaml", ["version 1.0.0 -> 1.0.1"]],
    ]);
    expect(check(base, applied(head, p)).conclusion).toBe("success");
  });
});

describe("planBump with a chart tied to a component", () => {
  const base: Tree = { ...MONOREPO, ...CONFIG_REPO };
  const over = { charts: { app_version: { "charts/roc-api": "roc-api" } } };

  it("writes the VERSION, the chart's appVersion and version, and the umbrellas' pins and versions", () => {
    const head = { ...base, "services/roc-api/main.go": "x\n" };
    const p = plan(base, head, "patch", [], over);
    expect(p.problems).toEqual([]);
    expect(p.edits.map((e) => [e.path, e.changes])).toEqual([
      ["services/roc-api/VERSION", ["1.2.3 -> 1.2.4"]],
      ["charts/roc-api/Chart.yaml", ["appVersion 1.2.3 -> 1.2.4", "version 1.2.3 -> 1.2.4"]],
      ["charts/aether/Chart.yaml", ["roc-api pin 1.2.3 -> 1.2.4", "version 2.0.0 -> 2.0.1"]],
      ["charts/root/Chart.yaml", ["aether pin 2.0.0 -> 2.0.1", "version 3.1.0 -> 3.1.1"]],
    ]);
    const tied = p.edits[1];
    expect(changedLines(tied?.before ?? "", tied?.after ?? "")).toEqual([
      "version: 1.2.4 # bump me",
      "appVersion: '1.2.4'",
    ]);
    expect(check(base, applied(head, p), over).conclusion).toBe("success");
    expect(describeVersions(p)).toBe(
      "roc-api 1.2.3 → 1.2.4, charts/roc-api 1.2.3 → 1.2.4, charts/aether 2.0.0 → 2.0.1, charts/root 3.1.0 → 3.1.1",
    );
  });

  it("syncs an appVersion left behind by a component that already went up", () => {
    const head = {
      ...base,
      "services/roc-api/main.go": "x\n",
      "services/roc-api/VERSION": "1.3.0\n",
    };
    const p = plan(base, head, "minor", [], over);
    expect(p.edits.map((e) => e.path)).toEqual([
      "charts/roc-api/Chart.yaml",
      "charts/aether/Chart.yaml",
      "charts/root/Chart.yaml",
    ]);
    expect(p.edits[0]?.changes).toEqual(["appVersion 1.2.3 -> 1.3.0", "version 1.2.3 -> 1.3.0"]);
    expect(check(base, applied(head, p), over).conclusion).toBe("success");
  });

  it("writes an honest commit message", () => {
    const head = { ...base, "services/roc-api/main.go": "x\n" };
    const p = plan(base, head, "patch", [], over);
    const message = commitMessage(p, {
      level: "patch",
      names: [],
      requestedBy: "alice",
      pull: 12,
      baseSha: "a".repeat(40),
      headSha: "d".repeat(40),
    });
    expect(message.split("\n")).toEqual([
      "Bump 1 component and 3 charts (/bump patch)",
      "",
      "- services/roc-api/VERSION: 1.2.3 -> 1.2.4",
      "- charts/roc-api/Chart.yaml: appVersion 1.2.3 -> 1.2.4; version 1.2.3 -> 1.2.4",
      "- charts/aether/Chart.yaml: roc-api pin 1.2.3 -> 1.2.4; version 2.0.0 -> 2.0.1",
      "- charts/root/Chart.yaml: aether pin 2.0.0 -> 2.0.1; version 3.1.0 -> 3.1.1",
      "",
      "Requested by @alice with `/bump patch` on #12. Versions computed by monobot from the pull request's base aaaaaaa and head ddddddd; each edit replaces only the old value.",
    ]);
    const single = commitMessage(
      plan(MONOREPO, { ...MONOREPO, "services/web/index.ts": "x\n" }, "minor", ["web"]),
      {
        level: "minor",
        names: ["web"],
        requestedBy: "bob",
        pull: 3,
        baseSha: "a".repeat(40),
        headSha: "d".repeat(40),
      },
    );
    expect(single.split("\n")[0]).toBe("Bump web to 0.10.0 (/bump minor web)");
  });
});

describe("planBump on in-development (pre-release) VERSIONs", () => {
  const base: Tree = {
    "services/roc-api/VERSION": "1.2.3\n",
    "services/roc-api/main.go": "package main\n",
    "models/ric/VERSION": "0.1.4-dev\n",
    "models/ric/ric.yang": "module ric {}\n",
  };
  const head = { ...base, "services/roc-api/main.go": "x\n", "models/ric/ric.yang": "y\n" };

  it("bumps only the component on a release; the in-development one takes the change", () => {
    const p = plan(base, head, "patch");
    expect(p.versions.map((v) => `${v.name} ${v.from} -> ${v.to}`)).toEqual([
      "roc-api 1.2.3 -> 1.2.4",
    ]);
    expect(check(base, applied(head, p)).conclusion).toBe("success");
  });

  it.each([
    ["patch", "0.1.4"],
    ["minor", "0.2.0"],
    ["prerelease", "0.1.4-dev.1"],
  ] as const)("/bump %s ric releases or iterates it: %s", (level, version) => {
    const ricOnly = { ...base, "models/ric/ric.yang": "y\n" };
    const p = plan(base, ricOnly, level, ["ric"]);
    expect(p.problems).toEqual([]);
    expect(p.edits.map((e) => [e.path, e.after])).toEqual([["models/ric/VERSION", `${version}\n`]]);
    expect(check(base, applied(ricOnly, p)).conclusion).toBe("success");
  });

  it("bumps the in-development component too with versions.every_change: true", () => {
    const over = { versions: { every_change: true } };
    expect(check(base, { ...base, "models/ric/ric.yang": "y\n" }, over).conclusion).toBe("failure");
    const p = plan(base, head, "prerelease", [], over);
    expect(p.versions.map((v) => `${v.name} ${v.from} -> ${v.to}`)).toEqual([
      "ric 0.1.4-dev -> 0.1.4-dev.1",
      "roc-api 1.2.3 -> 1.2.4-dev",
    ]);
    expect(check(base, applied(head, p), over).conclusion).toBe("success");
  });
});

describe("planBump follows Helm's packaging rule", () => {
  const dep = (name: string, version: string, repository?: string) =>
    `  - name: ${name}\n    version: ${version}\n${repository ? `    repository: ${repository}\n` : ""}`;
  const base: Tree = {
    "charts/root/Chart.yaml": chart(
      "root",
      "3.1.0",
      `dependencies:\n${dep("aether", "2.0.0", "file://../aether")}`,
    ),
    "charts/aether/Chart.yaml": chart(
      "aether",
      "2.0.0",
      `dependencies:\n${dep("roc-api", "1.2.3", "file://../roc-api")}${dep("ran-sim", "1.3.1", '"@sdran"')}`,
    ),
    "charts/aether/charts/vendored/Chart.yaml": chart("vendored", "1.0.0"),
    "charts/aether/charts/vendored/values.yaml": "a: 1\n",
    "charts/roc-api/Chart.yaml": chart("roc-api", "1.2.3"),
    "charts/ran-sim/Chart.yaml": chart("ran-sim", "1.3.1"),
    "charts/ran-sim/values.yaml": "a: 1\n",
  };

  it("bumps a repository-pinned chart alone and leaves the umbrella's published pin", () => {
    const head = { ...base, "charts/ran-sim/values.yaml": "a: 2\n" };
    const p = plan(base, head, "patch");
    expect(p.edits.map((e) => [e.path, e.changes])).toEqual([
      ["charts/ran-sim/Chart.yaml", ["version 1.3.1 -> 1.3.2"]],
    ]);
    const after = check(base, applied(head, p));
    expect(after.conclusion).toBe("success");
    expect(after.annotations.map((a) => [a.path, a.level])).toEqual([
      ["charts/aether/Chart.yaml", "notice"],
    ]);
  });

  it("bumps the umbrellas of an embedded chart the umbrella does not list, with no pin to write", () => {
    const head = { ...base, "charts/aether/charts/vendored/values.yaml": "a: 2\n" };
    const p = plan(base, head, "patch");
    expect(p.edits.map((e) => [e.path, e.changes])).toEqual([
      ["charts/aether/charts/vendored/Chart.yaml", ["version 1.0.0 -> 1.0.1"]],
      ["charts/aether/Chart.yaml", ["version 2.0.0 -> 2.0.1"]],
      ["charts/root/Chart.yaml", ["aether pin 2.0.0 -> 2.0.1", "version 3.1.0 -> 3.1.1"]],
    ]);
    expect(check(base, applied(head, p)).conclusion).toBe("success");
  });

  it("fixes a file:// pin the pull request broke on a chart that did not move", () => {
    const head = {
      ...base,
      "charts/aether/Chart.yaml": (base["charts/aether/Chart.yaml"] as string).replace(
        "version: 1.2.3",
        "version: 1.2.2",
      ),
    };
    expect(check(base, head).conclusion).toBe("failure");
    const p = plan(base, head, "patch");
    expect(p.edits.map((e) => [e.path, e.changes])).toEqual([
      ["charts/aether/Chart.yaml", ["version 2.0.0 -> 2.0.1", "roc-api pin 1.2.2 -> 1.2.3"]],
      ["charts/root/Chart.yaml", ["aether pin 2.0.0 -> 2.0.1", "version 3.1.0 -> 3.1.1"]],
    ]);
    expect(check(base, applied(head, p)).conclusion).toBe("success");
  });
});
