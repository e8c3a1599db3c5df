import { describe, expect, it } from "vitest";
import { readValuesKey, setValuesKey } from "../../src/core/values-edit.js";

const lines = (...l: string[]) => l.join("\n");
const crlf = (...l: string[]) => l.join("\r\n");

describe("setValuesKey: replaces the value in place", () => {
  it.each([
    [
      "nested block mapping with a comment after the value",
      lines(
        "# values",
        "image:",
        "  repository: ghcr.io/acme/roc-api",
        "  tag: 1.2.3 # set by monobot",
        "  pullPolicy: IfNotPresent",
        "",
      ),
      "image.tag",
      lines(
        "# values",
        "image:",
        "  repository: ghcr.io/acme/roc-api",
        "  tag: 1.3.0 # set by monobot",
        "  pullPolicy: IfNotPresent",
        "",
      ),
    ],
    [
      "flow mapping",
      lines("replicas: 2", "image: {repository: ghcr.io/acme/roc-api, tag: 1.2.3}", ""),
      "image.tag",
      lines("replicas: 2", "image: {repository: ghcr.io/acme/roc-api, tag: 1.3.0}", ""),
    ],
    [
      "double-quoted value",
      lines("image:", '  tag: "1.2.3"', ""),
      "image.tag",
      lines("image:", '  tag: "1.3.0"', ""),
    ],
    [
      "single-quoted value in a flow mapping",
      lines("image: { tag: '1.2.3' }", ""),
      "image.tag",
      lines("image: { tag: '1.3.0' }", ""),
    ],
    [
      "CRLF line endings",
      crlf("image:", "  repository: x", "  tag: 1.2.3", "resources: {}", ""),
      "image.tag",
      crlf("image:", "  repository: x", "  tag: 1.3.0", "resources: {}", ""),
    ],
    [
      "odd indentation (3 and 5 spaces)",
      lines("app:", "   image:", "        tag: 1.2.3", "   port: 80", ""),
      "app.image.tag",
      lines("app:", "   image:", "        tag: 1.3.0", "   port: 80", ""),
    ],
    [
      "a number-like old value (a version is a string in plain style too)",
      lines("image:", "  tag: 1.2", ""),
      "image.tag",
      lines("image:", "  tag: 1.3.0", ""),
    ],
    [
      "an empty value",
      lines("image:", "  tag:", "  pullPolicy: Always", ""),
      "image.tag",
      lines("image:", '  tag: "1.3.0"', "  pullPolicy: Always", ""),
    ],
    [
      "a null value (~)",
      lines("image:", "  tag: ~", ""),
      "image.tag",
      lines("image:", "  tag: 1.3.0", ""),
    ],
    [
      "quoted keys (JSON style)",
      lines('{"image": {"tag": "1.2.3"}}', ""),
      "image.tag",
      lines('{"image": {"tag": "1.3.0"}}', ""),
    ],
    [
      "no final newline",
      lines("image:", "  tag: 1.2.3"),
      "image.tag",
      lines("image:", "  tag: 1.3.0"),
    ],
    [
      "a key inside a list item's mapping",
      lines("workers:", "  - name: a", "image:", "  tag: v1.2.3", ""),
      "image.tag",
      lines("workers:", "  - name: a", "image:", "  tag: 1.3.0", ""),
    ],
  ])("%s", (_name, before, key, after) => {
    const r = setValuesKey(before, key, "1.3.0");
    expect(r).toEqual({ ok: true, content: after, changed: true });
  });
});

describe("setValuesKey: adds a missing key with the file's layout", () => {
  it.each([
    [
      "missing leaf in a block mapping, before the next top-level key",
      lines("image:", "    repository: x", "    # a comment", "", "service:", "    port: 80", ""),
      "image.tag",
      lines(
        "image:",
        "    repository: x",
        '    tag: "1.3.0"',
        "    # a comment",
        "",
        "service:",
        "    port: 80",
        "",
      ),
    ],
    [
      "missing leaf, comment after the last value",
      lines("image:", "  repository: x # registry", ""),
      "image.tag",
      lines("image:", "  repository: x # registry", '  tag: "1.3.0"', ""),
    ],
    [
      "missing leaf after a nested mapping",
      lines("image:", "  pull:", "    policy: Always", "replicas: 1", ""),
      "image.tag",
      lines("image:", "  pull:", "    policy: Always", '  tag: "1.3.0"', "replicas: 1", ""),
    ],
    [
      "missing leaf in a flow mapping",
      lines("image: {repository: x}", ""),
      "image.tag",
      lines('image: {repository: x, tag: "1.3.0"}', ""),
    ],
    [
      "missing leaf in an empty flow mapping",
      lines("image: {}", ""),
      "image.tag",
      lines('image: {tag: "1.3.0"}', ""),
    ],
    [
      "missing parent, with the file's indentation step (4) and CRLF",
      crlf("replicas: 1", "service:", "    port: 80", ""),
      "image.tag",
      crlf("replicas: 1", "service:", "    port: 80", "image:", '    tag: "1.3.0"', ""),
    ],
    ["an empty file", "", "image.tag", lines("image:", '  tag: "1.3.0"', "")],
    [
      "a file of comments only",
      lines("# no values yet"),
      "image.tag",
      lines("# no values yet", "image:", '  tag: "1.3.0"', ""),
    ],
  ])("%s", (_name, before, key, after) => {
    expect(setValuesKey(before, key, "1.3.0")).toEqual({ ok: true, content: after, changed: true });
  });
});

describe("setValuesKey: leaves or refuses", () => {
  it("quotes a plain value that YAML would read as a number", () => {
    expect(setValuesKey("image:\n  tag: v1\n", "image.tag", "1.10")).toEqual({
      ok: true,
      content: 'image:\n  tag: "1.10"\n',
      changed: true,
    });
  });

  it("changes nothing when the value is already there", () => {
    const text = lines("image:", '  tag: "1.3.0"', "");
    expect(setValuesKey(text, "image.tag", "1.3.0")).toEqual({
      ok: true,
      content: text,
      changed: false,
    });
  });

  it.each([
    ["bad YAML", "image: [\n", "values.yaml does not parse; fix it by hand first"],
    [
      "duplicate keys",
      "image:\n  tag: 1\n  tag: 2\n",
      "values.yaml does not parse; fix it by hand first",
    ],
    [
      "a list on the way",
      "image:\n  - tag: 1.2.3\n",
      "image of values.yaml is not a mapping, so image.tag cannot be set; change it by hand",
    ],
    [
      "a mapping as the value",
      "image:\n  tag:\n    name: x\n",
      "image.tag in values.yaml is a mapping or a list, not a value; change it by hand",
    ],
    [
      "a block scalar",
      "image:\n  tag: |\n    1.2.3\n",
      "image.tag is written as a block scalar in values.yaml; change it by hand to 1.3.0",
    ],
    [
      "an alias",
      "v: &v 1.2.3\nimage:\n  tag: *v\n",
      "image.tag is an alias in values.yaml; change the anchor by hand",
    ],
    [
      "an anchor other keys use",
      "image:\n  tag: &v 1.2.3\nsidecar:\n  tag: *v\n",
      "changing image.tag would change other values of the file; change it by hand",
    ],
    [
      "a missing parent in a flow mapping",
      "app: {name: x}\n",
      "app is a flow mapping without image; add app.image.tag by hand",
    ],
    [
      "a top-level list",
      "- a\n",
      "the top level of values.yaml is not a mapping, so image.tag cannot be set; change it by hand",
    ],
  ])("%s", (_name, text, reason) => {
    const key = _name === "a missing parent in a flow mapping" ? "app.image.tag" : "image.tag";
    expect(setValuesKey(text, key, "1.3.0")).toEqual({ ok: false, reason });
  });
});

describe("readValuesKey", () => {
  it.each([
    ["image:\n  tag: 1.2.3\n", "1.2.3"],
    ["image: {tag: '1.2.3'}\n", "1.2.3"],
    ["image:\n  tag:\n", undefined],
    ["image: x\n", undefined],
    ["image: [\n", undefined],
  ])("%j -> %s", (text, value) => {
    expect(readValuesKey(text, "image.tag")).toBe(value);
  });
});
