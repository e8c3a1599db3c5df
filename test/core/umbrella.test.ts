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
