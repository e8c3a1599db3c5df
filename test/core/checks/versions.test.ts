import { describe, expect, it } from "vitest";
import { versionsCheck } from "../../../src/core/checks/versions.js";
import { versionsModel } from "../../../src/core/checks/versions-model.js";
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

/**
 * The files listing of a change; `renames` (head path -> base path) are listed as GitHub and
 * `git diff -M` list them: one `renamed` entry, with no added or deleted lines when unchanged.
 */
function changes(base: Tree, head: Tree, renames: Record<string, string> = {}): ChangedFile[] {
  const out: ChangedFile[] = [];
  const renamedFrom = new Set(Object.values(renames));
  for (const [path, previousPath] of Object.entries(renames)) {
    const same = base[previousPath] === head[path];
    out.push({
      path,
      previousPath,
      status: "renamed",
      additions: same ? 0 : 1,
      deletions: same ? 0 : 1,
    });
  }
  for (const path of [...new Set([...Object.keys(base), ...Object.keys(head)])].sort()) {
    if (path in renames || renamedFrom.has(path)) continue;
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
  renames?: Record<string, string>;
}

/**
 * Runs the check the way the pipeline does: components from the head paths, then ONLY the
 * contents the check's `needs` asked for, then `run`. A rule that reads a file it did not ask
 * for sees `null`, so these tests also prove that `needs` is complete.
 */
function runScenario(s: Scenario): { result: CheckResult; requested: string[] } {
  const policy = policyWith(s.policy);
  const files = changes(s.base, s.head, s.renames);
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

// A repository that keeps in-development versions: config-models is on a pre-release, the
// root component on a release (the commit after a release sets the next -dev).
const DEV_REPO: Tree = {
  VERSION: "0.11.13\n",
  Makefile: "all:\n",
  "models/ric/VERSION": "0.1.4-dev\n",
  "models/ric/ric.yang": "module ric {}\n",
  "models/e2node/VERSION": "0.2.0-rc.1\n",
  "models/e2node/e2node.yang": "module e2node {}\n",
};

describe("monobot/versions on pre-release (in-development) VERSIONs", () => {
  const cases: {
    name: string;
    head: Record<string, string | null>;
    policy?: unknown;
    releaseTags?: string[];
    conclusion: "success" | "failure";
    annotations: [string, "failure" | "notice", RegExp][];
    verdict?: RegExp;
  }[] = [
    {
      name: "release -> next -dev (the commit after a release)",
      head: { VERSION: "0.11.14-dev\n", Makefile: "all: build\n" },
      conclusion: "success",
      annotations: [],
      verdict: /^\| mono \| `VERSION` \| ✅ 0\.11\.13 → 0\.11\.14-dev \|$/m,
    },
    {
      name: "dev -> dev with changes, VERSION untouched",
      head: { "models/ric/ric.yang": "module ric { leaf a; }\n" },
      conclusion: "success",
      annotations: [],
      verdict: /✅ in development on 0\.1\.4-dev \(no new version needed\)/,
    },
    {
      name: "an rc pre-release takes changes too",
      head: { "models/e2node/e2node.yang": "module e2node { leaf b; }\n" },
      conclusion: "success",
      annotations: [],
    },
    {
      name: "dev -> dev with only build metadata added",
      head: {
        "models/ric/ric.yang": "module ric { leaf a; }\n",
        "models/ric/VERSION": "0.1.4-dev+sha.1a2b\n",
      },
      conclusion: "success",
      annotations: [],
    },
    {
      name: "dev -> next dev iteration",
      head: { "models/ric/ric.yang": "x\n", "models/ric/VERSION": "0.1.4-dev.1\n" },
      conclusion: "success",
      annotations: [],
    },
    {
      name: "dev -> release (the release commit)",
      head: { "models/ric/ric.yang": "x\n", "models/ric/VERSION": "0.1.4\n" },
      releaseTags: ["ric/v0.1.3"],
      conclusion: "success",
      annotations: [],
      verdict: /✅ 0\.1\.4-dev → 0\.1\.4/,
    },
    {
      name: "dev -> a release that is tagged already",
      head: { "models/ric/ric.yang": "x\n", "models/ric/VERSION": "0.1.4\n" },
      releaseTags: ["ric/v0.1.4"],
      conclusion: "failure",
      annotations: [
        [
          "models/ric/VERSION",
          "failure",
          /ric 0\.1\.4 was released already \(tag ric\/v0\.1\.4 exists\)/,
        ],
      ],
    },
    {
      name: "release -> release without a bump",
      head: { Makefile: "all: build\n" },
      conclusion: "failure",
      annotations: [
        [
          "VERSION",
          "failure",
          /^mono changed \(1 file\) but VERSION is still 0\.11\.13: write 0\.11\.14 \(patch\)/,
        ],
      ],
    },
    {
      name: "a decrease from a release to an older pre-release",
      head: { Makefile: "all: build\n", VERSION: "0.11.13-dev\n" },
      conclusion: "failure",
      annotations: [
        [
          "VERSION",
          "failure",
          /went from 0\.11\.13 to 0\.11\.13-dev, a regression: 0\.11\.13-dev is lower than 0\.11\.13/,
        ],
      ],
    },
    {
      name: "a decrease from a pre-release to an older one",
      head: { "models/ric/ric.yang": "x\n", "models/ric/VERSION": "0.1.3-dev\n" },
      conclusion: "failure",
      annotations: [["models/ric/VERSION", "failure", /0\.1\.4-dev to 0\.1\.3-dev, a regression/]],
    },
    {
      name: "dev -> dev with changes fails with versions.every_change: true",
      head: { "models/ric/ric.yang": "x\n" },
      policy: { versions: { every_change: true } },
      conclusion: "failure",
      annotations: [
        [
          "models/ric/VERSION",
          "failure",
          /^models\/ric changed \(1 file\) but VERSION is still 0\.1\.4-dev: write 0\.1\.4 \(patch\), 0\.2\.0 \(minor\), 1\.0\.0 \(major\) or 0\.1\.4-dev\.1 \(prerelease\)/,
        ],
      ],
    },
    {
      name: "dev -> dev.1 passes with versions.every_change: true",
      head: { "models/ric/ric.yang": "x\n", "models/ric/VERSION": "0.1.4-dev.1\n" },
      policy: { versions: { every_change: true } },
      conclusion: "success",
      annotations: [],
    },
    {
      name: "a pre-release base must move to a release where pre-releases are forbidden",
      head: { "models/ric/ric.yang": "x\n" },
      policy: { versions: { prerelease: "forbid" } },
      conclusion: "failure",
      annotations: [
        ["models/ric/VERSION", "failure", /still 0\.1\.4-dev: write 0\.1\.4 \(patch\)/],
      ],
    },
  ];

  it.each(cases)("$name", (c) => {
    const { result } = runScenario({
      base: DEV_REPO,
      head: edit(DEV_REPO, c.head),
      ...(c.policy ? { policy: c.policy } : {}),
      ...(c.releaseTags ? { releaseTags: c.releaseTags } : {}),
    });
    expect(result.conclusion).toBe(c.conclusion);
    expect(result.annotations.map((a) => [a.path, a.level])).toEqual(
      c.annotations.map(([path, level]) => [path, level]),
    );
    c.annotations.forEach(([, , message], i) =>
      expect(result.annotations[i]?.message).toMatch(message),
    );
    if (c.verdict) expect(result.summary).toMatch(c.verdict);
  });

  it("says in the title and the summary why an in-development component needs no bump", () => {
    const { result } = runScenario({
      base: DEV_REPO,
      head: edit(DEV_REPO, {
        "models/ric/ric.yang": "x\n",
        "models/e2node/e2node.yang": "y\n",
      }),
    });
    expect(result.title).toBe("No new version needed: 2 components in development");
    expect(result.summary).toContain(
      "In development: `e2node` 0.2.0-rc.1, `ric` 0.1.4-dev. A pre-release VERSION takes changes as it is; the release commit sets the release version (`versions.every_change: false`).",
    );
    const mixed = runScenario({
      base: DEV_REPO,
      head: edit(DEV_REPO, {
        "models/ric/ric.yang": "x\n",
        Makefile: "all: build\n",
        VERSION: "0.11.14-dev\n",
      }),
    });
    expect(mixed.result.title).toBe(
      "Versions go up: 1 component, 0 charts; 1 component in development",
    );
  });

  it("lists for the release-tag line only the versions that became releases", () => {
    const { result } = runScenario({
      base: DEV_REPO,
      head: edit(DEV_REPO, {
        Makefile: "all: build\n",
        VERSION: "0.11.14-dev\n",
        "models/ric/ric.yang": "x\n",
        "models/ric/VERSION": "0.1.4\n",
      }),
    });
    expect(result.summary).toMatch(/Release tags: not checked\. .*whether `ric\/v0\.1\.4` exists/);
    expect(result.summary).not.toMatch(/`mono\/v/);
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
  it("takes a repository dependency for a published chart, not for this repository's copy", () => {
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
    expect(result.conclusion).toBe("success");
    expect(result.annotations).toEqual([]);
  });
});

// Helm's rule: root packages aether (file://); aether packages roc-api (file://), sub (no
// repository: its own charts/sub) and vendored (embedded, not listed), and pins ran-simulator
// from a chart repository (@sdran); onos pins three charts of this repository from repositories.
const dep = (name: string, version: string, repository?: string) =>
  `  - name: ${name}\n    version: ${version}\n${repository === undefined ? "" : `    repository: "${repository}"\n`}`;
const HELM_REPO: Tree = {
  "charts/root/Chart.yaml": chart(
    "root",
    "3.1.0",
    `dependencies:\n${dep("aether", "2.0.0", "file://../aether")}${dep("redis", "^17.0.0", "https://charts.bitnami.com/bitnami")}`,
  ),
  "charts/root/values.yaml": "a: 1\n",
  "charts/aether/Chart.yaml": chart(
    "aether",
    "2.0.0",
    `dependencies:\n${dep("roc-api", "1.2.3", "file://../roc-api")}${dep("ran-simulator", "1.3.1", "@sdran")}${dep("sub", "0.1.0")}`,
  ),
  "charts/aether/values.yaml": "a: 1\n",
  "charts/aether/charts/sub/Chart.yaml": chart("sub", "0.1.0"),
  "charts/aether/charts/sub/values.yaml": "a: 1\n",
  "charts/aether/charts/vendored/Chart.yaml": chart("vendored", "1.0.0"),
  "charts/aether/charts/vendored/templates/cm.yaml": "kind: ConfigMap\n",
  "charts/roc-api/Chart.yaml": chart("roc-api", "1.2.3"),
  "charts/roc-api/values.yaml": "a: 1\n",
  "charts/roc-api/templates/deploy.yaml": "kind: Deployment\n",
  "charts/ran-simulator/Chart.yaml": chart("ran-simulator", "1.3.1"),
  "charts/ran-simulator/values.yaml": "a: 1\n",
  "charts/onos/Chart.yaml": chart(
    "onos",
    "0.5.0",
    `dependencies:\n${dep("onos-config", "^1.0.0", "oci://ghcr.io/onosproject/charts")}${dep("onos-topo", "1.0.0", "onosproject")}${dep("onos-gui", "1.0.0", "alias:onos")}`,
  ),
  "charts/onos-config/Chart.yaml": chart("onos-config", "1.0.0"),
  "charts/onos-topo/Chart.yaml": chart("onos-topo", "1.0.0"),
  "charts/onos-gui/Chart.yaml": chart("onos-gui", "1.0.0"),
};

const bumped = (path: string, from: string, to: string) =>
  (HELM_REPO[path] as string).replace(`version: ${from}\n`, `version: ${to}\n`);
/** aether at 2.0.1 with a changed text, and root at 3.1.1 pinning it: the umbrellas done right. */
const AETHER_AND_ROOT_UP = {
  "charts/root/Chart.yaml": bumped("charts/root/Chart.yaml", "3.1.0", "3.1.1").replace(
    "version: 2.0.0",
    "version: 2.0.1",
  ),
};

describe("Helm's dependency rule: only file:// and embedded sub-charts are packaged", () => {
  const cases: {
    name: string;
    head: Record<string, string | null>;
    baseEdits?: Record<string, string | null>;
    renames?: Record<string, string>;
    conclusion: "success" | "failure";
    annotations: [string, "failure" | "warning" | "notice", RegExp[]][];
  }[] = [
    {
      name: "a file:// sub-chart that went up obliges its umbrellas to admit it and go up, to the root",
      head: {
        "charts/roc-api/values.yaml": "a: 2\n",
        "charts/roc-api/Chart.yaml": chart("roc-api", "1.2.4"),
      },
      conclusion: "failure",
      annotations: [
        [
          "charts/aether/Chart.yaml",
          "failure",
          [
            /^charts\/roc-api 1\.2\.3 -> 1\.2\.4 requires charts\/aether to bump: its version is still 2\.0\.0/,
            /charts\/aether pins roc-api to 1\.2\.3, which does not admit 1\.2\.4 \(charts\/roc-api 1\.2\.3 -> 1\.2\.4\): write version: 1\.2\.4/,
          ],
        ],
        [
          "charts/root/Chart.yaml",
          "failure",
          [
            /requires charts\/aether to bump, which requires charts\/root to bump: its version is still 3\.1\.0/,
          ],
        ],
      ],
    },
    {
      name: "a repository dependency on this repository's chart that went up is a notice only",
      head: {
        "charts/ran-simulator/values.yaml": "a: 2\n",
        "charts/ran-simulator/Chart.yaml": chart("ran-simulator", "1.3.2"),
      },
      conclusion: "success",
      annotations: [
        [
          "charts/aether/Chart.yaml",
          "notice",
          [
            /^charts\/aether pins ran-simulator 1\.3\.1 from @sdran; this repository now has 1\.3\.2 \(charts\/ran-simulator\) — update the pin once 1\.3\.2 is published$/,
          ],
        ],
      ],
    },
    {
      name: "a repository pin that admits the new version needs nothing",
      head: {
        "charts/onos-config/Chart.yaml": chart("onos-config", "1.0.1"),
      },
      conclusion: "success",
      annotations: [],
    },
    {
      name: "a repository name and an alias: repository are published pins too",
      head: {
        "charts/onos-topo/Chart.yaml": chart("onos-topo", "1.1.0"),
        "charts/onos-gui/Chart.yaml": chart("onos-gui", "1.0.1"),
      },
      conclusion: "success",
      annotations: [
        [
          "charts/onos/Chart.yaml",
          "notice",
          [
            /charts\/onos pins onos-topo 1\.0\.0 from onosproject; this repository now has 1\.1\.0/,
            /charts\/onos pins onos-gui 1\.0\.0 from alias:onos; this repository now has 1\.0\.1/,
          ],
        ],
      ],
    },
    {
      name: "a changed repository-pinned chart must still go up itself",
      head: { "charts/ran-simulator/values.yaml": "a: 2\n" },
      conclusion: "failure",
      annotations: [
        [
          "charts/ran-simulator/Chart.yaml",
          "failure",
          [/^charts\/ran-simulator changed \(1 file\) but its version is still 1\.3\.1/],
        ],
      ],
    },
    {
      name: "an embedded sub-chart listed without repository has its pin checked like file://",
      head: {
        "charts/aether/charts/sub/values.yaml": "a: 2\n",
        "charts/aether/charts/sub/Chart.yaml": chart("sub", "0.1.1"),
      },
      conclusion: "failure",
      annotations: [
        [
          "charts/aether/Chart.yaml",
          "failure",
          [
            /^charts\/aether\/charts\/sub 0\.1\.0 -> 0\.1\.1 requires charts\/aether to bump/,
            /charts\/aether pins sub to 0\.1\.0, which does not admit 0\.1\.1/,
          ],
        ],
        ["charts/root/Chart.yaml", "failure", [/which requires charts\/root to bump/]],
      ],
    },
    {
      name: "an embedded sub-chart the umbrella does not list is packaged all the same",
      head: { "charts/aether/charts/vendored/templates/cm.yaml": "kind: ConfigMap # 2\n" },
      conclusion: "failure",
      annotations: [
        [
          "charts/aether/Chart.yaml",
          "failure",
          [/^charts\/aether\/charts\/vendored 1\.0\.0 -> 1\.0\.1 requires charts\/aether to bump/],
        ],
        [
          "charts/aether/charts/vendored/Chart.yaml",
          "failure",
          [/^charts\/aether\/charts\/vendored changed \(1 file\) but its version is still 1\.0\.0/],
        ],
        ["charts/root/Chart.yaml", "failure", [/which requires charts\/root to bump/]],
      ],
    },
    {
      name: "an unlisted embedded sub-chart that went up has no pin to fix, only umbrellas to bump",
      head: {
        "charts/aether/charts/vendored/templates/cm.yaml": "kind: ConfigMap # 2\n",
        "charts/aether/charts/vendored/Chart.yaml": chart("vendored", "1.0.1"),
        "charts/aether/Chart.yaml": bumped("charts/aether/Chart.yaml", "2.0.0", "2.0.1"),
        ...AETHER_AND_ROOT_UP,
      },
      conclusion: "success",
      annotations: [],
    },
    {
      name: "a file:// pin changed so that it no longer admits the local chart fails",
      head: {
        "charts/aether/Chart.yaml": bumped("charts/aether/Chart.yaml", "2.0.0", "2.0.1").replace(
          "version: 1.2.3",
          "version: 1.2.2",
        ),
        ...AETHER_AND_ROOT_UP,
      },
      conclusion: "failure",
      annotations: [
        [
          "charts/aether/Chart.yaml",
          "failure",
          [
            /^charts\/aether pins roc-api to 1\.2\.2, which does not admit 1\.2\.3, the version of charts\/roc-api: Helm would refuse to build charts\/aether \(`helm dependency update` checks a file:\/\/ sub-chart against its pin\); write version: 1\.2\.3/,
          ],
        ],
      ],
    },
    {
      name: "a wrong file:// pin in an umbrella the change touches fails",
      baseEdits: {
        "charts/aether/Chart.yaml": (HELM_REPO["charts/aether/Chart.yaml"] as string).replace(
          "version: 1.2.3",
          "version: 1.2.2",
        ),
      },
      head: {
        "charts/aether/values.yaml": "a: 2\n",
        "charts/aether/Chart.yaml": bumped("charts/aether/Chart.yaml", "2.0.0", "2.0.1").replace(
          "version: 1.2.3",
          "version: 1.2.2",
        ),
        ...AETHER_AND_ROOT_UP,
      },
      conclusion: "failure",
      annotations: [
        [
          "charts/aether/Chart.yaml",
          "failure",
          [/pins roc-api to 1\.2\.2, which does not admit 1\.2\.3/],
        ],
      ],
    },
    {
      name: "a wrong file:// pin in an umbrella the change does not touch is not this change's",
      baseEdits: {
        "charts/aether/Chart.yaml": (HELM_REPO["charts/aether/Chart.yaml"] as string).replace(
          "version: 1.2.3",
          "version: 1.2.2",
        ),
      },
      head: {
        "charts/root/values.yaml": "a: 2\n",
        "charts/root/Chart.yaml": bumped("charts/root/Chart.yaml", "3.1.0", "3.1.1"),
      },
      conclusion: "success",
      annotations: [],
    },
    {
      name: "a renamed chart folder with a new chart name is a new chart",
      renames: {
        "charts/ransim-next/Chart.yaml": "charts/ran-simulator/Chart.yaml",
        "charts/ransim-next/values.yaml": "charts/ran-simulator/values.yaml",
      },
      head: {
        "charts/ran-simulator/Chart.yaml": null,
        "charts/ran-simulator/values.yaml": null,
        "charts/ransim-next/Chart.yaml": chart("ransim-next", "0.1.0"),
        "charts/ransim-next/values.yaml": "a: 1\n",
      },
      conclusion: "success",
      annotations: [],
    },
    {
      name: "a chart moved to another folder under its name is the same chart: moved files need no bump",
      renames: {
        "charts/services/roc-api/Chart.yaml": "charts/roc-api/Chart.yaml",
        "charts/services/roc-api/values.yaml": "charts/roc-api/values.yaml",
        "charts/services/roc-api/templates/deploy.yaml": "charts/roc-api/templates/deploy.yaml",
      },
      head: {
        "charts/roc-api/Chart.yaml": null,
        "charts/roc-api/values.yaml": null,
        "charts/roc-api/templates/deploy.yaml": null,
        "charts/services/roc-api/Chart.yaml": HELM_REPO["charts/roc-api/Chart.yaml"] as string,
        "charts/services/roc-api/values.yaml": "a: 1\n",
        "charts/services/roc-api/templates/deploy.yaml": "kind: Deployment\n",
        "charts/aether/Chart.yaml": bumped("charts/aether/Chart.yaml", "2.0.0", "2.0.1").replace(
          "file://../roc-api",
          "file://../services/roc-api",
        ),
        ...AETHER_AND_ROOT_UP,
      },
      conclusion: "success",
      annotations: [],
    },
    {
      name: "a chart moved under its name with a changed file must go up",
      renames: {
        "charts/services/roc-api/Chart.yaml": "charts/roc-api/Chart.yaml",
        "charts/services/roc-api/values.yaml": "charts/roc-api/values.yaml",
      },
      head: {
        "charts/roc-api/Chart.yaml": null,
        "charts/roc-api/values.yaml": null,
        "charts/roc-api/templates/deploy.yaml": null,
        "charts/services/roc-api/Chart.yaml": HELM_REPO["charts/roc-api/Chart.yaml"] as string,
        "charts/services/roc-api/values.yaml": "a: 2\n",
        "charts/aether/Chart.yaml": bumped("charts/aether/Chart.yaml", "2.0.0", "2.0.1").replace(
          "file://../roc-api",
          "file://../services/roc-api",
        ),
        ...AETHER_AND_ROOT_UP,
      },
      conclusion: "failure",
      annotations: [
        [
          "charts/services/roc-api/Chart.yaml",
          "failure",
          // values.yaml changed; templates/deploy.yaml was removed from the old folder.
          [/^charts\/services\/roc-api changed \(2 files\) but its version is still 1\.2\.3/],
        ],
      ],
    },
    {
      name: "a chart moved under its name (added and removed, no rename) with a lower version is a regression",
      head: {
        "charts/roc-api/Chart.yaml": null,
        "charts/roc-api/values.yaml": null,
        "charts/roc-api/templates/deploy.yaml": null,
        "charts/services/roc-api/Chart.yaml": chart("roc-api", "1.2.2"),
        "charts/services/roc-api/values.yaml": "a: 1\n",
        "charts/services/roc-api/templates/deploy.yaml": "kind: Deployment\n",
        "charts/aether/Chart.yaml": bumped("charts/aether/Chart.yaml", "2.0.0", "2.0.1")
          .replace("file://../roc-api", "file://../services/roc-api")
          .replace("version: 1.2.3", "version: 1.2.2"),
        ...AETHER_AND_ROOT_UP,
      },
      conclusion: "failure",
      annotations: [
        [
          "charts/services/roc-api/Chart.yaml",
          "failure",
          [/^charts\/services\/roc-api version went from 1\.2\.3 to 1\.2\.2, a regression/],
        ],
      ],
    },
    {
      name: "a file:// dependency left pointing at the folder a chart moved away from fails",
      renames: {
        "charts/services/roc-api/Chart.yaml": "charts/roc-api/Chart.yaml",
        "charts/services/roc-api/values.yaml": "charts/roc-api/values.yaml",
        "charts/services/roc-api/templates/deploy.yaml": "charts/roc-api/templates/deploy.yaml",
      },
      head: {
        "charts/roc-api/Chart.yaml": null,
        "charts/roc-api/values.yaml": null,
        "charts/roc-api/templates/deploy.yaml": null,
        "charts/services/roc-api/Chart.yaml": HELM_REPO["charts/roc-api/Chart.yaml"] as string,
        "charts/services/roc-api/values.yaml": "a: 1\n",
        "charts/services/roc-api/templates/deploy.yaml": "kind: Deployment\n",
      },
      conclusion: "failure",
      annotations: [
        [
          "charts/aether/Chart.yaml",
          "failure",
          [
            /^charts\/aether depends on roc-api from file:\/\/\.\.\/roc-api, but charts\/roc-api holds no Chart\.yaml any more: Helm cannot build charts\/aether; write repository: file:\/\/\.\.\/services\/roc-api \(roc-api moved to charts\/services\/roc-api\)$/,
          ],
        ],
      ],
    },
  ];

  it.each(cases)("$name", (c) => {
    const base = edit(HELM_REPO, c.baseEdits ?? {});
    const { result } = runScenario({
      base,
      head: edit(base, c.head),
      ...(c.renames ? { renames: c.renames } : {}),
    });
    expect(result.conclusion).toBe(c.conclusion);
    expect(result.annotations.map((a) => [a.path, a.level])).toEqual(
      c.annotations.map(([path, level]) => [path, level]),
    );
    c.annotations.forEach(([, , messages], i) => {
      const parts = result.annotations[i]?.message.split("\n\n") ?? [];
      expect(parts).toHaveLength(messages.length);
      // The message that matches, or all of them, so that a failure shows what was said.
      messages.forEach((m) => expect(parts.find((p) => m.test(p)) ?? parts.join("\n")).toMatch(m));
    });
  });
});

describe("Helm's dependency rule in Helm 2's requirements.yaml", () => {
  const base: Tree = {
    "charts/umbrella/Chart.yaml": "apiVersion: v1\nname: umbrella\nversion: 1.0.0\n",
    "charts/umbrella/requirements.yaml":
      "dependencies:\n- name: svc\n  version: 0.1.0\n  repository: file://../svc\n- name: published\n  version: 2.0.0\n  repository: https://charts.example.com\n",
    "charts/umbrella/charts/inner/Chart.yaml": "apiVersion: v1\nname: inner\nversion: 0.3.0\n",
    "charts/svc/Chart.yaml": "apiVersion: v1\nname: svc\nversion: 0.1.0\n",
    "charts/published/Chart.yaml": "apiVersion: v1\nname: published\nversion: 2.0.0\n",
  };

  const cases: {
    name: string;
    head: Record<string, string>;
    conclusion: "success" | "failure";
    annotations: [string, "failure" | "notice", RegExp][];
  }[] = [
    {
      name: "a repository dependency is a notice",
      head: { "charts/published/Chart.yaml": "apiVersion: v1\nname: published\nversion: 2.0.1\n" },
      conclusion: "success",
      annotations: [
        [
          "charts/umbrella/requirements.yaml",
          "notice",
          /^charts\/umbrella pins published 2\.0\.0 from https:\/\/charts\.example\.com; this repository now has 2\.0\.1/,
        ],
      ],
    },
    {
      name: "a file:// dependency needs the pin and the umbrella's bump",
      head: { "charts/svc/Chart.yaml": "apiVersion: v1\nname: svc\nversion: 0.1.1\n" },
      conclusion: "failure",
      annotations: [
        [
          "charts/umbrella/Chart.yaml",
          "failure",
          /^charts\/svc 0\.1\.0 -> 0\.1\.1 requires charts\/umbrella to bump/,
        ],
        [
          "charts/umbrella/requirements.yaml",
          "failure",
          /pins svc to 0\.1\.0, which does not admit 0\.1\.1/,
        ],
      ],
    },
    {
      name: "an embedded chart needs the umbrella's bump",
      head: {
        "charts/umbrella/charts/inner/Chart.yaml": "apiVersion: v1\nname: inner\nversion: 0.3.1\n",
      },
      conclusion: "failure",
      annotations: [
        [
          "charts/umbrella/Chart.yaml",
          "failure",
          /^charts\/umbrella\/charts\/inner 0\.3\.0 -> 0\.3\.1 requires charts\/umbrella to bump/,
        ],
      ],
    },
  ];

  it.each(cases)("$name", (c) => {
    const { result } = runScenario({ base, head: edit(base, c.head) });
    expect(result.conclusion).toBe(c.conclusion);
    expect(result.annotations.map((a) => [a.path, a.level])).toEqual(
      c.annotations.map(([path, level]) => [path, level]),
    );
    c.annotations.forEach(([, , m], i) => expect(result.annotations[i]?.message).toMatch(m));
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
