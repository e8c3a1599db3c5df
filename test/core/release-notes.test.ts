import { describe, expect, it } from "vitest";
import {
  changeOfCommit,
  commitsToLookUp,
  componentChanges,
  knowsClosure,
  notePaths,
  previousRelease,
  pullOfMessage,
  releaseTags,
  tagShape,
} from "../../src/core/release-notes.js";

describe("tagShape and releaseTags", () => {
  it.each([
    {
      template: "{component}/v{version}",
      component: "roc-api",
      shape: { prefix: "roc-api/v", suffix: "" },
    },
    {
      template: "release-{component}-{version}-final",
      component: "web",
      shape: { prefix: "release-web-", suffix: "-final" },
    },
    { template: "v{version}", component: "any", shape: { prefix: "v", suffix: "" } },
    { template: "{component}", component: "x", shape: undefined },
    { template: "{version}-{version}", component: "x", shape: undefined },
  ])("$template for $component", ({ template, component, shape }) => {
    expect(tagShape(template, component)).toEqual(shape);
  });

  it("keeps the component's SemVer tags, sorted by version, and nothing of another component", () => {
    const names = [
      "roc-api/v1.10.0",
      "roc-api/v1.2.3",
      "roc-api/v1.9.0-rc.1",
      "roc-api/vnext",
      "roc-api/v1.2",
      "roc-api-gateway/v9.0.0",
    ];
    expect(releaseTags(names, { prefix: "roc-api/v", suffix: "" })).toEqual([
      { tag: "roc-api/v1.2.3", version: "1.2.3" },
      { tag: "roc-api/v1.9.0-rc.1", version: "1.9.0-rc.1" },
      { tag: "roc-api/v1.10.0", version: "1.10.0" },
    ]);
  });
});

describe("previousRelease", () => {
  const tags = [
    { tag: "a/v1.2.3", version: "1.2.3" },
    { tag: "a/v1.3.0-rc.1", version: "1.3.0-rc.1" },
    { tag: "a/v1.3.0", version: "1.3.0" },
    { tag: "a/v2.0.0", version: "2.0.0" },
  ];
  it.each([
    { version: "1.4.0", previous: "a/v1.3.0" },
    { version: "1.3.0", previous: "a/v1.2.3" },
    { version: "1.3.1", previous: "a/v1.3.0" },
    { version: "1.2.3", previous: undefined },
    { version: "1.0.0", previous: undefined },
    { version: "3.0.0", previous: "a/v2.0.0" },
  ])("before $version: $previous (pre-releases are not releases)", ({ version, previous }) => {
    expect(previousRelease(tags, version)?.tag).toBe(previous);
  });
});

describe("pullOfMessage", () => {
  it.each([
    {
      name: "a squash merge",
      message: "Retry the upstream on 503 (#42)\n\n* fix\n* test",
      pr: { number: 42, title: "Retry the upstream on 503" },
    },
    {
      name: "a merge commit, the title in its body",
      message: "Merge pull request #7 from alice/health\n\nAdd a health check\n",
      pr: { number: 7, title: "Add a health check" },
    },
    {
      name: "a merge commit without a body",
      message: "Merge pull request #7 from alice/health",
      pr: { number: 7, title: "Merge pull request #7 from alice/health" },
    },
    { name: "a plain commit", message: "fix: retry on 503", pr: undefined },
    { name: "a number in the middle", message: "fix #12 in the parser", pr: undefined },
    { name: "an issue reference in the body", message: "fix: x\n\nFixes (#12)", pr: undefined },
    { name: "CRLF", message: "Add x (#3)\r\n\r\nbody", pr: { number: 3, title: "Add x" } },
  ])("$name", ({ message, pr }) => {
    expect(pullOfMessage(message)).toEqual(pr);
  });
});

describe("changeOfCommit and commitsToLookUp", () => {
  it("a change has the commit's title, author and pull request", () => {
    expect(
      changeOfCommit({ sha: "a".repeat(40), message: "Add x (#3)\n\nlong", author: "alice" }),
    ).toEqual({
      sha: "a".repeat(40),
      title: "Add x (#3)",
      author: "alice",
      pr: { number: 3, title: "Add x" },
    });
  });

  it.each([
    {
      name: "messages name pull requests: ask for none",
      changes: [
        { sha: "1", title: "a" },
        { sha: "2", title: "b (#2)", pr: { number: 2, title: "b" } },
      ],
      max: 10,
      lookups: [],
    },
    {
      name: "none named: the newest first, at most max",
      changes: [1, 2, 3, 4].map((n) => ({ sha: String(n), title: `c${n}` })),
      max: 3,
      lookups: ["4", "3", "2"],
    },
    { name: "no commits", changes: [], max: 10, lookups: [] },
  ])("$name", ({ changes, max, lookups }) => {
    expect(commitsToLookUp(changes, max)).toEqual(lookups);
  });
});

describe("notePaths", () => {
  const c = (name: string, path: string, dependsOn: string[] = []) => ({ name, path, dependsOn });
  const components = [
    c("roc-api", "services/roc-api", ["log", "proto"]),
    c("log", "libs/log", ["proto"]),
    c("proto", "libs/proto"),
    c("roc-web", "services/roc-web"),
    c("nested", "services/roc-api/plugins", ["roc-api"]),
    c("everything", "", []),
    c("on-root", "apps/x", ["everything"]),
    c("loop-a", "a", ["loop-b"]),
    c("loop-b", "b", ["loop-a"]),
  ];
  it.each([
    ["own folder only", "roc-web", ["services/roc-web"]],
    ["dependencies, transitively, once", "roc-api", ["libs/log", "libs/proto", "services/roc-api"]],
    [
      "a folder inside another is left out",
      "nested",
      ["libs/log", "libs/proto", "services/roc-api"],
    ],
    ["a dependency cycle ends", "loop-a", ["a", "b"]],
    ["the root component: every commit", "everything", undefined],
    ["a dependency on the root: every commit", "on-root", undefined],
    ["an unknown component: every commit", "nope", undefined],
  ])("%s", (_, name, expected) => {
    expect(notePaths(components, name)).toEqual(expected);
  });
});

describe("knowsClosure", () => {
  const c = (name: string, dependsOn: string[] = []) => ({ name, dependsOn });
  it.each([
    ["alone", [c("a")], "a", true],
    ["with its dependencies, transitively", [c("a", ["b"]), c("b", ["c"]), c("c")], "a", true],
    ["a dependency of a dependency missing", [c("a", ["b"]), c("b", ["c"])], "a", false],
    ["itself missing", [c("b")], "a", false],
    ["a cycle", [c("a", ["b"]), c("b", ["a"])], "a", true],
  ])("%s", (_, components, name, expected) => {
    expect(knowsClosure(components, name)).toBe(expected);
  });
});

describe("componentChanges", () => {
  it("keeps the touched commits in order and counts the others", () => {
    const changes = ["a", "b", "c", "d"].map((x) => ({ sha: x.repeat(40), title: x }));
    expect(componentChanges(changes, new Set(["d".repeat(40), "b".repeat(40)]))).toEqual({
      kept: [changes[1], changes[3]],
      others: 2,
    });
    expect(componentChanges(changes, new Set())).toEqual({ kept: [], others: 4 });
  });
});
