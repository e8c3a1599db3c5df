// Tests for monobot/lint: each rule failing and passing, line numbers from real patches, skips.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseGitAttributes } from "../../../src/core/checks/gitattributes.js";
import { lintCheck } from "../../../src/core/checks/lint.js";
import { syntaxProblem } from "../../../src/core/checks/syntax.js";
import { type ChangedFile, type CheckResult } from "../../../src/core/types.js";
import { addedFile, policyFrom, runCheckOn } from "../../helpers/check-harness.js";
import { tempRepo } from "../../helpers/git-repo.js";

function lint(
  files: ChangedFile[],
  opts: { head?: Record<string, string>; policy?: string; headPaths?: string[] } = {},
) {
  return runCheckOn(lintCheck, files, opts);
}

const where = (r: CheckResult) => r.annotations.map((a) => `${a.path}:${a.start_line}:${a.level}`);

describe("monobot/lint rules", () => {
  const cases: {
    rule: string;
    name: string;
    files: ChangedFile[];
    head?: Record<string, string>;
    policy?: string;
    expected: string[];
    conclusion: "success" | "failure";
    message?: RegExp;
  }[] = [
    {
      rule: "parse",
      name: "invalid YAML fails at the parser's line",
      files: [addedFile("deploy/values.yaml", ["image: app", "tag: 1.0", "env: [a, b"])],
      head: { "deploy/values.yaml": "image: app\ntag: 1.0\nenv: [a, b\n" },
      expected: ["deploy/values.yaml:4:failure"],
      conclusion: "failure",
      message: /deploy\/values\.yaml:4:1: .*Fix the YAML syntax/,
    },
    {
      rule: "parse",
      name: "a duplicate YAML key warns on its second occurrence, as Helm keeps the last value",
      files: [addedFile("a.yml", ["x: 1", "x: 2"])],
      head: { "a.yml": "x: 1\nx: 2\n" },
      expected: ["a.yml:2:warning"],
      conclusion: "success",
      message: /a\.yml:2: this key is already set earlier in the same mapping/,
    },
    {
      rule: "parse",
      name: "a Chart.yaml with a duplicate key is a warning on each repeat, never a failure",
      files: [
        addedFile("charts/api/Chart.yaml", [
          "apiVersion: v2",
          "name: api",
          "version: 0.1.0",
          "dependencies:",
          "  - name: db",
          "    version: 1.0.0",
          "    version: 1.0.1",
          "version: 0.1.1",
        ]),
      ],
      head: {
        "charts/api/Chart.yaml":
          "apiVersion: v2\nname: api\nversion: 0.1.0\ndependencies:\n  - name: db\n    version: 1.0.0\n    version: 1.0.1\nversion: 0.1.1\n",
      },
      expected: ["charts/api/Chart.yaml:7:warning", "charts/api/Chart.yaml:8:warning"],
      conclusion: "success",
      message: /Helm and js-yaml keep the last value/,
    },
    {
      rule: "parse",
      name: "keys that differ only in quoting style are the same key",
      files: [addedFile("b.yaml", ["'a': 1", '"a": 2', "a: 3", "b: {a: 1}"])],
      head: { "b.yaml": "'a': 1\n\"a\": 2\na: 3\nb: {a: 1}\n" },
      expected: ["b.yaml:2:warning", "b.yaml:3:warning"],
      conclusion: "success",
    },
    {
      rule: "parse",
      name: "repeated merge keys merge: only the real duplicate warns",
      files: [
        addedFile("m.yaml", [
          "a: &a {x: 1}",
          "c: &c {z: 1}",
          "b:",
          "  <<: *a",
          "  <<: *c",
          "  y: 2",
          "  y: 3",
        ]),
      ],
      head: { "m.yaml": "a: &a {x: 1}\nc: &c {z: 1}\nb:\n  <<: *a\n  <<: *c\n  y: 2\n  y: 3\n" },
      expected: ["m.yaml:7:warning"],
      conclusion: "success",
    },
    {
      rule: "parse",
      name: "js-yaml alone decides: an alias to no anchor is an error",
      files: [addedFile("f.yaml", ["a: 1", "b: *nothing"])],
      head: { "f.yaml": "a: 1\nb: *nothing\n" },
      expected: ["f.yaml:2:failure"],
      conclusion: "failure",
      message: /f\.yaml:2:\d+: unidentified alias/,
    },
    {
      rule: "parse",
      name: "js-yaml alone decides: a value that is not of its explicit type is an error",
      files: [addedFile("g.yaml", ["replicas: !!int three"])],
      head: { "g.yaml": "replicas: !!int three\n" },
      expected: ["g.yaml:1:failure"],
      conclusion: "failure",
    },
    {
      rule: "parse",
      name: "a duplicate key is still an error when the rest of the file is not YAML",
      files: [addedFile("c.yaml", ["x: 1", "x: 2", "y: [1"])],
      head: { "c.yaml": "x: 1\nx: 2\ny: [1\n" },
      expected: ["c.yaml:4:failure"],
      conclusion: "failure",
    },
    {
      rule: "parse",
      name: "a duplicate-key warning stays at notice when the parse rule is a notice",
      files: [addedFile("d.yaml", ["x: 1", "x: 2"])],
      head: { "d.yaml": "x: 1\nx: 2\n" },
      policy: "checks:\n  lint:\n    rules: { parse: notice }\n",
      expected: ["d.yaml:2:notice"],
      conclusion: "success",
      message: /d\.yaml:2: this key is already set earlier/,
    },
    {
      rule: "parse",
      name: "a VERSION with a trailing blank line warns on that line, never fails",
      files: [addedFile("services/api/VERSION", ["0.5.8-dev", ""])],
      head: { "services/api/VERSION": "0.5.8-dev\n\n" },
      expected: ["services/api/VERSION:2:warning"],
      conclusion: "success",
      message: /services\/api\/VERSION:2 is blank/,
    },
    {
      rule: "parse",
      name: "a modified VERSION is read whole, so a blank line outside the patch is found too",
      files: [
        {
          path: "VERSION",
          status: "modified",
          additions: 1,
          deletions: 1,
          patch: "@@ -1,1 +1,1 @@\n-0.5.7\n+0.5.8-dev",
        },
      ],
      head: { VERSION: "0.5.8-dev\n  \n" },
      expected: ["VERSION:2:warning"],
      conclusion: "success",
    },
    {
      rule: "parse",
      name: "a custom tag such as CloudFormation's !Ref is not an error",
      // Application tags on sequences and mappings (!GetAZs, !Sub) are not errors either.
      files: [
        addedFile("cfn/stack.yaml", [
          "Value: !Ref Bucket",
          "A: !GetAZs",
          "  - x",
          "B: !Sub {a: 1}",
        ]),
      ],
      head: { "cfn/stack.yaml": "Value: !Ref Bucket\nA: !GetAZs\n  - x\nB: !Sub {a: 1}\n" },
      expected: [],
      conclusion: "success",
    },
    {
      rule: "parse",
      name: "valid multi-document YAML passes",
      // The third document's complex key (`? [x, y]`) is valid YAML too.
      files: [addedFile("k8s.yaml", ["a: 1", "---", "b: [1, 2]", "---", "? [x, y]", ": 1"])],
      head: { "k8s.yaml": "a: 1\n---\nb: [1, 2]\n---\n? [x, y]\n: 1\n" },
      expected: [],
      conclusion: "success",
    },
    {
      rule: "parse",
      name: "JSON with a trailing comma fails with line and column",
      files: [addedFile("package.json", ["{", '  "name": "x",', "}"])],
      head: { "package.json": '{\n  "name": "x",\n}\n' },
      expected: ["package.json:3:failure"],
      conclusion: "failure",
      message: /package\.json:3:1: trailing comma before '\}'/,
    },
    {
      rule: "parse",
      name: "valid JSON passes",
      files: [addedFile("data.json", ['{"a": [1, 2.5e3, true, null, "\\u00e9"]}'])],
      head: { "data.json": '{"a": [1, 2.5e3, true, null, "\\u00e9"]}\n' },
      expected: [],
      conclusion: "success",
    },
    {
      rule: "parse",
      name: "tsconfig.json may hold comments and trailing commas (JSONC)",
      files: [addedFile("tsconfig.json", ["{", "  // strict", '  "strict": true,', "}"])],
      head: { "tsconfig.json": '{\n  // strict\n  "strict": true,\n}\n' },
      expected: [],
      conclusion: "success",
    },
    {
      rule: "parse",
      name: "a comment in plain JSON fails",
      files: [addedFile("conf.json", ["{", "  // no", '  "a": 1', "}"])],
      head: { "conf.json": '{\n  // no\n  "a": 1\n}\n' },
      expected: ["conf.json:2:failure"],
      conclusion: "failure",
    },
    {
      rule: "parse",
      name: "Helm templates are not parsed as YAML",
      files: [addedFile("charts/app/templates/deploy.yaml", ["name: {{ .Release.Name }}"])],
      head: { "charts/app/templates/deploy.yaml": "name: {{ .Release.Name }}\n" },
      expected: [],
      conclusion: "success",
    },
    {
      rule: "conflict_markers",
      name: "conflict markers in added lines fail",
      files: [addedFile("src/a.ts", ["x", "<<<<<<< HEAD", "a", "=======", "b", ">>>>>>> topic"])],
      expected: ["src/a.ts:2:failure", "src/a.ts:6:failure", "src/a.ts:4:failure"],
      conclusion: "failure",
    },
    {
      rule: "conflict_markers",
      name: "a lone ======= underline is not a marker",
      files: [addedFile("docs/index.rst", ["Title", "=======", "text"])],
      expected: [],
      conclusion: "success",
    },
    {
      rule: "max_size",
      name: "a new file above max_file_kb fails",
      files: [
        addedFile(
          "big.txt",
          Array.from({ length: 40 }, () => "x".repeat(63)),
        ),
      ],
      policy: "checks:\n  lint:\n    max_file_kb: 2\n",
      expected: ["big.txt:1:failure"],
      conclusion: "failure",
      message: /3 KiB, above the 2 KiB limit/,
    },
    {
      rule: "max_size",
      name: "a file without patch is measured from its content",
      files: [{ path: "huge.csv", status: "modified", additions: 90000, deletions: 1 }],
      head: { "huge.csv": "a,b\n".repeat(1000) },
      policy: "checks:\n  lint:\n    max_file_kb: 2\n",
      expected: ["huge.csv:1:failure"],
      conclusion: "failure",
    },
    {
      rule: "max_size",
      name: "a small file passes",
      files: [addedFile("small.txt", ["hello"])],
      policy: "checks:\n  lint:\n    max_file_kb: 2\n",
      expected: [],
      conclusion: "success",
    },
    {
      rule: "forbidden_path",
      name: "an .env file fails",
      files: [addedFile("services/api/.env", ["DEBUG=1"])],
      expected: ["services/api/.env:1:failure"],
      conclusion: "failure",
      message:
        /matches `\*\*\/\.env` in checks\.lint\.forbid.*git rm --cached services\/api\/\.env/,
    },
    {
      rule: "forbidden_path",
      name: "a binary private key fails even though it is binary",
      files: [
        { path: "keys/server.p12", status: "added", additions: 0, deletions: 0, binary: true },
      ],
      expected: ["keys/server.p12:1:failure"],
      conclusion: "failure",
    },
    {
      rule: "forbidden_path",
      name: "an example env file passes",
      files: [addedFile("services/api/env.example", ["DEBUG=1"])],
      expected: [],
      conclusion: "success",
    },
    {
      rule: "final_newline",
      name: "a file ending without newline warns at its last line",
      files: [addedFile("src/main.go", ["package main", "", "func main() {}"], false)],
      expected: ["src/main.go:3:warning"],
      conclusion: "success",
      message: /does not end with a newline/,
    },
    {
      rule: "final_newline",
      name: "a file ending with a newline passes",
      files: [addedFile("src/main.go", ["package main"])],
      expected: [],
      conclusion: "success",
    },
    {
      rule: "trailing_whitespace",
      name: "trailing spaces and tabs warn, one annotation per run of lines",
      files: [addedFile("src/a.py", ["a = 1", "b = 2 ", "c = 3\t", "d = 4", "e = 5  "])],
      expected: ["src/a.py:2:warning", "src/a.py:5:warning"],
      conclusion: "success",
      message: /lines 2-3/,
    },
    {
      rule: "trailing_whitespace",
      name: "Markdown line breaks are allowed by the default override",
      files: [addedFile("README.md", ["first line  ", "second"])],
      expected: [],
      conclusion: "success",
    },
    {
      rule: "trailing_whitespace",
      name: "a repository can make it a failure for some paths",
      files: [addedFile("src/a.py", ["a = 1 "]), addedFile("legacy/b.py", ["b = 1 "])],
      policy:
        "checks:\n  lint:\n    overrides:\n      - paths: ['src/**']\n        rules: { trailing_whitespace: failure }\n      - paths: ['legacy/**']\n        rules: { trailing_whitespace: 'off' }\n",
      expected: ["src/a.py:1:failure"],
      conclusion: "failure",
    },
  ];
  for (const c of cases) {
    it(`${c.rule}: ${c.name}`, () => {
      const { result } = lint(c.files, { head: c.head, policy: c.policy });
      expect(where(result)).toEqual(c.expected);
      expect(result.conclusion).toBe(c.conclusion);
      expect(result.name).toBe("monobot/lint");
      if (c.message) expect(result.annotations.map((a) => a.message).join("\n")).toMatch(c.message);
    });
  }
});

describe("monobot/lint skips and reads", () => {
  it("never checks removed files", () => {
    const { result, requested } = lint([
      {
        path: ".env",
        status: "removed",
        additions: 0,
        deletions: 3,
        patch: "@@ -1,1 +0,0 @@\n-A=1 ",
      },
      { path: "bad.json", status: "removed", additions: 0, deletions: 1 },
    ]);
    expect(result.annotations).toEqual([]);
    expect(requested).toEqual([]);
    expect(result.conclusion).toBe("success");
  });

  it("skips binary and generated files (policy globs and .gitattributes) and says how many", () => {
    const files: ChangedFile[] = [
      { path: "img/logo.png", status: "added", additions: 0, deletions: 0 },
      { path: "blob.dat", status: "added", additions: 0, deletions: 0, binary: true },
      addedFile("package-lock.json", ["{ broken"]),
      addedFile("gen/client.ts", ["x = 1   "]),
      addedFile("src/ok.ts", ["export {};"]),
    ];
    const { result, requested } = lint(files, {
      head: { ".gitattributes": "# generated code\ngen/** linguist-generated=true\n" },
    });
    expect(requested).toEqual([".gitattributes"]);
    expect(result.annotations).toEqual([]);
    expect(result.summary).toMatch(/Skipped 2 binary files and 2 generated or vendored files/);
  });

  it("reads whole only the files a rule needs, and says which", () => {
    const files: ChangedFile[] = [
      addedFile("src/a.ts", ["const a = 1;"]),
      {
        path: "conf/app.yaml",
        status: "modified",
        additions: 1,
        deletions: 1,
        patch: "@@ -2,1 +2,1 @@\n-b: 1\n+b: 2",
      },
      { path: "data/large.txt", status: "modified", additions: 50000, deletions: 2 },
    ];
    const { result, requested } = lint(files, {
      head: { "conf/app.yaml": "a: 0\nb: 2\n", "data/large.txt": "ok\n" },
    });
    expect(requested.sort()).toEqual(["conf/app.yaml", "data/large.txt"]);
    expect(result.summary).toMatch(/Read whole .*2 files: `conf\/app\.yaml`, `data\/large\.txt`/);
  });

  it("says which files it could not read instead of passing them silently", () => {
    const { result } = lint([addedFile("x.json", ["{}"])], { head: {} });
    expect(result.summary).toMatch(/Could not check the content of 1 file .*`x\.json`/);
  });
});

describe("monobot/lint on a real git diff", () => {
  const repo = tempRepo("lint-repo");
  afterAll(() => repo.remove());

  it("puts annotations on the head file's lines", () => {
    const before = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    const after = [...before];
    after.splice(9, 1, "line 10 changed  ");
    after.splice(24, 0, "<<<<<<< HEAD", "ours", "=======", "theirs", ">>>>>>> topic");
    const base = repo.commit({ "app/src/main.c": before.join("\n") + "\n" });
    const head = repo.commit({ "app/src/main.c": after.join("\n") + "\n" });
    const patch = repo.git("diff", "--no-color", base, head, "--", "app/src/main.c");
    const { result } = lint([
      { path: "app/src/main.c", status: "modified", additions: 6, deletions: 1, patch },
    ]);
    const headLines = readFileSync(join(repo.dir, "app/src/main.c"), "utf8").split("\n");
    const byTitle = (t: string) =>
      result.annotations.filter((a) => a.title === t).map((a) => a.start_line);
    expect(byTitle("Trailing whitespace")).toEqual([headLines.indexOf("line 10 changed  ") + 1]);
    expect(byTitle("Merge-conflict marker").sort((a, b) => a - b)).toEqual([
      headLines.indexOf("<<<<<<< HEAD") + 1,
      headLines.indexOf("=======") + 1,
      headLines.indexOf(">>>>>>> topic") + 1,
    ]);
    expect(byTitle("Trailing whitespace")).toEqual([10]);
  });
});

describe("monobot/lint annotations cap", () => {
  it("sends at most checks.max_annotations and says how many more there are", () => {
    const lines = Array.from({ length: 600 }, (_, i) => (i % 2 === 0 ? `x${i} ` : `y${i}`));
    const { result } = lint([addedFile("notes.txt", lines)]);
    expect(result.annotations).toHaveLength(200);
    expect(result.summary).toMatch(/100 more annotations not shown/);
    expect(result.title).toBe("0 failures, 300 warnings, 0 notices");
  });
});

describe("syntaxProblem", () => {
  const cases: {
    text: string;
    format: "json" | "jsonc" | "yaml";
    at?: [number, number];
    message?: RegExp;
  }[] = [
    { text: "", format: "json", at: [1, 1], message: /empty/ },
    { text: '{"a" 1}', format: "json", at: [1, 6], message: /expected ':'/ },
    { text: "[1,\n 2\n", format: "json", at: [3, 1], message: /unclosed array/ },
    { text: "{'a': 1}", format: "json", at: [1, 2], message: /property name in double quotes/ },
    { text: '["a\nb"]', format: "json", at: [1, 4], message: /not closed on this line/ },
    { text: "[01]", format: "json", at: [1, 3], message: /expected ','/ },
    { text: "{} {}", format: "json", at: [1, 4], message: /after the end/ },
    { text: '\uFEFF{"bom": true}', format: "json" },
    { text: "[1, 2,]", format: "jsonc" },
    { text: '/* c */ {"a": [1,],}', format: "jsonc" },
    { text: "[1 /* open", format: "jsonc", at: [1, 4], message: /comment is not closed/ },
    // js-yaml points at the entry that is out of line (the `c`), not at the start of the line.
    { text: "a:\n  - b\n c: d\n", format: "yaml", at: [3, 2] },
  ];
  for (const c of cases) {
    it(`${c.format}: ${JSON.stringify(c.text)}`, () => {
      const p = syntaxProblem(c.text, c.format);
      if (!c.at) expect(p).toBeUndefined();
      else {
        expect(p && [p.line, p.column]).toEqual(c.at);
        if (c.message) expect(p?.message).toMatch(c.message);
      }
    });
  }

  it("survives very deep nesting without overflowing the stack", () => {
    expect(syntaxProblem("[".repeat(200_000), "json")?.message).toMatch(/200000 unclosed arrays/);
  });

  it("never quotes the file's text in its message", () => {
    const secret = "hunter2-Zx9qR2mK7wL4";
    const p = syntaxProblem(`{"password": "${secret}" "x": 1}`, "json");
    expect(p?.message).toBeDefined();
    expect(p?.message).not.toContain(secret);
  });
});

describe("parseGitAttributes", () => {
  const attrs = parseGitAttributes([
    {
      path: ".gitattributes",
      text: "*.pb.go linguist-generated\n/docs/** linguist-vendored\n*.bin binary\n",
    },
    {
      path: "web/.gitattributes",
      text: "dist/** linguist-generated=true\n*.pb.go -linguist-generated\n",
    },
  ]);
  const cases: { path: string; generated: boolean; vendored: boolean; binary: boolean }[] = [
    { path: "api/v1/x.pb.go", generated: true, vendored: false, binary: false },
    { path: "web/x.pb.go", generated: false, vendored: false, binary: false },
    { path: "web/dist/app.js", generated: true, vendored: false, binary: false },
    { path: "dist/app.js", generated: false, vendored: false, binary: false },
    { path: "docs/guide.md", generated: false, vendored: true, binary: false },
    { path: "sub/docs/guide.md", generated: false, vendored: false, binary: false },
    { path: "data/model.bin", generated: false, vendored: false, binary: true },
  ];
  for (const c of cases) {
    it(c.path, () => {
      expect({
        generated: attrs.generated(c.path),
        vendored: attrs.vendored(c.path),
        binary: attrs.binary(c.path),
      }).toEqual({ generated: c.generated, vendored: c.vendored, binary: c.binary });
    });
  }
});

describe(".gitattributes patterns ending in a slash", () => {
  // git: "patterns that match a directory do not recursively match paths inside that directory".
  const attrs = parseGitAttributes([
    {
      path: ".gitattributes",
      text: "gen/ linguist-generated\n/third_party/ linguist-vendored\nassets/** binary\n",
    },
    { path: "web/.gitattributes", text: "build/ linguist-generated\n" },
  ]);
  const cases: { path: string; generated: boolean; vendored: boolean; binary: boolean }[] = [
    { path: "gen/client.ts", generated: false, vendored: false, binary: false },
    { path: "api/gen/client.ts", generated: false, vendored: false, binary: false },
    { path: "third_party/lib.go", generated: false, vendored: false, binary: false },
    { path: "web/build/app.js", generated: false, vendored: false, binary: false },
    { path: "assets/logo.dat", generated: false, vendored: false, binary: true },
  ];
  for (const c of cases) {
    it(c.path, () => {
      expect({
        generated: attrs.generated(c.path),
        vendored: attrs.vendored(c.path),
        binary: attrs.binary(c.path),
      }).toEqual({ generated: c.generated, vendored: c.vendored, binary: c.binary });
    });
  }

  it("lints the files under such a folder, as GitHub shows them", () => {
    const { result } = lint([addedFile("gen/client.ts", ["x = 1   "])], {
      head: { ".gitattributes": "gen/ linguist-generated=true\n" },
    });
    expect(where(result)).toEqual(["gen/client.ts:1:warning"]);
    expect(result.summary).not.toMatch(/generated or vendored file/);
  });
});

describe("monobot/lint on a truncated listing", () => {
  it("says that files beyond GitHub's 3,000 were not checked", () => {
    const policy = policyFrom();
    const components = { components: [], affected: [], outside: [], errors: [] };
    const result = lintCheck.run({
      snapshot: {
        repo: { owner: "acme", name: "mono", defaultBranch: "main" },
        base: { ref: "main", sha: "b".repeat(40) },
        head: { ref: "topic", sha: "h".repeat(40) },
        files: [addedFile("a.txt", ["a"])],
        truncated: true,
        commits: [],
        headPaths: ["a.txt"],
        contents: new Map(),
      },
      policy,
      components,
    });
    expect(result.summary).toMatch(/at most 3,000 files of a pull request/);
  });
});
