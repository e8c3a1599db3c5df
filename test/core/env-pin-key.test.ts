import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import {
  expandPin,
  expandSteps,
  landPath,
  parsePinKey,
  pinKeyText,
  pinPlaceholders,
} from "../../src/core/env-pin-key.js";

describe("parsePinKey", () => {
  it.each([
    ["image.tag", [{ key: "image" }, { key: "tag" }]],
    [
      "targetCustomizations[name=staging].helm.values.{chart_name}.image.tag",
      [
        { key: "targetCustomizations" },
        { field: "name", value: "staging" },
        { key: "helm" },
        { key: "values" },
        { key: "{chart_name}" },
        { key: "image" },
        { key: "tag" },
      ],
    ],
    [
      "dependencies[name={chart_name}].version",
      [{ key: "dependencies" }, { field: "name", value: "{chart_name}" }, { key: "version" }],
    ],
    ["list[0][1].x", [{ key: "list" }, { index: 0 }, { index: 1 }, { key: "x" }]],
  ])("%s", (key, steps) => {
    expect(parsePinKey(key)).toEqual({ ok: true, steps });
  });

  it.each([
    ["", "it is empty"],
    ["image..tag", "it has an empty segment"],
    ["image.tag.", "it ends with a dot"],
    ["a[name=x", "a [ has no closing ]"],
    ["a[x].b", "[x] is neither a position [0] nor a selector [name=value]"],
    ["a[name=x]b", "a selector must be followed by . or ["],
    ["a]b", "a ] has no opening ["],
  ])("refuses %j: %s", (key, why) => {
    const r = parsePinKey(key);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(why);
  });

  it("keeps a placeholder's value with dots in one step (parse, then expand)", () => {
    const r = parsePinKey("{chart_name}.image.tag");
    if (!r.ok) throw new Error(r.message);
    const steps = expandSteps(r.steps, { chart_name: "acme.api" });
    expect(steps[0]).toEqual({ key: "acme.api" });
    expect(pinKeyText(steps)).toBe("acme.api.image.tag");
  });

  it("expands known placeholders and leaves unknown ones as written", () => {
    expect(expandPin("envs/{environment}/{nope}.yaml", { environment: "dev" })).toBe(
      "envs/dev/{nope}.yaml",
    );
    expect(pinPlaceholders("{chart}/{environment}/{chart}")).toEqual(["chart", "environment"]);
  });
});

describe("landPath", () => {
  const doc = parseDocument(
    "targets:\n  - name: a\n    v: 1\n  - name: b\n    v: 2\n  - name: b\n    v: 3\nflat: x\n",
  ).contents;
  const steps = (key: string) => {
    const r = parsePinKey(key);
    if (!r.ok) throw new Error(r.message);
    return r.steps;
  };

  it("lands on the one entry a selector names, with its concrete path", () => {
    const r = landPath(doc, steps("targets[name=a].v"));
    expect(r.ok && r.path).toEqual(["targets", 0, "v"]);
  });

  it.each([
    ["targets[name=b].v", "2 entries have name: b; make it name one"],
    ["targets[name=c].v", "no entry has name: c"],
    ["targets[5].v", "the list has 3 entries"],
    ["flat[name=a]", "flat is not a list"],
    ["flat.x", "flat is not a mapping"],
    ["missing.x", "missing is not in the file"],
  ])("%s finds nothing: %s", (key, message) => {
    const r = landPath(doc, steps(key));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(message);
  });
});
