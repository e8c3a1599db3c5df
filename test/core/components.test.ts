// Tests of component discovery and of the components a change affects.
import { describe, expect, it } from "vitest";
import {
  affectedComponents,
  componentForPath,
  componentReport,
  discoverComponents,
  indexComponents,
} from "../../src/core/components.js";
import { resolvePolicy, type Policy } from "../../src/core/policy.js";
import type { ChangedFile, Component } from "../../src/core/types.js";

/** The shipped defaults with `overrides` merged over them, as a repository's file would be. */
function policy(overrides: Record<string, unknown> = {}): Policy {
  const result = resolvePolicy([{ file: ".github/monobot.yml", text: JSON.stringify(overrides) }]);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.policy;
}

function define(entries: Record<string, unknown>): Policy {
  return policy({ components: { define: entries } });
}

function summary(components: Component[]): Record<string, string> {
  return Object.fromEntries(components.map((c) => [c.name, c.path]));
}

function modified(path: string): ChangedFile {
  return { path, status: "modified", additions: 1, deletions: 1 };
}

function renamed(previousPath: string, path: string): ChangedFile {
  return { path, previousPath, status: "renamed", additions: 0, deletions: 0 };
}

describe("discoverComponents", () => {
  const cases: {
    name: string;
    paths: string[];
    policy?: Policy;
    repo?: string;
    components: Record<string, string>;
  }[] = [
    {
      name: "a VERSION at the root is a component named after the repository",
      paths: ["VERSION", "main.go", "README.md"],
      components: { monorepo: "" },
    },
    {
      name: "one component per folder holding a VERSION file",
      paths: [
        "services/api/VERSION",
        "services/api/main.go",
        "libs/proto/VERSION",
        "libs/proto/api.proto",
        "docs/index.md",
      ],
      components: { api: "services/api", proto: "libs/proto" },
    },
    {
      name: "nested components are each discovered",
      paths: ["VERSION", "services/a/VERSION", "services/a/plugins/b/VERSION"],
      components: { monorepo: "", a: "services/a", b: "services/a/plugins/b" },
    },
    {
      name: "default exclude globs skip vendored code and fixtures",
      paths: [
        "services/api/VERSION",
        "services/api/vendor/github.com/x/VERSION",
        "web/node_modules/left-pad/VERSION",
        "tools/testdata/fixture/VERSION",
      ],
      components: { api: "services/api" },
    },
    {
      name: "custom exclude globs",
      paths: ["services/api/VERSION", "experiments/try/VERSION"],
      policy: policy({ components: { exclude: ["experiments/**"] } }),
      components: { api: "services/api" },
    },
    {
      name: "custom discover globs take only what they match",
      paths: ["services/api/VERSION", "tools/lint/VERSION"],
      policy: policy({ components: { discover: ["services/*/VERSION"] } }),
      components: { api: "services/api" },
    },
    {
      name: "dotfolders are discovered",
      paths: [".github/actions/setup/VERSION"],
      components: { setup: ".github/actions/setup" },
    },
    {
      name: "a define entry with the path of a discovered component renames it",
      paths: ["services/api/VERSION", "services/web/VERSION"],
      policy: define({ "roc-api": { path: "services/api/" } }),
      components: { "roc-api": "services/api", web: "services/web" },
    },
    {
      name: "a define entry with a path no discover glob takes declares a component there",
      paths: ["services/api/VERSION", "third_party/vendor/patched/VERSION"],
      policy: define({ patched: { path: "./third_party/vendor/patched" } }),
      components: { api: "services/api", patched: "third_party/vendor/patched" },
    },
    {
      name: "a define entry with path . names the root component",
      paths: ["VERSION", "services/api/VERSION"],
      policy: define({ platform: { path: "." } }),
      components: { platform: "", api: "services/api" },
    },
    {
      name: "a repository name with an owner uses the name only",
      paths: ["VERSION"],
      repo: "acme/monorepo",
      components: { monorepo: "" },
    },
  ];

  it.each(cases)("$name", ({ paths, policy: p, repo, components }) => {
    const result = discoverComponents(paths, p ?? policy(), repo ?? "monorepo");
    expect(result.errors).toEqual([]);
    expect(summary(result.components)).toEqual(components);
    const names = result.components.map((c) => c.name);
    expect(names).toEqual([...names].sort());
  });

  it("keeps the matched VERSION file and the defined image, chart and dependencies", () => {
    const result = discoverComponents(
      ["services/api/VERSION", "libs/proto/VERSION"],
      define({
        api: { image: "ghcr.io/acme/api", chart: "charts/api", depends_on: ["proto", "proto"] },
      }),
      "monorepo",
    );
    expect(result.errors).toEqual([]);
    expect(result.components).toEqual([
      {
        name: "api",
        path: "services/api",
        versionFile: "services/api/VERSION",
        image: "ghcr.io/acme/api",
        chart: "charts/api",
        dependsOn: ["proto"],
      },
      { name: "proto", path: "libs/proto", versionFile: "libs/proto/VERSION", dependsOn: [] },
    ]);
  });

  it("configures a renamed component through its new name only", () => {
    const result = discoverComponents(
      ["services/api/VERSION"],
      define({ "roc-api": { path: "services/api", image: "ghcr.io/acme/roc-api" } }),
      "monorepo",
    );
    expect(result.components).toEqual([
      {
        name: "roc-api",
        path: "services/api",
        versionFile: "services/api/VERSION",
        image: "ghcr.io/acme/roc-api",
        dependsOn: [],
      },
    ]);
  });

  it("prefers a file named VERSION when a discover glob matches several in one folder", () => {
    const result = discoverComponents(
      ["svc/VERSION.txt", "svc/VERSION", "other/VERSION.txt"],
      policy({ components: { discover: ["**/VERSION*"] } }),
      "monorepo",
    );
    expect(result.components.map((c) => [c.name, c.versionFile])).toEqual([
      ["other", "other/VERSION.txt"],
      ["svc", "svc/VERSION"],
    ]);
  });

  const errorCases: {
    name: string;
    paths: string[];
    policy: Policy;
    errors: (string | RegExp)[];
  }[] = [
    {
      name: "two discovered components with the same name",
      paths: ["services/api/VERSION", "legacy/api/VERSION"],
      policy: policy(),
      errors: [
        /^2 components are named "api": legacy\/api \(legacy\/api\/VERSION\), services\/api \(services\/api\/VERSION\)\. .*components\.define entry in \.github\/monobot\.yml, e\.g\. components: \{ define: \{ services-api: \{ path: services\/api \} \} \}$/,
      ],
    },
    {
      name: "a defined component taking a discovered component's name",
      paths: ["services/api/VERSION", "gateway/VERSION"],
      policy: define({ api: { path: "gateway" } }),
      errors: [/^2 components are named "api": gateway \(gateway\/VERSION\), services\/api/],
    },
    {
      name: "a depends_on naming an unknown component, with a hint",
      paths: ["services/api/VERSION", "libs/proto/VERSION"],
      policy: define({ api: { depends_on: ["protoo"] } }),
      errors: [
        'components.define.api.depends_on names "protoo", which is not a component. Did you mean "proto"? ' +
          "Use the name of a discovered or defined component, or remove it from depends_on.",
      ],
    },
    {
      name: "a self-dependency",
      paths: ["services/api/VERSION"],
      policy: define({ api: { depends_on: ["api"] } }),
      errors: [/depends_on makes a cycle: api -> api\. .*remove one/],
    },
    {
      name: "a two-component cycle",
      paths: ["a/VERSION", "b/VERSION"],
      policy: define({ a: { depends_on: ["b"] }, b: { depends_on: ["a"] } }),
      errors: [/cycle: a -> b -> a\./],
    },
    {
      name: "a three-component cycle named in dependency order",
      paths: ["x/a/VERSION", "x/b/VERSION", "x/c/VERSION", "x/d/VERSION"],
      policy: define({
        c: { depends_on: ["a"] },
        a: { depends_on: ["b"] },
        b: { depends_on: ["c"] },
        d: { depends_on: ["a"] },
      }),
      errors: [
        "components.define: depends_on makes a cycle: a -> b -> c -> a. " +
          "A component cannot depend on itself, even through others: remove one of these depends_on entries.",
      ],
    },
    {
      name: "a larger loop names the members the shortest cycle misses",
      paths: ["a/VERSION", "b/VERSION", "c/VERSION"],
      policy: define({
        a: { depends_on: ["b", "c"] },
        b: { depends_on: ["a"] },
        c: { depends_on: ["a"] },
      }),
      errors: [/cycle: a -> b -> a \(c also depend on these in a loop\)/],
    },
    {
      name: "two separate cycles, each reported",
      paths: ["a/VERSION", "b/VERSION", "c/VERSION"],
      policy: define({
        a: { depends_on: ["b"] },
        b: { depends_on: ["a"] },
        c: { depends_on: ["c"] },
      }),
      errors: [/cycle: a -> b -> a\./, /cycle: c -> c\./],
    },
    {
      name: "a define entry without path matching no discovered component",
      paths: ["services/api/VERSION"],
      policy: define({ apii: { image: "ghcr.io/acme/api" } }),
      errors: [
        /^components\.define\.apii has no path and no discovered component is named "apii"\. Did you mean "api"\? Add path: FOLDER/,
      ],
    },
    {
      name: "a define entry without path naming a component that a define renamed",
      paths: ["services/api/VERSION"],
      policy: define({ api: { image: "x" }, gateway: { path: "services/api" } }),
      errors: [/^components\.define\.api has no path and no discovered component is named "api"/],
    },
    {
      name: "a define entry whose path has no VERSION file",
      paths: ["services/api/VERSION"],
      policy: define({ web: { path: "services/web" } }),
      errors: [
        'components.define.web.path is "services/web" but services/web/VERSION does not exist. ' +
          "Add that VERSION file (one SemVer version, e.g. 0.1.0) or correct the path.",
      ],
    },
    {
      name: "two define entries with one path",
      paths: ["services/api/VERSION"],
      policy: define({ a: { path: "services/api" }, b: { path: "services/api/" } }),
      errors: [/^components\.define\.a and components\.define\.b both have path "services\/api"/],
    },
    {
      name: "a define path leaving the repository",
      paths: ["VERSION"],
      policy: define({ up: { path: "../elsewhere" } }),
      errors: [/^components\.define\.up\.path is "\.\.\/elsewhere", which is not a folder inside/],
    },
  ];

  it.each(errorCases)("reports $name", ({ paths, policy: p, errors }) => {
    const result = discoverComponents(paths, p, "monorepo");
    expect(result.errors).toHaveLength(errors.length);
    errors.forEach((expected, i) => {
      if (typeof expected === "string") expect(result.errors[i]).toBe(expected);
      else expect(result.errors[i]).toMatch(expected);
    });
  });

  it("the define entry a duplicate-name error suggests resolves it", () => {
    const paths = ["services/api/VERSION", "legacy/api/VERSION"];
    const before = discoverComponents(paths, policy(), "monorepo");
    const suggested = /define: \{ ([\w-]+): \{ path: ([\w/.-]+) \} \}/.exec(before.errors[0] ?? "");
    expect(suggested).not.toBeNull();
    const [, name = "", path = ""] = suggested ?? [];
    const after = discoverComponents(paths, define({ [name]: { path } }), "monorepo");
    expect(after.errors).toEqual([]);
    expect(summary(after.components)).toEqual({
      api: "legacy/api",
      "services-api": "services/api",
    });
  });

  it("keeps both components of a duplicate name, and drops unknown dependencies", () => {
    const result = discoverComponents(
      ["services/api/VERSION", "legacy/api/VERSION", "web/VERSION"],
      define({ web: { depends_on: ["api", "nope"] } }),
      "monorepo",
    );
    expect(result.components.map((c) => `${c.name}@${c.path}`)).toEqual([
      "api@legacy/api",
      "api@services/api",
      "web@web",
    ]);
    expect(result.components.find((c) => c.name === "web")?.dependsOn).toEqual(["api"]);
    expect(result.errors).toHaveLength(2);
  });

  it("finds a cycle at the end of a long chain without overflowing the stack", () => {
    const n = 20_000;
    const paths: string[] = [];
    const entries: Record<string, { depends_on: string[] }> = {};
    for (let i = 0; i < n; i++) {
      paths.push(`c/n${i}/VERSION`);
      entries[`n${i}`] = { depends_on: [`n${(i + 1) % n}`] };
    }
    // Built directly: validating 20,000 entries through the YAML loader is not what is tested here.
    const base = policy();
    const p: Policy = { ...base, components: { ...base.components, define: entries } };
    const result = discoverComponents(paths, p, "monorepo");
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(
      /^components\.define: depends_on makes a cycle: n0 -> n1 -> n2 -> .* -> n19999 -> n0\. /,
    );
  });

  it("does not depend on the order of the paths", () => {
    const paths = ["b/VERSION", "a/VERSION", "a/x/VERSION", "z/api/VERSION", "y/api/VERSION"];
    const p = define({ a: { depends_on: ["b", "q"] } });
    const forward = discoverComponents(paths, p, "monorepo");
    const backward = discoverComponents([...paths].reverse(), p, "monorepo");
    expect(backward).toEqual(forward);
  });
});

describe("componentForPath", () => {
  const components = discoverComponents(
    ["VERSION", "services/a/VERSION", "services/a/plugins/b/VERSION", "services/ab/VERSION"],
    policy(),
    "mono",
  ).components;
  const index = indexComponents(components);
  const cases: [string, string | undefined][] = [
    ["README.md", "mono"],
    ["services/a/main.go", "a"],
    ["services/a/VERSION", "a"],
    ["services/a/plugins/b/x.go", "b"],
    ["services/a/plugins/other.go", "a"],
    ["services/ab/x", "ab"],
    ["services/abc/x", "mono"],
  ];
  it.each(cases)("%s belongs to %s", (path, name) => {
    expect(componentForPath(index, path)?.name).toBe(name);
  });

  it("finds nothing without a root component", () => {
    const noRoot = indexComponents(components.filter((c) => c.path !== ""));
    expect(componentForPath(noRoot, "services/abc/x")).toBeUndefined();
    expect(componentForPath(noRoot, "top.txt")).toBeUndefined();
  });
});

describe("affectedComponents", () => {
  const headPaths = [
    "services/a/VERSION",
    "services/a/plugins/b/VERSION",
    "libs/proto/VERSION",
    "libs/lib/VERSION",
    "services/app/VERSION",
    "services/web/VERSION",
    "services/solo/VERSION",
  ];
  const p = define({
    lib: { depends_on: ["proto"] },
    app: { depends_on: ["lib"] },
    web: { depends_on: ["proto", "app"] },
  });
  const { components, errors } = discoverComponents(headPaths, p, "mono");

  it("discovers the fixture without errors", () => {
    expect(errors).toEqual([]);
  });

  const cases: {
    name: string;
    changed: ChangedFile[];
    affected: { name: string; files: string[]; ownChange: boolean; via?: string[] }[];
    outside?: string[];
  }[] = [
    {
      name: "the deepest component folder wins",
      changed: [modified("services/a/plugins/b/x.go"), modified("services/a/y.go")],
      affected: [
        { name: "a", files: ["services/a/y.go"], ownChange: true },
        { name: "b", files: ["services/a/plugins/b/x.go"], ownChange: true },
      ],
    },
    {
      name: "a nested component's change does not affect its parent",
      changed: [modified("services/a/plugins/b/x.go")],
      affected: [{ name: "b", files: ["services/a/plugins/b/x.go"], ownChange: true }],
    },
    {
      name: "a rename counts on both sides",
      changed: [renamed("services/a/util.go", "services/solo/util.go")],
      affected: [
        { name: "a", files: ["services/a/util.go"], ownChange: true },
        { name: "solo", files: ["services/solo/util.go"], ownChange: true },
      ],
    },
    {
      name: "a rename out of every component lists the new path outside",
      changed: [renamed("services/solo/old.sh", "scripts/new.sh")],
      affected: [{ name: "solo", files: ["services/solo/old.sh"], ownChange: true }],
      outside: ["scripts/new.sh"],
    },
    {
      name: "files outside every component",
      changed: [modified("Makefile"), modified(".github/workflows/ci.yml"), modified("Makefile")],
      affected: [],
      outside: [".github/workflows/ci.yml", "Makefile"],
    },
    {
      name: "ignored files only: listed, no own change, no propagation",
      changed: [modified("libs/proto/README.md"), modified("libs/proto/docs/guide.txt")],
      affected: [
        {
          name: "proto",
          files: ["libs/proto/README.md", "libs/proto/docs/guide.txt"],
          ownChange: false,
        },
      ],
    },
    {
      name: "one own change among ignored files is an own change",
      changed: [modified("services/solo/README.md"), modified("services/solo/main.go")],
      affected: [
        {
          name: "solo",
          files: ["services/solo/README.md", "services/solo/main.go"],
          ownChange: true,
        },
      ],
    },
    {
      name: "dependants transitively, with the shortest chain",
      changed: [modified("libs/proto/api.proto")],
      affected: [
        { name: "app", files: [], ownChange: false, via: ["proto", "lib"] },
        { name: "lib", files: [], ownChange: false, via: ["proto"] },
        { name: "proto", files: ["libs/proto/api.proto"], ownChange: true },
        { name: "web", files: [], ownChange: false, via: ["proto"] },
      ],
    },
    {
      name: "a component changed itself never gets via; equal chains go to the first name",
      changed: [modified("libs/proto/api.proto"), modified("services/app/main.go")],
      affected: [
        { name: "app", files: ["services/app/main.go"], ownChange: true },
        { name: "lib", files: [], ownChange: false, via: ["proto"] },
        { name: "proto", files: ["libs/proto/api.proto"], ownChange: true },
        { name: "web", files: [], ownChange: false, via: ["app"] },
      ],
    },
    {
      name: "a docs-only component reached through a dependency gets via and passes it on",
      changed: [modified("libs/proto/api.proto"), modified("libs/lib/README.md")],
      affected: [
        { name: "app", files: [], ownChange: false, via: ["proto", "lib"] },
        { name: "lib", files: ["libs/lib/README.md"], ownChange: false, via: ["proto"] },
        { name: "proto", files: ["libs/proto/api.proto"], ownChange: true },
        { name: "web", files: [], ownChange: false, via: ["proto"] },
      ],
    },
    {
      name: "a change in the middle of a chain affects only what depends on it",
      changed: [modified("libs/lib/lib.go")],
      affected: [
        { name: "app", files: [], ownChange: false, via: ["lib"] },
        { name: "lib", files: ["libs/lib/lib.go"], ownChange: true },
        { name: "web", files: [], ownChange: false, via: ["lib", "app"] },
      ],
    },
    {
      name: "files marked unchanged are skipped",
      changed: [{ path: "services/solo/x", status: "unchanged", additions: 0, deletions: 0 }],
      affected: [],
    },
  ];

  it.each(cases)("$name", ({ changed, affected, outside }) => {
    const result = affectedComponents(components, changed, p);
    expect(
      result.affected.map((a) => ({
        name: a.component.name,
        files: a.files,
        ownChange: a.ownChange,
        ...(a.via ? { via: a.via } : {}),
      })),
    ).toEqual(affected);
    expect(result.outside).toEqual(outside ?? []);
    for (const a of result.affected) expect(components).toContain(a.component);
  });

  it("propagates through dependency cycles without looping", () => {
    const cyclic = define({ a: { depends_on: ["b"] }, b: { depends_on: ["a"] } });
    const found = discoverComponents(["a/VERSION", "b/VERSION"], cyclic, "mono");
    const result = affectedComponents(found.components, [modified("a/x")], cyclic);
    expect(result.affected.map((a) => [a.component.name, a.via])).toEqual([
      ["a", undefined],
      ["b", ["a"]],
    ]);
  });

  it("uses the policy's ignore globs", () => {
    const custom = policy({ versions: { ignore: ["**/*.txt"] } });
    const result = affectedComponents(
      components,
      [modified("services/solo/README.md"), modified("libs/proto/n.txt")],
      custom,
    );
    expect(result.affected.map((a) => [a.component.name, a.ownChange])).toEqual([
      ["proto", false],
      ["solo", true],
    ]);
  });

  it("is deterministic whatever the order of the changed files and components", () => {
    const changed = [
      modified("libs/proto/api.proto"),
      renamed("services/a/x.go", "services/a/plugins/b/x.go"),
      modified("Makefile"),
      modified("services/web/README.md"),
      modified("services/app/main.go"),
    ];
    const first = affectedComponents(components, changed, p);
    const second = affectedComponents([...components].reverse(), [...changed].reverse(), p);
    expect(second).toEqual(first);
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
  });
});

describe("componentReport", () => {
  it("combines discovery and the affected components", () => {
    const p = define({ api: { depends_on: ["proto", "ghost"] } });
    const report = componentReport(
      ["services/api/VERSION", "libs/proto/VERSION", "README.md"],
      [modified("libs/proto/x.proto"), modified("README.md")],
      p,
      "mono",
    );
    expect(report.components.map((c) => c.name)).toEqual(["api", "proto"]);
    expect(report.affected.map((a) => [a.component.name, a.via ?? null])).toEqual([
      ["api", ["proto"]],
      ["proto", null],
    ]);
    expect(report.outside).toEqual(["README.md"]);
    expect(report.errors).toEqual([
      expect.stringMatching(/^components\.define\.api\.depends_on names "ghost"/),
    ]);
  });
});
