import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parsePinKey, expandSteps, type PinStep } from "../../src/core/env-pin-key.js";
import { pinLayout, type PinLayout } from "../../src/core/env-layout.js";
import { readPin, writePin } from "../../src/core/env-pins.js";

const example = (path: string) =>
  readFileSync(new URL(`../../examples/${path}`, import.meta.url), "utf8");
const FLEET = example("config-repo-fleet/fleet/aether/fleet.yaml");
const VALUES_DEV = example("config-repo-values/envs/dev/values.yaml");
// Single quotes, as some files write them (the example itself follows the repository's style).
const VALUES_STAGING = example("config-repo-values/envs/staging/values.yaml").replace(
  '"2.1.0"',
  "'2.1.0'",
);
const VALUES_PROD = example("config-repo-values/envs/production/values.yaml");
const UMBRELLA = example("config-repo-umbrella/envs/staging/Chart.yaml");
const crlf = (text: string) => text.replace(/\n/g, "\r\n");

function steps(key: string, values: Record<string, string> = {}): PinStep[] {
  const r = parsePinKey(key);
  if (!r.ok) throw new Error(r.message);
  return expandSteps(r.steps, values);
}

/** The lines that differ, as [line number, before, after]. */
function changedLines(before: string, after: string): [number, string, string][] {
  const a = before.split("\n");
  const b = after.split("\n");
  expect(b.length).toBe(a.length);
  return a.flatMap((line, i) => (line === b[i] ? [] : [[i + 1, line, b[i] as string]]));
}

const FLEET_KEY = (env: string) =>
  `targetCustomizations[name=${env}].helm.values.{chart_name}.image.tag`;
const UMBRELLA_KEY = "dependencies[name={chart_name}].version";

describe("pinLayout", () => {
  it.each([
    ["fleet/aether/fleet.yaml", "fleet"],
    ["fleet.yml", "fleet"],
    ["envs/staging/values.yaml", "values"],
    ["envs/staging/Chart.yaml", "umbrella"],
    ["staging.yaml", "values"],
  ])("%s is %s", (file, layout) => {
    expect(pinLayout(file)).toBe(layout);
  });
});

describe("readPin: the version an environment pins, and its line", () => {
  it.each<[string, string, PinLayout, string, string, number]>([
    [
      "fleet staging roc-api (a comment after it)",
      FLEET,
      "fleet",
      FLEET_KEY("staging"),
      "1.3.0",
      15,
    ],
    [
      "fleet staging web (flow style)",
      FLEET,
      "fleet",
      FLEET_KEY("staging").replace("{chart_name}", "web"),
      "2.1.0",
      17,
    ],
    ["fleet production roc-api", FLEET, "fleet", FLEET_KEY("production"), "1.2.3", 27],
    ["fleet, CRLF", crlf(FLEET), "fleet", FLEET_KEY("production"), "1.2.3", 27],
    [
      "values dev (plain, a comment after it)",
      VALUES_DEV,
      "values",
      "{chart_name}.image.tag",
      "1.4.0-rc.1",
      6,
    ],
    ["values staging web (single quotes)", VALUES_STAGING, "values", "web.image.tag", "2.1.0", 7],
    [
      "values production (a comment above it)",
      VALUES_PROD,
      "values",
      "{chart_name}.image.tag",
      "1.2.3",
      7,
    ],
    ["umbrella roc-api", UMBRELLA, "umbrella", UMBRELLA_KEY, "0.5.0", 9],
    [
      "umbrella web (quoted)",
      UMBRELLA,
      "umbrella",
      UMBRELLA_KEY.replace("{chart_name}", "web"),
      "0.2.1",
      12,
    ],
    ["umbrella, CRLF", crlf(UMBRELLA), "umbrella", UMBRELLA_KEY, "0.5.0", 9],
  ])("%s", (_name, content, layout, key, value, line) => {
    expect(readPin(content, layout, steps(key, { chart_name: "roc-api" }))).toEqual({
      ok: true,
      found: true,
      value,
      line,
    });
  });

  it("keeps a plain number as written: tag: 1.10 pins 1.10", () => {
    expect(readPin("image:\n  tag: 1.10\n", "values", steps("image.tag"))).toMatchObject({
      value: "1.10",
    });
  });

  it.each<[string, string, PinLayout, string, Record<string, unknown>]>([
    [
      "a target the fleet.yaml lacks is structural",
      FLEET,
      "fleet",
      FLEET_KEY("qa"),
      {
        ok: true,
        found: false,
        structural: true,
        message: expect.stringContaining("no entry has name: qa"),
      },
    ],
    [
      "a component the target lacks is not pinned yet",
      FLEET,
      "fleet",
      FLEET_KEY("staging").replace("{chart_name}", "billing"),
      { ok: true, found: false, structural: false, line: 13 },
    ],
    [
      "a dependency the umbrella lacks is structural",
      UMBRELLA,
      "umbrella",
      UMBRELLA_KEY.replace("{chart_name}", "billing"),
      { ok: true, found: false, structural: true },
    ],
    [
      "a fleet.yaml that does not parse",
      "helm:\n  values: [\n",
      "fleet",
      "helm.values",
      { ok: false, line: 3, message: expect.stringContaining("does not parse") },
    ],
    [
      "a key written twice on the pin's path",
      "roc-api:\n  image:\n    tag: 1.0.0\nroc-api:\n  replicas: 2\n",
      "values",
      "{chart_name}.image.tag",
      {
        ok: false,
        line: 1,
        message: expect.stringContaining("roc-api is written twice; keep one"),
      },
    ],
    [
      "a key naming a mapping",
      FLEET,
      "fleet",
      "targetCustomizations[name=staging].helm.values.roc-api.image",
      {
        ok: false,
        line: 15,
        message: expect.stringContaining("is a mapping or a list, not a value"),
      },
    ],
    [
      "a file:// dependency pins no version",
      UMBRELLA.replace("https://charts.acme.example/aether", "file://../../charts/roc-api"),
      "umbrella",
      UMBRELLA_KEY,
      {
        ok: false,
        line: 8,
        message: expect.stringContaining(
          "file://../../charts/roc-api, which packages whatever that folder holds",
        ),
      },
    ],
    [
      "an embedded dependency pins no version",
      UMBRELLA.replace("    repository: https://charts.acme.example/aether\n", ""),
      "umbrella",
      UMBRELLA_KEY,
      { ok: false, line: 8, message: expect.stringContaining("the umbrella's own charts/ folder") },
    ],
  ])("%s", (_name, content, layout, key, expected) => {
    expect(readPin(content, layout, steps(key, { chart_name: "roc-api" }))).toMatchObject(expected);
  });
});

describe("writePin: one minimal edit, verified", () => {
  it.each<[string, string, PinLayout, string, string, [number, string, string][]]>([
    [
      "fleet: a quoted value with a comment after it",
      FLEET,
      "fleet",
      FLEET_KEY("staging"),
      "1.4.0",
      [
        [
          15,
          '            tag: "1.3.0" # verified by api-tests, soaking',
          '            tag: "1.4.0" # verified by api-tests, soaking',
        ],
      ],
    ],
    [
      "fleet: a flow mapping keeps its style",
      FLEET,
      "fleet",
      FLEET_KEY("production").replace("{chart_name}", "web"),
      "2.1.0",
      [[29, "          image: { tag: 2.0.1 }", "          image: { tag: 2.1.0 }"]],
    ],
    [
      "fleet: a plain value YAML would read as a number gets quotes",
      FLEET,
      "fleet",
      FLEET_KEY("production").replace("{chart_name}", "web"),
      "1.10",
      [[29, "          image: { tag: 2.0.1 }", '          image: { tag: "1.10" }']],
    ],
    [
      "fleet: only the named target moves",
      FLEET,
      "fleet",
      FLEET_KEY("production"),
      "1.3.0",
      [[27, '            tag: "1.2.3"', '            tag: "1.3.0"']],
    ],
    [
      "values: a comment above stays",
      VALUES_PROD,
      "values",
      "{chart_name}.image.tag",
      "1.3.0",
      [[7, '    tag: "1.2.3"', '    tag: "1.3.0"']],
    ],
    [
      "values: plain with a trailing comment",
      VALUES_DEV,
      "values",
      "{chart_name}.image.tag",
      "1.4.0",
      [
        [
          6,
          "    tag: 1.4.0-rc.1 # a release candidate, straight from the deploy pull request",
          "    tag: 1.4.0 # a release candidate, straight from the deploy pull request",
        ],
      ],
    ],
    [
      "values: single quotes stay single",
      VALUES_STAGING,
      "values",
      "web.image.tag",
      "2.2.0",
      [[7, "    tag: '2.1.0'", "    tag: '2.2.0'"]],
    ],
    [
      "values: a component not pinned yet is added",
      VALUES_PROD,
      "values",
      "billing.image.tag",
      "0.1.0",
      [],
    ],
    [
      "umbrella: the pin and the umbrella's own version",
      UMBRELLA,
      "umbrella",
      UMBRELLA_KEY,
      "0.5.1",
      [
        [6, "version: 1.0.7", "version: 1.0.8"],
        [9, "    version: 0.5.0", "    version: 0.5.1"],
      ],
    ],
    [
      "umbrella: a quoted pin stays quoted",
      UMBRELLA,
      "umbrella",
      UMBRELLA_KEY.replace("{chart_name}", "web"),
      "0.3.0",
      [
        [6, "version: 1.0.7", "version: 1.0.8"],
        [12, '    version: "0.2.1"', '    version: "0.3.0"'],
      ],
    ],
  ])("%s", (_name, content, layout, key, value, lines) => {
    const s = steps(key, { chart_name: "roc-api" });
    for (const text of [content, crlf(content)]) {
      const r = writePin(text, layout, s, value);
      if (!r.ok) throw new Error(r.reason);
      expect(r.changed).toBe(true);
      expect(readPin(r.content, layout, s)).toMatchObject({ found: true, value });
      expect(r.content.includes("\r\n")).toBe(text.includes("\r\n"));
      const after = r.content.replace(/\r\n/g, "\n");
      if (lines.length > 0) expect(changedLines(content, after)).toEqual(lines);
      else {
        // An added key: the old text stays as it was, with three lines after it.
        expect(after).toBe(`${content}billing:\n  image:\n    tag: "0.1.0"\n`);
      }
    }
  });

  it("is unchanged when the pin already holds the version", () => {
    expect(
      writePin(FLEET, "fleet", steps(FLEET_KEY("staging"), { chart_name: "roc-api" }), "1.3.0"),
    ).toEqual({
      ok: true,
      content: FLEET,
      changed: false,
    });
  });

  it("leaves the umbrella's own version when asked", () => {
    const r = writePin(
      UMBRELLA,
      "umbrella",
      steps(UMBRELLA_KEY, { chart_name: "roc-api" }),
      "0.6.0",
      {
        bumpUmbrella: false,
      },
    );
    if (!r.ok) throw new Error(r.reason);
    expect(changedLines(UMBRELLA, r.content)).toEqual([
      [9, "    version: 0.5.0", "    version: 0.6.0"],
    ]);
  });

  it.each<[string, string, PinLayout, string, string, string]>([
    [
      "a target the file lacks",
      FLEET,
      "fleet",
      FLEET_KEY("qa"),
      "1.0.0",
      "names nothing in the file",
    ],
    [
      "a component under a target it lacks (added by hand once)",
      FLEET,
      "fleet",
      FLEET_KEY("staging").replace("{chart_name}", "billing"),
      "1.0.0",
      "add the pin by hand once",
    ],
    [
      "a file:// umbrella dependency",
      UMBRELLA.replace("https://charts.acme.example/aether", "file://../../charts/roc-api"),
      "umbrella",
      UMBRELLA_KEY,
      "0.6.0",
      "pins no version",
    ],
    [
      "an umbrella pin that is not a version",
      UMBRELLA,
      "umbrella",
      UMBRELLA_KEY,
      "latest",
      "not a SemVer version",
    ],
    [
      "an umbrella key that is not a dependency version",
      UMBRELLA,
      "umbrella",
      "version",
      "1.0.0",
      "must be the dependency's version",
    ],
    [
      "a block scalar",
      "image:\n  tag: |\n    1.0.0\n",
      "values",
      "image.tag",
      "1.1.0",
      "block scalar",
    ],
    [
      "a version with spaces",
      VALUES_PROD,
      "values",
      "roc-api.image.tag",
      "1 2",
      "is not a version to pin",
    ],
    ["a file that does not parse", "image: [\n", "values", "image.tag", "1.0.0", "does not parse"],
  ])("refuses %s", (_name, content, layout, key, value, reason) => {
    const r = writePin(content, layout, steps(key, { chart_name: "roc-api" }), value);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });
});
