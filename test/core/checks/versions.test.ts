import { describe, expect, it } from "vitest";
import { versionsCheck, versionsModel } from "../../../src/core/checks/versions.js";
import { componentReport } from "../../../src/core/components.js";
import { defaultPolicyObject, mergePolicy, type Policy } from "../../../src/core/policy.js";
import {
  contentKey,
  type ChangedFile,
  type CheckResult,
  type CommitInfo,
} from "../../../src/core/types.js";

type Tree = Record<string, string>;

function policyWith(over: unknown = {}): Policy {
  return mergePolicy(defaultPolicyObject(), over) as Policy;
}

function commit(message: string): CommitInfo {
  return {
    sha: "c0ffee0000000000000000000000000000000000",
    message,
    author: { name: "Dev", email: "dev@example.com" },
    parents: 1,
  };
}

function changes(base: Tree, head: Tree): ChangedFile[] {
  const out: ChangedFile[] = [];
  for (const path of [...new Set([...Object.keys(base), ...Object.keys(head)])].sort()) {
    const b = base[path];
    const h = head[path];
    if (b === h) continue;
    const status = b === undefined ? "added" : h === undefined ? "removed" : "modified";
    out.push({ path, status, additions: 1, deletions: b === undefined ? 0 : 1 });
  }
  return out;
}

interface Scenario {
  base: Tree;
  head: Tree;
  policy?: unknown;
  commits?: string[];
  releaseTags?: string[];
}

/**
 * Runs the check the way the pipeline does: components from the head paths, then ONLY the
 * contents the check's `needs` asked for, then `run`. A rule that reads a file it did not ask
 * for sees `null`, so these tests also prove that `needs` is complete.
 */
function runScenario(s: Scenario): { result: CheckResult; requested: string[] } {
  const policy = policyWith(s.policy);
  const files = changes(s.base, s.head);
  const headPaths = Object.keys(s.head).sort();
  const components = componentReport(headPaths, files, policy, "mono");
  const snapshot = {
    repo: { owner: "acme", name: "mono", defaultBranch: "main" },
    base: { ref: "main", sha: "b".repeat(40) },
    head: { ref: "feature", sha: "h".repeat(40) },
    files,
    truncated: false,
    commits: (s.commits ?? ["change"]).map(commit),
    headPaths,
  };
  const needs = versionsCheck.needs?.({ snapshot, policy, components }) ?? [];
  const contents = new Map<string, string | null>();
  for (const r of needs) {
    contents.set(contentKey(r.side, r.path), (r.side === "base" ? s.base : s.head)[r.path] ?? null);
  }
  const result = versionsCheck.run({
    snapshot: { ...snapshot, contents, ...(s.releaseTags ? { releaseTags: s.releaseTags } : {}) },
    policy,
    components,
  });
  return { result, requested: needs.map((r) => contentKey(r.side, r.path)) };
}

const MONOREPO: Tree = {
  "services/roc-api/VERSION": "1.2.3\n",
  "services/roc-api/main.go": "package main\n",
  "services/roc-api/api.go": "package main\n",
  "services/roc-api/handlers.go": "package main\n",
  "services/roc-api/README.md": "# roc-api\n",
  "services/roc-api/plugins/auth/VERSION": "0.1.0\n",
  "services/roc-api/plugins/auth/auth.go": "package auth\n",
  "libs/proto/VERSION": "2.0.0\n",
  "libs/proto/api.proto": 'syntax = "proto3";\n',
  "services/web/VERSION": "0.9.0\n",
  "services/web/index.ts": "export {};\n",
  "docs/guide.md": "guide\n",
};

const DEPENDS = { components: { define: { web: { depends_on: ["proto"] } } } };

function edit(tree: Tree, changes: Record<string, string | null>): Tree {
  const out = { ...tree };
  for (const [path, content] of Object.entries(changes)) {
    if (content === null) delete out[path];
    else out[path] = content;
  }
  return out;
}

describe("monobot/versions on VERSION files", () => {
  const cases: {
    name: string;
    head: Record<string, string | null>;
    conclusion: "success" | "failure";
    annotations?: { path: string; line: number; level: string; message: RegExp }[];
    commits?: string[];
    policy?: unknown;
    releaseTags?: string[];
  }[] = [
    {
      name: "a changed component with a patch bump passes",
      head: {
        "services/roc-api/main.go": "package main // x\n",
        "services/roc-api/VERSION": "1.2.4\n",
      },
      conclusion: "success",
      annotations: [],
    },
    {
      name: "a changed component whose VERSION did not change fails with the choices",
      head: {
        "services/roc-api/main.go": "package main // x\n",
        "services/roc-api/api.go": "package main // y\n",
        "services/roc-api/handlers.go": "package main // z\n",
      },
      conclusion: "failure",
      annotations: [
        {
          path: "services/roc-api/VERSION",
          line: 1,
          level: "failure",
          message:
            /^services\/roc-api changed \(3 files\) but VERSION is still 1\.2\.3: write 1\.2\.4 \(patch\), 1\.3\.0 \(minor\) or 2\.0\.0 \(major\), or comment `\/bump patch`$/,
        },
      ],
    },
    {
      name: "the suggested level follows Conventional Commits",
      head: { "services/roc-api/main.go": "package main // x\n" },
      commits: ["fix: a", "feat(api): new endpoint"],
      conclusion: "failure",
      annotations: [
        {
          path: "services/roc-api/VERSION",
          line: 1,
          level: "failure",
          message:
            /write 1\.3\.0 \(minor\), 1\.2\.4 \(patch\) or 2\.0\.0 \(major\), or comment `\/bump minor`/,
        },
      ],
    },
    {
      name: "a breaking change suggests major",
      head: { "services/roc-api/main.go": "package main // x\n" },
      commits: ["refactor!: drop v1"],
      conclusion: "failure",
      annotations: [
        {
          path: "services/roc-api/VERSION",
          line: 1,
          level: "failure",
          message: /write 2\.0\.0 \(major\).*`\/bump major`/,
        },
      ],
    },
    {
      name: "a lower version is a regression",
      head: { "services/roc-api/main.go": "x\n", "services/roc-api/VERSION": "1.2.2\n" },
      conclusion: "failure",
      annotations: [
        {
          path: "services/roc-api/VERSION",
          line: 1,
          level: "failure",
          message: /went from 1\.2\.3 to 1\.2\.2, a regression: 1\.2\.2 is lower than 1\.2\.3/,
        },
      ],
    },
    {
      name: "an equal version (build metadata only) is a regression",
      head: { "services/roc-api/main.go": "x\n", "services/roc-api/VERSION": "1.2.3+build.1\n" },
      conclusion: "failure",
      annotations: [
        {
          path: "services/roc-api/VERSION",
          line: 1,
          level: "failure",
          message: /regression: .*equal to 1\.2\.3 in SemVer precedence/,
        },
      ],
    },
    {
      name: "a leading v fails on line 1 and says what to write",
      head: { "services/roc-api/main.go": "x\n", "services/roc-api/VERSION": "v1.2.4\n" },
      conclusion: "failure",
      annotations: [
        {
          path: "services/roc-api/VERSION",
          line: 1,
          level: "failure",
          message: /starts with "v"; write 1\.2\.4/,
        },
      ],
    },
    {
      name: "a second line fails on line 2",
      head: {
        "services/roc-api/main.go": "x\n",
        "services/roc-api/VERSION": "1.2.4\nrelease notes\n",
      },
      conclusion: "failure",
      annotations: [
        { path: "services/roc-api/VERSION", line: 2, level: "failure", message: /has 2 lines/ },
      ],
    },
    {
      name: "an empty VERSION fails",
      head: { "services/roc-api/main.go": "x\n", "services/roc-api/VERSION": "" },
      conclusion: "failure",
      annotations: [
        { path: "services/roc-api/VERSION", line: 1, level: "failure", message: /is empty/ },
      ],
    },
    {
      name: "a BOM fails",
      head: { "services/roc-api/main.go": "x\n", "services/roc-api/VERSION": "\uFEFF1.2.4\n" },
      conclusion: "failure",
      annotations: [
        { path: "services/roc-api/VERSION", line: 1, level: "failure", message: /byte order mark/ },
      ],
    },
    {
      name: "a pre-release passes when allowed",
      head: { "services/roc-api/main.go": "x\n", "services/roc-api/VERSION": "1.2.4-dev\n" },
      conclusion: "success",
      annotations: [],
    },
    {
      name: "a pre-release fails when forbidden",
      head: { "services/roc-api/main.go": "x\n", "services/roc-api/VERSION": "1.2.4-dev\n" },
      policy: { versions: { prerelease: "forbid" } },
      conclusion: "failure",
      annotations: [
        {
          path: "services/roc-api/VERSION",
          line: 1,
          level: "failure",
          message: /a pre-release, which this repository forbids .*write 1\.2\.4$/,
        },
      ],
    },
    {
      name: "a release version that is tagged already fails",
      head: { "services/roc-api/main.go": "x\n", "services/roc-api/VERSION": "1.2.4\n" },
      releaseTags: ["roc-api/v1.2.3", "roc-api/v1.2.4"],
      conclusion: "failure",
      annotations: [
        {
          path: "services/roc-api/VERSION",
          line: 1,
          level: "failure",
          message:
            /roc-api 1\.2\.4 was released already \(tag roc-api\/v1\.2\.4 exists\).*e\.g\. 1\.2\.5/,
        },
      ],
    },
    {
      name: "a release version that is not tagged passes",
      head: { "services/roc-api/main.go": "x\n", "services/roc-api/VERSION": "1.2.4\n" },
      releaseTags: ["roc-api/v1.2.3", "web/v1.2.4"],
      conclusion: "success",
      annotations: [],
    },
    {
      name: "a skip passes with a notice",
      head: { "services/roc-api/main.go": "x\n", "services/roc-api/VERSION": "1.2.5\n" },
      conclusion: "success",
      annotations: [
        {
          path: "services/roc-api/VERSION",
          line: 1,
          level: "notice",
          message: /from 1\.2\.3 to 1\.2\.5, skipping 1\.2\.4/,
        },
      ],
    },
    {
      name: "a major skip passes with a notice",
      head: { "services/roc-api/main.go": "x\n", "services/roc-api/VERSION": "3.0.0\n" },
      conclusion: "success",
      annotations: [
        { path: "services/roc-api/VERSION", line: 1, level: "notice", message: /skipping 2\.0\.0/ },
      ],
    },
    {
      name: "a new component with a valid version passes",
      head: { "services/new/VERSION": "0.1.0\n", "services/new/main.go": "package main\n" },
      conclusion: "success",
      annotations: [],
    },
    {
      name: "a new component with an invalid version fails",
      head: { "services/new/VERSION": "0.1\n", "services/new/main.go": "package main\n" },
      conclusion: "failure",
      annotations: [
        { path: "services/new/VERSION", line: 1, level: "failure", message: /write 0\.1\.0/ },
      ],
    },
    {
      name: "a removed component passes",
      head: { "services/web/VERSION": null, "services/web/index.ts": null },
      conclusion: "success",
      annotations: [],
    },
    {
      name: "removing a nested component does not oblige the outer one",
      head: {
        "services/roc-api/plugins/auth/VERSION": null,
        "services/roc-api/plugins/auth/auth.go": null,
      },
      conclusion: "success",
      annotations: [],
    },
    {
      name: "changes to ignored paths only need no bump",
      head: { "services/roc-api/README.md": "# new\n", "docs/guide.md": "new\n" },
      conclusion: "success",
      annotations: [],
    },
    {
      name: "a component affected only through depends_on need not bump",
      head: { "libs/proto/api.proto": "// changed\n", "libs/proto/VERSION": "2.1.0\n" },
      policy: DEPENDS,
      conclusion: "success",
      annotations: [],
    },
    {
      name: "a nested component's change obliges only the nested component",
      head: { "services/roc-api/plugins/auth/auth.go": "package auth // x\n" },
      conclusion: "failure",
      annotations: [
        {
          path: "services/roc-api/plugins/auth/VERSION",
          line: 1,
          level: "failure",
          message:
            /^services\/roc-api\/plugins\/auth changed \(1 file\) but VERSION is still 0\.1\.0/,
        },
      ],
    },
    {
      name: "an outer component's change does not oblige the nested one",
      head: { "services/roc-api/main.go": "x\n", "services/roc-api/VERSION": "1.3.0\n" },
      conclusion: "success",
      annotations: [],
    },
    {
      name: "a pre-release base is released by a patch bump",
      head: { "libs/proto/api.proto": "// x\n", "libs/proto/VERSION": "2.0.0\n" },
      conclusion: "failure",
      annotations: [
        { path: "libs/proto/VERSION", line: 1, level: "failure", message: /still 2\.0\.0/ },
      ],
    },
  ];

  it.each(cases)("$name", (c) => {
    const { result } = runScenario({
      base: MONOREPO,
      head: edit(MONOREPO, c.head),
      ...(c.policy ? { policy: c.policy } : {}),
      ...(c.commits ? { commits: c.commits } : {}),
      ...(c.releaseTags ? { releaseTags: c.releaseTags } : {}),
    });
    expect(result.name).toBe("monobot/versions");
    expect(result.conclusion).toBe(c.conclusion);
    if (c.annotations) {
      expect(result.annotations).toHaveLength(c.annotations.length);
      c.annotations.forEach((want, i) => {
        const got = result.annotations[i];
        expect(got).toMatchObject({ path: want.path, start_line: want.line, level: want.level });
        expect(got?.message).toMatch(want.message);
      });
    }
  });

  it("says in the summary that release tags were not checked when the listing is absent", () => {
    const { result } = runScenario({
      base: MONOREPO,
      head: edit(MONOREPO, {
        "services/roc-api/main.go": "x\n",
        "services/roc-api/VERSION": "1.2.4\n",
      }),
    });
    expect(result.summary).toMatch(/Release tags: not checked\..*`roc-api\/v1\.2\.4`.*unknown/);
    const listed = runScenario({
      base: MONOREPO,
      head: edit(MONOREPO, {
        "services/roc-api/main.go": "x\n",
        "services/roc-api/VERSION": "1.2.4\n",
      }),
      releaseTags: ["roc-api/v1.2.3"],
    });
    expect(listed.result.summary).toMatch(/Release tags: checked against 1 existing tag/);
  });

  it("summarises each component and the fix", () => {
    const { result } = runScenario({
      base: MONOREPO,
      head: edit(MONOREPO, {
        "services/roc-api/main.go": "x\n",
        "services/web/index.ts": "x\n",
        "services/web/VERSION": "0.9.1\n",
      }),
    });
    expect(result.summary).toContain(
      "| roc-api | `services/roc-api/VERSION` | ❌ not bumped (still 1.2.3) |",
    );
    expect(result.summary).toContain("| web | `services/web/VERSION` | ✅ 0.9.0 → 0.9.1 |");
    expect(result.summary).toContain("comment `/bump patch`");
    expect(result.title).toBe("1 file must change: 1 version problem");
  });

  it("asks only for the VERSION files of components with own changes", () => {
    const { requested } = runScenario({
      base: MONOREPO,
      head: edit(MONOREPO, { "libs/proto/api.proto": "// x\n", "libs/proto/VERSION": "2.0.1\n" }),
      policy: DEPENDS,
    });
    expect(requested.sort()).toEqual(["base:libs/proto/VERSION", "head:libs/proto/VERSION"]);
  });
});

// A config repository: root -> aether -> (roc-api, config-svc), three levels of umbrella.
const chart = (name: string, version: string, extra = "") =>
  `apiVersion: v2\nname: ${name}\ndescription: ${name} chart\nversion: ${version}\n${extra}`;

const CONFIG_REPO: Tree = {
  "charts/root/Chart.yaml": chart(
    "root",
    "3.1.0",
    "dependencies:\n  - name: aether\n    version: 2.0.0\n    repository: file://../aether\n",
  ),
  "charts/root/values.yaml": "aether: {}\n",
  "charts/aether/Chart.yaml": chart(
    "aether",
    "2.0.0",
    "dependencies:\n  - name: roc-api\n    version: 1.2.3\n    repository: file://../roc-api\n  - name: config-svc\n    version: ~0.5.0\n    repository: file://../config-svc\n",
  ),
  "charts/aether/values.yaml": "roc-api: {}\n",
  "charts/roc-api/Chart.yaml": chart("roc-api", "1.2.3", 'appVersion: "1.2.3"\n'),
  "charts/roc-api/values.yaml": "image: roc-api\n",
  "charts/roc-api/templates/deployment.yaml": "kind: Deployment\n",
  "charts/roc-api/templates/NOTES.txt": "thanks\n",
  "charts/roc-api/README.md": "# roc-api\n",
  "charts/roc-api/.helmignore": "*.tmp\nci/\n",
  "charts/roc-api/ci/test-values.yaml": "x: 1\n",
  "charts/config-svc/Chart.yaml": chart("config-svc", "0.5.1"),
  "charts/config-svc/values.yaml": "a: 1\n",
};

describe("monobot/versions on Helm charts", () => {
  const cases: {
    name: string;
    head: Record<string, string | null>;
    conclusion: "success" | "failure";
    annotations: { path: string; line: number; level: string; message: RegExp }[];
    policy?: unknown;
  }[] = [
    {
      name: "a changed chart that did not bump fails on its version line, and so do its umbrellas",
      head: { "charts/config-svc/values.yaml": "a: 2\n" },
      conclusion: "failure",
      annotations: [
        {
          path: "charts/aether/Chart.yaml",
          line: 4,
          level: "failure",
          message:
            /^charts\/config-svc 0\.5\.1 -> 0\.5\.2 requires charts\/aether to bump: its version is still 2\.0\.0/,
        },
        {
          path: "charts/config-svc/Chart.yaml",
          line: 4,
          level: "failure",
          message:
            /^charts\/config-svc changed \(1 file\) but its version is still 0\.5\.1: write version: 0\.5\.2 \(patch\), version: 0\.6\.0 \(minor\) or version: 1\.0\.0 \(major\), or comment `\/bump patch`/,
        },
        {
          path: "charts/root/Chart.yaml",
          line: 4,
          level: "failure",
          message:
            /^charts\/config-svc 0\.5\.1 -> 0\.5\.2 requires charts\/aether to bump, which requires charts\/root to bump: its version is still 3\.1\.0/,
        },
      ],
    },
    {
      name: "changes to ignored files and to what .helmignore leaves out need no bump",
      head: {
        "charts/roc-api/README.md": "# new\n",
        "charts/roc-api/templates/NOTES.txt": "bye\n",
        "charts/roc-api/ci/test-values.yaml": "x: 2\n",
        "charts/roc-api/scratch.tmp": "x\n",
      },
      conclusion: "success",
      annotations: [],
    },
    {
      name: "a bumped service chart needs its umbrella pins and versions up to the root",
      head: {
        "charts/roc-api/templates/deployment.yaml": "kind: Deployment # v2\n",
        "charts/roc-api/Chart.yaml": chart("roc-api", "1.2.4", 'appVersion: "1.2.3"\n'),
      },
      conclusion: "failure",
      annotations: [
        {
          path: "charts/aether/Chart.yaml",
          line: 4,
          level: "failure",
          message:
            /charts\/roc-api 1\.2\.3 -> 1\.2\.4 requires charts\/aether to bump: its version is still 2\.0\.0; write version: 2\.0\.1 \(patch\)[\s\S]*\(line 7\) charts\/aether pins roc-api to 1\.2\.3, which does not admit 1\.2\.4 .*write version: 1\.2\.4/,
        },
        {
          path: "charts/root/Chart.yaml",
          line: 4,
          level: "failure",
          message:
            /^charts\/roc-api 1\.2\.3 -> 1\.2\.4 requires charts\/aether to bump, which requires charts\/root to bump: its version is still 3\.1\.0/,
        },
      ],
    },
    {
      name: "the whole umbrella chain bumped and pinned passes",
      head: {
        "charts/roc-api/templates/deployment.yaml": "kind: Deployment # v2\n",
        "charts/roc-api/Chart.yaml": chart("roc-api", "1.2.4", 'appVersion: "1.2.3"\n'),
        "charts/aether/Chart.yaml": CONFIG_REPO["charts/aether/Chart.yaml"]!.replace(
          "1.2.3",
          "1.2.4",
        ).replace("version: 2.0.0", "version: 2.0.1"),
        "charts/root/Chart.yaml": CONFIG_REPO["charts/root/Chart.yaml"]!.replace(
          "version: 2.0.0",
          "version: 2.0.1",
        ).replace("version: 3.1.0", "version: 3.1.1"),
      },
      conclusion: "success",
      annotations: [],
    },
    {
      name: "a range pin that admits the new version needs only the parents' bumps",
      head: {
        "charts/config-svc/values.yaml": "a: 2\n",
        "charts/config-svc/Chart.yaml": chart("config-svc", "0.5.2"),
        "charts/aether/Chart.yaml": CONFIG_REPO["charts/aether/Chart.yaml"]!.replace(
          "version: 2.0.0",
          "version: 2.1.0",
        ),
      },
      conclusion: "failure",
      annotations: [
        {
          path: "charts/root/Chart.yaml",
          line: 4,
          level: "failure",
          message:
            /^charts\/aether 2\.0\.0 -> 2\.1\.0 requires charts\/root to bump: its version is still 3\.1\.0/,
        },
      ],
    },
    {
      name: "a lower chart version is a regression",
      head: {
        "charts/config-svc/values.yaml": "a: 2\n",
        "charts/config-svc/Chart.yaml": chart("config-svc", "0.5.0"),
      },
      conclusion: "failure",
      annotations: [
        {
          path: "charts/aether/Chart.yaml",
          line: 4,
          level: "failure",
          message: /requires charts\/aether to bump/,
        },
        {
          path: "charts/config-svc/Chart.yaml",
          line: 4,
          level: "failure",
          message: /version went from 0\.5\.1 to 0\.5\.0, a regression/,
        },
        {
          path: "charts/root/Chart.yaml",
          line: 4,
          level: "failure",
          message: /requires charts\/root to bump/,
        },
      ],
    },
    {
      name: "a Chart.yaml that is not valid YAML fails with its line",
      head: {
        "charts/config-svc/Chart.yaml": "apiVersion: v2\nname: config-svc\nversion: [0.5.2\n",
      },
      conclusion: "failure",
      annotations: [
        {
          path: "charts/config-svc/Chart.yaml",
          line: 4,
          level: "failure",
          message: /^charts\/config-svc\/Chart\.yaml is not valid YAML/,
        },
      ],
    },
    {
      name: "a Chart.yaml without version fails",
      head: { "charts/config-svc/Chart.yaml": "apiVersion: v2\nname: config-svc\n" },
      conclusion: "failure",
      annotations: [
        {
          path: "charts/config-svc/Chart.yaml",
          line: 1,
          level: "failure",
          message: /has no version; add a line `version: 0\.1\.0`/,
        },
      ],
    },
    {
      name: "a new chart passes",
      head: { "charts/new/Chart.yaml": chart("new", "0.1.0"), "charts/new/values.yaml": "a: 1\n" },
      conclusion: "success",
      annotations: [],
    },
    {
      name: "charts outside charts.paths are not checked",
      head: {
        "deploy/other/Chart.yaml": chart("other", "1.0.0"),
        "deploy/other/values.yaml": "a\n",
      },
      conclusion: "success",
      annotations: [],
    },
  ];

  it.each(cases)("$name", (c) => {
    const { result } = runScenario({
      base: CONFIG_REPO,
      head: edit(CONFIG_REPO, c.head),
      ...(c.policy ? { policy: c.policy } : {}),
    });
    expect(result.conclusion).toBe(c.conclusion);
    expect(result.annotations.map((a) => [a.path, a.start_line, a.level])).toEqual(
      c.annotations.map((a) => [a.path, a.line, a.level]),
    );
    c.annotations.forEach((want, i) =>
      expect(result.annotations[i]?.message).toMatch(want.message),
    );
  });

  it("reads Helm 2 requirements.yaml pins", () => {
    const base: Tree = {
      "charts/umbrella/Chart.yaml": "apiVersion: v1\nname: umbrella\nversion: 1.0.0\n",
      "charts/umbrella/requirements.yaml":
        "dependencies:\n- name: svc\n  version: 0.1.0\n  repository: file://../svc\n",
      "charts/svc/Chart.yaml": "apiVersion: v1\nname: svc\nversion: 0.1.0\n",
      "charts/svc/values.yaml": "a: 1\n",
    };
    const { result } = runScenario({
      base,
      head: edit(base, {
        "charts/svc/values.yaml": "a: 2\n",
        "charts/svc/Chart.yaml": "apiVersion: v1\nname: svc\nversion: 0.1.1\n",
        "charts/umbrella/Chart.yaml": "apiVersion: v1\nname: umbrella\nversion: 1.0.1\n",
      }),
    });
    expect(result.conclusion).toBe("failure");
    expect(result.annotations).toMatchObject([
      { path: "charts/umbrella/requirements.yaml", start_line: 3, level: "failure" },
    ]);
    expect(result.annotations[0]?.message).toMatch(
      /pins svc to 0\.1\.0, which does not admit 0\.1\.1.*write version: 0\.1\.1/,
    );
  });

  it("links dependencies by chart name when the repository is not file://", () => {
    const base: Tree = {
      "charts/umbrella/Chart.yaml":
        "name: umbrella\nversion: 1.0.0\ndependencies:\n  - name: svc\n    version: ^0.1.0\n    repository: oci://registry.example.com/charts\n",
      "charts/svc/Chart.yaml": "name: svc\nversion: 0.1.0\n",
      "charts/svc/values.yaml": "a: 1\n",
    };
    const { result } = runScenario({
      base,
      head: edit(base, {
        "charts/svc/values.yaml": "a: 2\n",
        "charts/svc/Chart.yaml": "name: svc\nversion: 0.1.1\n",
      }),
    });
    expect(result.annotations).toHaveLength(1);
    expect(result.annotations[0]).toMatchObject({
      path: "charts/umbrella/Chart.yaml",
      start_line: 2,
    });
    expect(result.annotations[0]?.message).toMatch(
      /^charts\/svc 0\.1\.0 -> 0\.1\.1 requires charts\/umbrella to bump/,
    );
  });

  it("puts several problems of one file in one annotation, on the first line to change", () => {
    const { result } = runScenario({
      base: CONFIG_REPO,
      head: edit(CONFIG_REPO, {
        "charts/roc-api/values.yaml": "image: v2\n",
        "charts/roc-api/Chart.yaml": chart("roc-api", "1.2.4", 'appVersion: "1.2.3"\n'),
      }),
    });
    const aether = result.annotations.filter((a) => a.path === "charts/aether/Chart.yaml");
    expect(aether).toHaveLength(1);
    expect(aether[0]?.message.split("\n\n")).toHaveLength(2);
  });

  it("reads every Chart.yaml at the head and only changed ones at the base", () => {
    const { requested } = runScenario({
      base: CONFIG_REPO,
      head: edit(CONFIG_REPO, { "charts/roc-api/values.yaml": "image: v2\n" }),
    });
    expect(requested.sort()).toEqual([
      "head:charts/aether/Chart.yaml",
      "head:charts/config-svc/Chart.yaml",
      "head:charts/roc-api/.helmignore",
      "head:charts/roc-api/Chart.yaml",
      "head:charts/root/Chart.yaml",
    ]);
  });
});

describe("appVersion tied to a component (charts.app_version)", () => {
  const base: Tree = {
    "services/roc-api/VERSION": "1.2.3\n",
    "services/roc-api/main.go": "package main\n",
    "charts/roc-api/Chart.yaml": chart("roc-api", "1.2.3", 'appVersion: "1.2.3"\n'),
    "charts/roc-api/values.yaml": "a: 1\n",
  };
  const policy = { charts: { app_version: { "charts/roc-api": "roc-api" } } };

  it.each([
    {
      name: "a component bump without the chart's appVersion fails on the appVersion line",
      head: { "services/roc-api/main.go": "x\n", "services/roc-api/VERSION": "1.2.4\n" },
      conclusion: "failure",
      annotations: [
        [
          "charts/roc-api/Chart.yaml",
          5,
          /^charts\/roc-api has appVersion 1\.2\.3 but roc-api is at 1\.2\.4 \(services\/roc-api\/VERSION\); charts\.app_version ties them: write appVersion: "1\.2\.4", and then the chart's version must go up from 1\.2\.3: write version: 1\.2\.4 \(patch\)/,
        ],
      ],
    },
    {
      name: "component, appVersion and chart version together pass",
      head: {
        "services/roc-api/main.go": "x\n",
        "services/roc-api/VERSION": "1.2.4\n",
        "charts/roc-api/Chart.yaml": chart("roc-api", "1.2.4", 'appVersion: "1.2.4"\n'),
      },
      conclusion: "success",
      annotations: [],
    },
    {
      name: "an appVersion changed away from the component fails",
      head: { "charts/roc-api/Chart.yaml": chart("roc-api", "1.2.4", 'appVersion: "9.9.9"\n') },
      conclusion: "failure",
      annotations: [
        ["charts/roc-api/Chart.yaml", 5, /has appVersion 9\.9\.9 but roc-api is at 1\.2\.3/],
      ],
    },
  ] as const)("$name", (c) => {
    const { result } = runScenario({
      base,
      head: edit(base, c.head as Record<string, string>),
      policy,
    });
    expect(result.conclusion).toBe(c.conclusion);
    expect(result.annotations.map((a) => [a.path, a.start_line])).toEqual(
      c.annotations.map((a) => [a[0], a[1]]),
    );
    c.annotations.forEach((a, i) => expect(result.annotations[i]?.message).toMatch(a[2]));
  });

  it("tells a component that did not bump that its tied chart must follow", () => {
    const { result } = runScenario({
      base,
      head: edit(base, { "services/roc-api/main.go": "x\n" }),
      policy,
    });
    expect(result.annotations).toHaveLength(1);
    expect(result.annotations[0]?.message).toMatch(
      /or comment `\/bump patch` \(charts\/roc-api must follow: charts\.app_version ties its appVersion to this VERSION\)$/,
    );
  });

  it("notes a tie to a chart or component that does not exist", () => {
    const { result } = runScenario({
      base,
      head: edit(base, {
        "services/roc-api/main.go": "x\n",
        "services/roc-api/VERSION": "1.2.4\n",
      }),
      policy: { charts: { app_version: { "charts/nope": "roc-api", "charts/roc-api/": "ghost" } } },
    });
    expect(result.conclusion).toBe("success");
    expect(result.summary).toMatch(/`charts\.app_version` names `charts\/nope`/);
    expect(result.summary).toMatch(/ties `charts\/roc-api` to `ghost`, which is not a component/);
  });
});

describe("versionsModel", () => {
  it("exposes what /bump needs: failing components and charts with their texts", () => {
    const head = edit(MONOREPO, { "services/roc-api/main.go": "x\n" });
    const policy = policyWith();
    const files = changes(MONOREPO, head);
    const headPaths = Object.keys(head).sort();
    const components = componentReport(headPaths, files, policy, "mono");
    const contents = new Map<string, string | null>([
      ["base:services/roc-api/VERSION", "1.2.3\n"],
      ["head:services/roc-api/VERSION", "1.2.3\n"],
    ]);
    const model = versionsModel({
      snapshot: {
        repo: { owner: "a", name: "mono", defaultBranch: "main" },
        base: { ref: "main", sha: "b" },
        head: { ref: "f", sha: "h" },
        files,
        truncated: true,
        commits: [],
        headPaths,
        contents,
      },
      policy,
      components,
    });
    expect(model.components.map((c) => [c.component.name, c.needsBump, c.baseVersion])).toEqual([
      ["roc-api", true, "1.2.3"],
    ]);
    expect(model.notes.join(" ")).toMatch(/more than 3,000 files/);
  });
});
