import { describe, expect, it } from "vitest";
import {
  chartGraph,
  pinIsChecked,
  type ChartGraph,
  type ChartManifest,
} from "../../src/core/charts.js";
import { chartBump, chartsOf, manifestsOf } from "../../src/core/deploy-plan.js";
import { updateWriter } from "../../src/core/edits.js";
import { pinUpdate, planUmbrellas, walkUmbrellas } from "../../src/core/umbrella.js";

describe("walkUmbrellas: the packaging chain of one chart (was packagingChain)", () => {
  const chart = (
    name: string,
    deps: { name: string; repository?: string; version?: string }[] = [],
  ): ChartManifest => ({
    name,
    dependencies: deps.map(({ version, ...d }, index) => ({
      ...d,
      ...(version
        ? { version: { value: version, line: 1, start: 0, end: 0, style: "plain" as const } }
        : {}),
      file: "Chart.yaml",
      line: 1,
      index,
    })),
  });
  // root -> aether (file://) -> roc-api (file://) and sub (embedded, listed) and vendored
  // (embedded, unlisted); root also packages roc-api directly; edge pins ran-sim from @sdran.
  const charts = new Map<string, ChartManifest>([
    [
      "charts/root",
      chart("root", [
        { name: "aether", repository: "file://../aether", version: "2.0.0" },
        { name: "roc-api", repository: "file://../roc-api", version: "~1.2.0" },
        { name: "redis", repository: "https://charts.bitnami.com/bitnami", version: "17.x" },
      ]),
    ],
    [
      "charts/aether",
      chart("aether", [
        { name: "roc-api", repository: "file://../roc-api", version: "1.2.3" },
        { name: "sub", version: "0.1.0" },
        { name: "ran-sim", repository: "@sdran", version: "1.3.1" },
      ]),
    ],
    ["charts/aether/charts/sub", chart("sub")],
    ["charts/aether/charts/vendored", chart("vendored")],
    ["charts/roc-api", chart("roc-api")],
    ["charts/ran-sim", chart("ran-sim")],
    ["charts/edge", chart("edge", [{ name: "ran-sim", repository: "@sdran", version: "1.3.1" }])],
  ]);
  const graph = chartGraph(charts);
  const links = (folder: string) =>
    walkUmbrellas(graph, [folder]).links.map(
      (l) =>
        `${l.child} -> ${l.parent} (${l.via}${l.dependency ? ` ${l.dependency.name}@${l.dependency.version?.value ?? "*"}` : ""}, depth ${l.depth})`,
    );

  it.each([
    [
      "a file:// chart packaged twice: bottom-up, each umbrella after the charts below it",
      "charts/roc-api",
      [
        "charts/roc-api -> charts/aether (file roc-api@1.2.3, depth 1)",
        "charts/roc-api -> charts/root (file roc-api@~1.2.0, depth 1)",
        "charts/aether -> charts/root (file aether@2.0.0, depth 2)",
      ],
    ],
    [
      "an embedded chart listed without repository",
      "charts/aether/charts/sub",
      [
        "charts/aether/charts/sub -> charts/aether (embedded sub@0.1.0, depth 1)",
        "charts/aether -> charts/root (file aether@2.0.0, depth 2)",
      ],
    ],
    [
      "an embedded chart the umbrella does not list",
      "charts/aether/charts/vendored",
      [
        "charts/aether/charts/vendored -> charts/aether (embedded, depth 1)",
        "charts/aether -> charts/root (file aether@2.0.0, depth 2)",
      ],
    ],
    ["a chart only pinned from a repository", "charts/ran-sim", []],
    ["the root", "charts/root", []],
    ["an unknown folder", "charts/nope", []],
  ])("%s", (_name, folder, expected) => {
    expect(links(folder)).toEqual(expected);
  });

  it("matches a repository entry to a copy embedded in the umbrella's charts/ folder", () => {
    // Helm packages what charts/ holds and matches it to the entry by name; the pin is not
    // checked against the copy (only `helm dependency update` would replace it).
    const vendored = chartGraph(
      new Map<string, ChartManifest>([
        [
          "charts/app",
          chart("app", [
            { name: "redis", repository: "https://charts.bitnami.com/bitnami", version: "17.x" },
          ]),
        ],
        ["charts/app/charts/redis", chart("redis")],
        ["charts/redis", chart("redis")],
      ]),
    );
    const [edge] = walkUmbrellas(vendored, ["charts/app/charts/redis"]).links;
    expect(edge).toMatchObject({
      parent: "charts/app",
      via: "embedded",
      dependency: { name: "redis" },
    });
    expect(edge && pinIsChecked(edge)).toBe(false);
    expect(walkUmbrellas(vendored, ["charts/redis"]).links).toEqual([]);
    expect(vendored.published.size).toBe(0);
  });

  it("does not loop on a cycle (which Helm refuses) and lists each edge once", () => {
    const cyclic = chartGraph(
      new Map<string, ChartManifest>([
        ["charts/a", chart("a", [{ name: "b", repository: "file://../b" }])],
        ["charts/b", chart("b", [{ name: "a", repository: "file://../a" }])],
        ["charts/c", chart("c", [{ name: "a", repository: "file://../a" }])],
      ]),
    );
    const walk = walkUmbrellas(cyclic, ["charts/a"]);
    const chain = walk.links.map((l) => `${l.child}->${l.parent}`);
    expect(chain.sort()).toEqual([
      "charts/a->charts/b",
      "charts/a->charts/c",
      "charts/b->charts/a",
    ]);
    expect(walk.problems).toEqual([
      "charts/a -> charts/b -> charts/a: these charts package each other, which Helm cannot build; remove one of these dependencies",
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// The walk and the pin writer composed, on real Chart.yaml texts through the one writer.

type Dep = [name: string, version?: string, repository?: string];

function chartYaml(name: string, version: string, deps: Dep[] = []): string {
  const entries = deps.flatMap(([n, v, r]) => [
    `  - name: ${n}`,
    ...(v === undefined ? [] : [`    version: "${v}"`]),
    ...(r === undefined ? [] : [`    repository: ${r}`]),
  ]);
  return [
    "apiVersion: v2",
    `name: ${name}`,
    `version: ${version}`,
    ...(entries.length ? ["dependencies:", ...entries] : []),
    "",
  ].join("\n");
}

function planOf(
  files: Record<string, string>,
  starts: string[],
  umbrellaVersion: "first" | "last" = "first",
) {
  const map = new Map(Object.entries(files));
  const charts = chartsOf(map);
  const plan = planUmbrellas({
    graph: chartGraph(manifestsOf(charts)),
    changes: starts.map((chart) => ({ chart })),
    move: (folder) => chartBump(charts, folder, "patch", "plan"),
    umbrellaVersion,
  });
  const problems = [...plan.problems];
  const writer = updateWriter((path) => map.get(path), problems);
  for (const update of plan.updates) writer.apply(update);
  const edits = writer.edits();
  return {
    versions: plan.charts.map((c) => `${c.chart} ${c.from ?? "?"} -> ${c.to}`),
    edits: edits.map((e) => `${e.path}: ${e.changes.join("; ")}`),
    after: Object.fromEntries(edits.map((e) => [e.path, e.after])),
    published: plan.published.map(
      (p) =>
        `${p.pin.parent} pins ${p.pin.dependency.name} ${p.pin.dependency.version?.value ?? "*"}: ${p.version} ${p.admits ? "admitted" : "not admitted"}`,
    ),
    problems,
  };
}

const APP = { "charts/app/Chart.yaml": chartYaml("app", "1.0.0") };

interface WalkCase {
  name: string;
  files: Record<string, string>;
  start?: string;
  versions: string[];
  edits: string[];
  published: string[];
}

describe("planUmbrellas: Helm's rule, walked once", () => {
  it.each<WalkCase>([
    {
      name: "a file:// dependency: the umbrella goes up and its pin follows",
      files: {
        ...APP,
        "charts/umbrella/Chart.yaml": chartYaml("umbrella", "2.0.0", [
          ["app", "1.0.0", "file://../app"],
        ]),
      },
      versions: ["charts/app 1.0.0 -> 1.0.1", "charts/umbrella 2.0.0 -> 2.0.1"],
      edits: [
        "charts/app/Chart.yaml: version 1.0.0 -> 1.0.1",
        "charts/umbrella/Chart.yaml: version 2.0.0 -> 2.0.1; app pin 1.0.0 -> 1.0.1",
      ],
      published: [],
    },
    {
      name: "a file:// dependency whose range admits the new version: the pin stays",
      files: {
        ...APP,
        "charts/umbrella/Chart.yaml": chartYaml("umbrella", "2.0.0", [
          ["app", "~1.0.0", "file://../app"],
        ]),
      },
      versions: ["charts/app 1.0.0 -> 1.0.1", "charts/umbrella 2.0.0 -> 2.0.1"],
      edits: [
        "charts/app/Chart.yaml: version 1.0.0 -> 1.0.1",
        "charts/umbrella/Chart.yaml: version 2.0.0 -> 2.0.1",
      ],
      published: [],
    },
    {
      name: "an embedded chart listed without repository: packaged, and Helm checks its pin",
      files: {
        "charts/umbrella/charts/sub/Chart.yaml": chartYaml("sub", "0.1.0"),
        "charts/umbrella/Chart.yaml": chartYaml("umbrella", "2.0.0", [["sub", "0.1.0"]]),
      },
      start: "charts/umbrella/charts/sub",
      versions: ["charts/umbrella/charts/sub 0.1.0 -> 0.1.1", "charts/umbrella 2.0.0 -> 2.0.1"],
      edits: [
        "charts/umbrella/charts/sub/Chart.yaml: version 0.1.0 -> 0.1.1",
        "charts/umbrella/Chart.yaml: version 2.0.0 -> 2.0.1; sub pin 0.1.0 -> 0.1.1",
      ],
      published: [],
    },
    {
      name: "an embedded chart the umbrella does not list: packaged, no pin to write",
      files: {
        "charts/umbrella/charts/sub/Chart.yaml": chartYaml("sub", "0.1.0"),
        "charts/umbrella/Chart.yaml": chartYaml("umbrella", "2.0.0"),
      },
      start: "charts/umbrella/charts/sub",
      versions: ["charts/umbrella/charts/sub 0.1.0 -> 0.1.1", "charts/umbrella 2.0.0 -> 2.0.1"],
      edits: [
        "charts/umbrella/charts/sub/Chart.yaml: version 0.1.0 -> 0.1.1",
        "charts/umbrella/Chart.yaml: version 2.0.0 -> 2.0.1",
      ],
      published: [],
    },
    {
      name: "a repository entry matched to a copy in the umbrella's charts/: packaged, its published pin stays",
      files: {
        "charts/umbrella/charts/redis/Chart.yaml": chartYaml("redis", "17.1.0"),
        "charts/umbrella/Chart.yaml": chartYaml("umbrella", "2.0.0", [
          ["redis", "17.1.0", "https://charts.bitnami.com/bitnami"],
        ]),
      },
      start: "charts/umbrella/charts/redis",
      versions: ["charts/umbrella/charts/redis 17.1.0 -> 17.1.1", "charts/umbrella 2.0.0 -> 2.0.1"],
      edits: [
        "charts/umbrella/charts/redis/Chart.yaml: version 17.1.0 -> 17.1.1",
        "charts/umbrella/Chart.yaml: version 2.0.0 -> 2.0.1",
      ],
      published: [],
    },
    {
      name: "a repository dependency that admits the version: not packaged, it waits for the publish",
      files: {
        ...APP,
        "charts/site/Chart.yaml": chartYaml("site", "5.0.0", [
          ["app", "1.x", "https://charts.example.com"],
        ]),
      },
      versions: ["charts/app 1.0.0 -> 1.0.1"],
      edits: ["charts/app/Chart.yaml: version 1.0.0 -> 1.0.1"],
      published: ["charts/site pins app 1.x: 1.0.1 admitted"],
    },
    {
      name: "a repository dependency that does not admit it: not edited before the publish either",
      files: {
        ...APP,
        "charts/site/Chart.yaml": chartYaml("site", "5.0.0", [["app", "=1.0.0", "oci://r/charts"]]),
      },
      versions: ["charts/app 1.0.0 -> 1.0.1"],
      edits: ["charts/app/Chart.yaml: version 1.0.0 -> 1.0.1"],
      published: ["charts/site pins app =1.0.0: 1.0.1 not admitted"],
    },
    {
      name: "multi-level umbrellas: each goes up once, bottom-up, every pin on a moved chart follows",
      files: {
        ...APP,
        "charts/mid/Chart.yaml": chartYaml("mid", "2.0.0", [["app", "1.0.0", "file://../app"]]),
        "charts/top/Chart.yaml": chartYaml("top", "3.0.0", [
          ["mid", "2.0.0", "file://../mid"],
          ["app", "1.0.0", "file://../app"],
        ]),
        "charts/root/Chart.yaml": chartYaml("root", "4.0.0", [["top", "3.0.0", "file://../top"]]),
      },
      versions: [
        "charts/app 1.0.0 -> 1.0.1",
        "charts/mid 2.0.0 -> 2.0.1",
        "charts/top 3.0.0 -> 3.0.1",
        "charts/root 4.0.0 -> 4.0.1",
      ],
      edits: [
        "charts/app/Chart.yaml: version 1.0.0 -> 1.0.1",
        "charts/mid/Chart.yaml: version 2.0.0 -> 2.0.1; app pin 1.0.0 -> 1.0.1",
        "charts/top/Chart.yaml: version 3.0.0 -> 3.0.1; app pin 1.0.0 -> 1.0.1; mid pin 2.0.0 -> 2.0.1",
        "charts/root/Chart.yaml: version 4.0.0 -> 4.0.1; top pin 3.0.0 -> 3.0.1",
      ],
      published: [],
    },
    {
      name: "a chart that is its own root: its version alone",
      files: { ...APP, "charts/other/Chart.yaml": chartYaml("other", "1.0.0") },
      versions: ["charts/app 1.0.0 -> 1.0.1"],
      edits: ["charts/app/Chart.yaml: version 1.0.0 -> 1.0.1"],
      published: [],
    },
  ])("$name", ({ files, start, versions, edits, published }) => {
    const plan = planOf(files, [start ?? "charts/app"]);
    expect(plan.problems).toEqual([]);
    expect(plan.versions).toEqual(versions);
    expect(plan.edits).toEqual(edits);
    expect(plan.published).toEqual(published);
  });

  it("writes the same files with the umbrella's version first or last; only the order in words differs", () => {
    const files = {
      ...APP,
      "charts/mid/Chart.yaml": chartYaml("mid", "2.0.0", [["app", "1.0.0", "file://../app"]]),
      "charts/root/Chart.yaml": chartYaml("root", "4.0.0", [["mid", "2.0.0", "file://../mid"]]),
    };
    const first = planOf(files, ["charts/app"], "first");
    const last = planOf(files, ["charts/app"], "last");
    expect(last.after).toEqual(first.after);
    expect(last.edits).toEqual([
      "charts/app/Chart.yaml: version 1.0.0 -> 1.0.1",
      "charts/mid/Chart.yaml: app pin 1.0.0 -> 1.0.1; version 2.0.0 -> 2.0.1",
      "charts/root/Chart.yaml: mid pin 2.0.0 -> 2.0.1; version 4.0.0 -> 4.0.1",
    ]);
  });

  it("a change's own updates come before its version (a promotion moves a pin, then bumps)", () => {
    const files = {
      ...APP,
      "charts/env/Chart.yaml": chartYaml("env", "1.0.0", [["app", "1.0.0", "oci://r/charts"]]),
      "charts/root/Chart.yaml": chartYaml("root", "4.0.0", [["env", "1.0.0", "file://../env"]]),
    };
    const map = new Map(Object.entries(files));
    const charts = chartsOf(map);
    const graph = chartGraph(manifestsOf(charts));
    const [published] = graph.published.get("charts/app") ?? [];
    const pin = published && pinUpdate(published.dependency, "1.1.0");
    expect(pin).toMatchObject({ from: "1.0.0", to: "1.1.0" });
    const plan = planUmbrellas({
      graph,
      changes: [{ chart: "charts/env", updates: pin ? [pin.update] : [] }],
      move: (folder) => chartBump(charts, folder, "patch", "promotion"),
      umbrellaVersion: "first",
    });
    const writer = updateWriter((path) => map.get(path), []);
    for (const update of plan.updates) writer.apply(update);
    expect(writer.edits().map((e) => [e.path, e.changes])).toEqual([
      ["charts/env/Chart.yaml", ["app pin 1.0.0 -> 1.1.0", "version 1.0.0 -> 1.0.1"]],
      ["charts/root/Chart.yaml", ["version 4.0.0 -> 4.0.1", "env pin 1.0.0 -> 1.0.1"]],
    ]);
  });
});

describe("planUmbrellas: what stops it is a clear error, never a hang", () => {
  it.each<{ name: string; files: Record<string, string>; start: string; problems: unknown[] }>([
    {
      name: "a cycle (Helm refuses one)",
      files: {
        "charts/a/Chart.yaml": chartYaml("a", "1.0.0", [["b", "1.0.0", "file://../b"]]),
        "charts/b/Chart.yaml": chartYaml("b", "1.0.0", [["a", "1.0.0", "file://../a"]]),
      },
      start: "charts/a",
      problems: [
        "charts/a -> charts/b -> charts/a: these charts package each other, which Helm cannot build; remove one of these dependencies",
      ],
    },
    {
      name: "a longer cycle above the start",
      files: {
        ...APP,
        "charts/x/Chart.yaml": chartYaml("x", "1.0.0", [
          ["app", "1.0.0", "file://../app"],
          ["z", "1.0.0", "file://../z"],
        ]),
        "charts/y/Chart.yaml": chartYaml("y", "1.0.0", [["x", "1.0.0", "file://../x"]]),
        "charts/z/Chart.yaml": chartYaml("z", "1.0.0", [["y", "1.0.0", "file://../y"]]),
      },
      start: "charts/app",
      problems: [
        "charts/x -> charts/y -> charts/z -> charts/x: these charts package each other, which Helm cannot build; remove one of these dependencies",
      ],
    },
    {
      name: "a start that is not a chart",
      files: APP,
      start: "charts/nope",
      problems: ["charts/nope is not a chart: there is no charts/nope/Chart.yaml"],
    },
    {
      name: "an umbrella whose Chart.yaml does not parse",
      files: {
        ...APP,
        "charts/umbrella/Chart.yaml": "name: [umbrella\n",
        "charts/umbrella/requirements.yaml":
          "dependencies:\n- name: app\n  version: 1.0.0\n  repository: file://../app\n",
      },
      start: "charts/app",
      problems: [
        expect.stringMatching(
          /^charts\/umbrella\/Chart\.yaml line 2 is not valid YAML.*\(this plan must bump charts\/umbrella\)$/,
        ),
      ],
    },
  ])("$name", ({ files, start, problems }) => {
    expect(planOf(files, [start]).problems).toEqual(problems);
  });

  it("a parent missing from the graph (a hand-built or stale graph)", () => {
    const graph: ChartGraph = {
      charts: new Map<string, ChartManifest>([["charts/app", { name: "app", dependencies: [] }]]),
      parents: new Map([
        ["charts/app", [{ parent: "charts/gone", child: "charts/app", via: "file" }]],
      ]),
      published: new Map(),
    };
    const walk = walkUmbrellas(graph, ["charts/app"]);
    expect(walk.problems).toEqual([
      "charts/app is packaged by charts/gone, which has no charts/gone/Chart.yaml; restore it or remove the dependency",
    ]);
    expect(walk.links).toEqual([]);
    expect(walk.charts).toEqual(["charts/app"]);
  });

  it("walks several starts once: a start above another comes after it", () => {
    const files = {
      ...APP,
      "charts/mid/Chart.yaml": chartYaml("mid", "2.0.0", [["app", "1.0.0", "file://../app"]]),
    };
    const graph = chartGraph(manifestsOf(chartsOf(new Map(Object.entries(files)))));
    const walk = walkUmbrellas(graph, ["charts/mid", "charts/app", "charts/app"]);
    expect(walk.charts).toEqual(["charts/app", "charts/mid"]);
    expect(walk.links.map((l) => `${l.child}->${l.parent} ${l.depth}`)).toEqual([
      "charts/app->charts/mid 1",
    ]);
  });
});

describe("pinUpdate: the one pin writer", () => {
  const dep = (version: string | undefined, file = "charts/u/Chart.yaml") => ({
    name: "app",
    file,
    line: 1,
    index: 0,
    ...(version === undefined
      ? {}
      : { version: { value: version, line: 1, start: 0, end: 0, style: "plain" as const } }),
  });
  it.each([
    ["1.0.0", "1.0.1", "1.0.1", undefined],
    ["=1.0.0", "1.0.1", "=1.0.1", undefined],
    ["~1.0.0", "1.0.1", undefined, undefined],
    ["^1.0.0", "2.0.0", "^2.0.0", undefined],
    [undefined, "2.0.0", undefined, undefined],
    [
      "latest",
      "2.0.0",
      "2.0.0",
      'charts/u/Chart.yaml pinned app to "latest", which is not a version constraint; monobot wrote 2.0.0.',
    ],
  ])("pin %j for %s moves to %j", (pin, version, to, note) => {
    const move = pinUpdate(dep(pin), version);
    expect(move?.to).toBe(to);
    expect(move?.note).toBe(note);
    if (move) expect(move.update.change).toBe(`app pin ${pin} -> ${to}`);
  });

  it("edits the file that declares the dependency, Chart.yaml or requirements.yaml", () => {
    const requirements = "dependencies:\n- name: app\n  version: 1.0.0 # pinned\n  repository: x\n";
    const move = pinUpdate(dep("1.0.0", "charts/u/requirements.yaml"), "1.2.0");
    expect(move?.update.path).toBe("charts/u/requirements.yaml");
    expect(move?.update.edit(requirements)).toEqual({
      ok: true,
      changed: true,
      content: requirements.replace("1.0.0 #", "1.2.0 #"),
    });
  });
});
