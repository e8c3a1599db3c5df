// Tests for monobot/license: comment syntax per file type, header rules, LICENSE presence.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { commentSyntaxFor, headerFor } from "../../../src/core/checks/comment-syntax.js";
import { licenseCheck } from "../../../src/core/checks/license.js";
import { type ChangedFile } from "../../../src/core/types.js";
import { addedFile, runCheckOn, type CheckRunOptions } from "../../helpers/check-harness.js";
import { tempRepo } from "../../helpers/git-repo.js";

const LICENSED_ROOT = ["LICENSE"];

/** The license check on a change; the repository has a LICENSE unless `headPaths` says otherwise. */
function license(files: ChangedFile[], opts: CheckRunOptions = {}) {
  return runCheckOn(licenseCheck, files, {
    ...opts,
    headPaths: opts.headPaths ?? [...LICENSED_ROOT, ...files.map((f) => f.path)],
  });
}

describe("comment syntax by file type", () => {
  const cases: [string, string | undefined][] = [
    ["src/index.ts", "// SPDX-License-Identifier: MIT"],
    ["web/App.jsx", "// SPDX-License-Identifier: MIT"],
    ["cmd/main.go", "// SPDX-License-Identifier: MIT"],
    ["crates/x/src/lib.rs", "// SPDX-License-Identifier: MIT"],
    ["svc/Main.java", "// SPDX-License-Identifier: MIT"],
    ["lib/util.c", "// SPDX-License-Identifier: MIT"],
    ["tools/build.py", "# SPDX-License-Identifier: MIT"],
    ["scripts/run.sh", "# SPDX-License-Identifier: MIT"],
    ["Gemfile", "# SPDX-License-Identifier: MIT"],
    ["services/api/Dockerfile", "# SPDX-License-Identifier: MIT"],
    ["Dockerfile.dev", "# SPDX-License-Identifier: MIT"],
    ["Makefile", "# SPDX-License-Identifier: MIT"],
    ["infra/main.tf", "# SPDX-License-Identifier: MIT"],
    ["web/style.css", "/* SPDX-License-Identifier: MIT */"],
    ["web/index.html", "<!-- SPDX-License-Identifier: MIT -->"],
    ["db/schema.sql", "-- SPDX-License-Identifier: MIT"],
    ["game/init.lua", "-- SPDX-License-Identifier: MIT"],
    ["src/Main.hs", "-- SPDX-License-Identifier: MIT"],
    ["src/core.clj", "; SPDX-License-Identifier: MIT"],
    ["src/app.erl", "% SPDX-License-Identifier: MIT"],
    ["src/main.ml", "(* SPDX-License-Identifier: MIT *)"],
    ["charts/app/templates/_helpers.tpl", "{{/* SPDX-License-Identifier: MIT */}}"],
    ["win/build.bat", "REM SPDX-License-Identifier: MIT"],
    ["vim/plugin.vim", '" SPDX-License-Identifier: MIT'],
    ["data/blob.unknown", undefined],
    ["VERSION", undefined],
  ];
  for (const [path, header] of cases) {
    it(`${path} -> ${header ?? "no known syntax"}`, () => {
      const syntax = commentSyntaxFor(path);
      expect(syntax && headerFor(syntax, "MIT")).toBe(header);
    });
  }
});

describe("monobot/license rules", () => {
  const cases: {
    name: string;
    file: ChangedFile;
    policy?: string;
    annotations: string[];
    conclusion: "success" | "failure";
    message?: RegExp;
  }[] = [
    {
      name: "a TypeScript file without header fails and shows the header to add",
      file: addedFile("src/a.ts", ["export const a = 1;"]),
      annotations: ["1:failure:Missing SPDX license header"],
      conclusion: "failure",
      message: /Add this header as line 1:\n\n\/\/ SPDX-License-Identifier: Apache-2\.0/,
    },
    {
      name: "a TypeScript file with an allowed header passes",
      file: addedFile("src/a.ts", ["// SPDX-License-Identifier: Apache-2.0", "export {};"]),
      annotations: [],
      conclusion: "success",
    },
    {
      name: "a script's header goes after the shebang",
      file: addedFile("bin/run.sh", ["#!/bin/sh", "echo hi"]),
      annotations: ["1:failure:Missing SPDX license header"],
      conclusion: "failure",
      message: /as line 2, after the first line:\n\n# SPDX-License-Identifier: Apache-2\.0/,
    },
    {
      name: "a header after the shebang passes",
      file: addedFile("bin/run.sh", ["#!/bin/sh", "# SPDX-License-Identifier: MIT", "echo hi"]),
      annotations: [],
      conclusion: "success",
    },
    {
      name: "a header below the first lines fails",
      file: addedFile("src/late.py", [
        ...Array.from({ length: 10 }, (_, i) => `x${i} = ${i}`),
        "# SPDX-License-Identifier: MIT",
      ]),
      annotations: ["1:failure:Missing SPDX license header"],
      conclusion: "failure",
      message: /first 10 lines/,
    },
    {
      name: "a header in another language's comment syntax fails",
      file: addedFile("tools/x.py", ["// SPDX-License-Identifier: MIT"]),
      annotations: ["1:failure:SPDX header in the wrong comment syntax"],
      conclusion: "failure",
      message: /uses `#`. Write it as:\n\n# SPDX-License-Identifier: MIT/,
    },
    {
      name: "a CSS block comment header passes",
      file: addedFile("web/a.css", ["/* SPDX-License-Identifier: MIT */", "a {}"]),
      annotations: [],
      conclusion: "success",
    },
    {
      name: "a header inside a C block comment passes",
      file: addedFile("lib/a.c", [
        "/*",
        " * Copyright 2026 Acme",
        " * SPDX-License-Identifier: BSD-3-Clause",
        " */",
      ]),
      annotations: [],
      conclusion: "success",
    },
    {
      name: "an expression that is not SPDX fails",
      file: addedFile("src/a.go", ["// SPDX-License-Identifier: Apache 2"]),
      annotations: ["1:failure:Invalid SPDX license expression"],
      conclusion: "failure",
      message: /`Apache 2` on line 1 is not a valid SPDX license expression/,
    },
    {
      name: "a wrongly cased identifier fails with the right spelling",
      file: addedFile("src/a.go", ["// SPDX-License-Identifier: apache-2.0 OR mit"]),
      annotations: ["1:failure:Invalid SPDX license expression"],
      conclusion: "failure",
      message: /write `Apache-2\.0 OR MIT`/,
    },
    {
      name: "a license outside the allow list fails",
      file: addedFile("src/a.rs", ["// SPDX-License-Identifier: MIT AND GPL-3.0-only"]),
      annotations: ["1:failure:License not allowed"],
      conclusion: "failure",
      message: /uses `GPL-3\.0-only`, which checks\.license\.allowed does not allow/,
    },
    {
      name: "compound expressions of allowed licenses pass, exceptions included",
      file: addedFile("src/a.rs", [
        "// SPDX-License-Identifier: (MIT OR Apache-2.0) AND Apache-2.0 WITH LLVM-exception",
      ]),
      annotations: [],
      conclusion: "success",
    },
    {
      name: "a deprecated identifier is a notice with its replacement",
      file: addedFile("src/a.c", ["// SPDX-License-Identifier: GPL-2.0+"]),
      policy: "checks:\n  license:\n    allowed: [GPL-2.0]\n",
      annotations: ["1:notice:Deprecated SPDX identifier"],
      conclusion: "success",
      message: /use GPL-2\.0-or-later/,
    },
    {
      name: "the copyright line is required when the policy sets a pattern",
      file: addedFile("src/a.ts", ["// SPDX-License-Identifier: MIT"]),
      policy: 'checks:\n  license:\n    copyright: "(?i)^copyright \\\\d{4} acme"\n',
      annotations: ["1:failure:Missing copyright line"],
      conclusion: "failure",
    },
    {
      name: "a matching copyright line passes",
      file: addedFile("src/a.ts", [
        "// Copyright 2026 Acme Inc.",
        "// SPDX-License-Identifier: MIT",
      ]),
      policy: 'checks:\n  license:\n    copyright: "(?i)^copyright \\\\d{4} acme"\n',
      annotations: [],
      conclusion: "success",
    },
    {
      name: "the level can be a warning",
      file: addedFile("src/a.ts", ["export {};"]),
      policy: "checks:\n  license:\n    level: warning\n",
      annotations: ["1:warning:Missing SPDX license header"],
      conclusion: "success",
    },
    {
      name: "excluded paths need no header",
      file: addedFile("vendor/lib/x.go", ["package x"]),
      annotations: [],
      conclusion: "success",
    },
    {
      name: "Markdown and YAML are excluded by default",
      file: addedFile("docs/guide.md", ["# Guide"]),
      annotations: [],
      conclusion: "success",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { result } = license([c.file], { policy: c.policy });
      expect(result.annotations.map((a) => `${a.start_line}:${a.level}:${a.title}`)).toEqual(
        c.annotations,
      );
      expect(result.conclusion).toBe(c.conclusion);
      expect(result.name).toBe("monobot/license");
      if (c.message) expect(result.annotations.map((a) => a.message).join("\n")).toMatch(c.message);
    });
  }
});

describe("monobot/license reads", () => {
  it("reads a modified file whose first lines are not in the patch, and says so", () => {
    const file: ChangedFile = {
      path: "src/server.ts",
      status: "modified",
      additions: 1,
      deletions: 1,
      patch: "@@ -40,3 +40,3 @@\n a\n-b\n+c\n d",
    };
    const { result, requested } = license([file], {
      head: { "src/server.ts": "// SPDX-License-Identifier: MIT\nexport {};\n" },
    });
    expect(requested).toEqual(["src/server.ts"]);
    expect(result.conclusion).toBe("success");
    expect(result.summary).toMatch(
      /Read whole \(their first lines are not in the patch\): 1 file: `src\/server\.ts`/,
    );
  });

  it("reads nothing when the patch shows the first lines", () => {
    const file: ChangedFile = {
      path: "src/server.ts",
      status: "modified",
      additions: 1,
      deletions: 1,
      patch:
        "@@ -1,11 +1,11 @@\n-// SPDX-License-Identifier: MIT\n+// SPDX-License-Identifier: ISC\n" +
        Array.from({ length: 10 }, (_, i) => ` line ${i}`).join("\n"),
    };
    const { result, requested } = license([file]);
    expect(requested).toEqual([]);
    expect(result.conclusion).toBe("success");
  });

  it("checks only new files with scope: added", () => {
    const modified: ChangedFile = { ...addedFile("src/old.ts", ["x"]), status: "modified" };
    const { result, requested } = license([modified, addedFile("src/new.ts", ["y"])], {
      policy: "checks:\n  license:\n    scope: added\n",
    });
    expect(requested).toEqual([]);
    expect(result.annotations.map((a) => a.path)).toEqual(["src/new.ts"]);
  });

  it("skips generated files marked in .gitattributes", () => {
    const { result } = license([addedFile("api/gen/client.ts", ["x"])], {
      head: { ".gitattributes": "api/gen/** linguist-generated\n" },
      headPaths: ["LICENSE", ".gitattributes", "api/gen/client.ts"],
    });
    expect(result.annotations).toEqual([]);
    expect(result.summary).toMatch(/1 generated or vendored/);
  });
});

describe("monobot/license LICENSE file", () => {
  const code = addedFile("src/a.ts", ["// SPDX-License-Identifier: MIT"]);
  const cases: { name: string; headPaths: string[]; conclusion: "success" | "failure" }[] = [
    {
      name: "no LICENSE: the first code fails",
      headPaths: ["src/a.ts", "README.md"],
      conclusion: "failure",
    },
    {
      name: "LICENSE at the root passes",
      headPaths: ["LICENSE", "src/a.ts"],
      conclusion: "success",
    },
    { name: "COPYING passes", headPaths: ["COPYING", "src/a.ts"], conclusion: "success" },
    { name: "LICENSE.md passes", headPaths: ["LICENSE.md", "src/a.ts"], conclusion: "success" },
    {
      name: "a REUSE LICENSES/ folder passes",
      headPaths: ["LICENSES/MIT.txt", "src/a.ts"],
      conclusion: "success",
    },
    {
      name: "a LICENSE in a subfolder does not count",
      headPaths: ["sub/LICENSE", "src/a.ts"],
      conclusion: "failure",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { result } = license([code], { headPaths: c.headPaths });
      expect(result.conclusion).toBe(c.conclusion);
      if (c.conclusion === "failure") {
        expect(result.annotations[0]?.title).toBe("Repository has no LICENSE");
        expect(result.summary).toMatch(/has no `LICENSE`/);
      }
    });
  }

  it("names the license texts a REUSE folder lacks", () => {
    const { result } = license(
      [addedFile("src/a.ts", ["// SPDX-License-Identifier: MIT OR ISC"])],
      {
        headPaths: ["LICENSES/MIT.txt", "src/a.ts"],
      },
    );
    expect(result.summary).toMatch(/REUSE: `LICENSES\/` lacks the text of `ISC`/);
  });

  it("does not require a LICENSE for a PR without code", () => {
    const { result } = license([addedFile("docs/a.md", ["# a"])], { headPaths: ["docs/a.md"] });
    expect(result.conclusion).toBe("success");
  });
});

describe("monobot/license on a real git diff", () => {
  const repo = tempRepo("license-repo");
  afterAll(() => repo.remove());

  it("annotates the header line the head file has", () => {
    const body = Array.from({ length: 20 }, (_, i) => `echo ${i}`);
    const base = repo.commit({
      "tools/run.sh":
        ["#!/bin/sh", "", "# SPDX-License-Identifier: MIT", ...body].join("\n") + "\n",
    });
    const head = repo.commit({
      "tools/run.sh":
        ["#!/bin/sh", "", "# SPDX-License-Identifier: GPL-3.0-only", ...body].join("\n") + "\n",
    });
    const patch = repo.git("diff", "--no-color", base, head, "--", "tools/run.sh");
    const file: ChangedFile = {
      path: "tools/run.sh",
      status: "modified",
      additions: 1,
      deletions: 1,
      patch,
    };
    // git's three lines of context show lines 1-6, fewer than the 10 the rule reads: the check
    // asks for the file, and the pipeline reads it at the head.
    const headText = readFileSync(join(repo.dir, "tools/run.sh"), "utf8");
    const { result, requested } = license([file], { head: { "tools/run.sh": headText } });
    expect(requested).toEqual(["tools/run.sh"]);
    expect(headText.split("\n")[2]).toBe("# SPDX-License-Identifier: GPL-3.0-only");
    expect(result.annotations.map((a) => [a.start_line, a.title])).toEqual([
      [3, "License not allowed"],
    ]);

    // Within 5 lines the patch alone shows the header: nothing is read, same line.
    const fromPatch = license([file], { policy: "checks:\n  license:\n    within_lines: 5\n" });
    expect(fromPatch.requested).toEqual([]);
    expect(fromPatch.result.annotations.map((a) => [a.start_line, a.title])).toEqual([
      [3, "License not allowed"],
    ]);
  });
});

describe("allowed licenses follow SPDX semantics", () => {
  // Each row: the header's expression, the allow list, and whether the header may stay.
  const cases: { expression: string; allowed: string[]; ok: boolean; names?: RegExp }[] = [
    { expression: "MIT OR GPL-3.0-only", allowed: ["MIT"], ok: true },
    { expression: "GPL-3.0-only OR MIT", allowed: ["MIT"], ok: true },
    {
      expression: "MIT AND GPL-3.0-only",
      allowed: ["MIT"],
      ok: false,
      names: /uses `GPL-3\.0-only`, which/,
    },
    {
      expression: "GPL-3.0-only OR AGPL-3.0-only",
      allowed: ["MIT"],
      ok: false,
      names: /uses `GPL-3\.0-only`, `AGPL-3\.0-only`, .*one allowed choice is enough/,
    },
    { expression: "(MIT AND GPL-3.0-only) OR ISC", allowed: ["MIT", "ISC"], ok: true },
    { expression: "(MIT OR GPL-3.0-only) AND ISC", allowed: ["MIT", "ISC"], ok: true },
    {
      expression: "(MIT OR GPL-3.0-only) AND (GPL-2.0-only OR AGPL-3.0-only)",
      allowed: ["MIT", "ISC"],
      ok: false,
      names: /uses `GPL-3\.0-only`, `GPL-2\.0-only`, `AGPL-3\.0-only`/,
    },
    { expression: "mit or Apache-2.0", allowed: ["MIT"], ok: false, names: /not a valid SPDX/ },
    { expression: "Apache-2.0 WITH LLVM-exception", allowed: ["Apache-2.0"], ok: true },
    {
      expression: "GPL-2.0-only WITH Classpath-exception-2.0",
      allowed: ["MIT"],
      ok: false,
      names: /uses `GPL-2\.0-only WITH Classpath-exception-2\.0`/,
    },
    { expression: "GPL-2.0-or-later", allowed: ["GPL-3.0-only"], ok: true },
    { expression: "LGPL-2.1+", allowed: ["LGPL-3.0-only"], ok: true },
    {
      expression: "GPL-3.0-or-later",
      allowed: ["GPL-2.0-only"],
      ok: false,
      names: /uses `GPL-3\.0-or-later`/,
    },
    {
      expression: "Acme-Proprietary OR MIT",
      allowed: ["MIT"],
      ok: false,
      names: /not a valid SPDX license expression/,
    },
    { expression: "LicenseRef-Acme OR GPL-3.0-only", allowed: ["LicenseRef-Acme"], ok: true },
    {
      expression: "LicenseRef-Other",
      allowed: ["LicenseRef-Acme", "MIT"],
      ok: false,
      names: /uses `LicenseRef-Other`/,
    },
  ];
  for (const c of cases) {
    it(`${c.expression} with [${c.allowed.join(", ")}] -> ${c.ok ? "allowed" : "refused"}`, () => {
      const { result } = license(
        [addedFile("src/a.ts", [`// SPDX-License-Identifier: ${c.expression}`])],
        { policy: `checks:\n  license:\n    allowed: [${c.allowed.join(", ")}]\n` },
      );
      expect(result.conclusion).toBe(c.ok ? "success" : "failure");
      // A deprecated spelling such as `LGPL-2.1+` still gets its notice; nothing more.
      if (c.ok) {
        expect(result.annotations.filter((a) => a.title !== "Deprecated SPDX identifier")).toEqual(
          [],
        );
      }
      if (c.names) expect(result.annotations.map((a) => a.message).join("\n")).toMatch(c.names);
    });
  }
});
