import { describe, expect, it } from "vitest";
import {
  DEFAULT_RECHECK_PATTERN,
  bumpLevels,
  commandRegExp,
  commandTable,
  parseCommands,
  renderCommandsMarkdown,
  renderHelp,
  type ParsedCommand,
} from "../../src/core/commands.js";
import { defaultPolicyObject, type Policy } from "../../src/core/policy.js";

const triggers: Policy["triggers"] = {
  recheck: DEFAULT_RECHECK_PATTERN,
  trusted_associations: ["OWNER", "MEMBER", "COLLABORATOR"],
  trusted_permission: "write",
  skip_drafts: true,
};
const policy = { triggers };
const withRecheck = (recheck: string) => ({ triggers: { ...triggers, recheck } });

/** name + args per command, for compact expectations. */
function names(body: string, p: Pick<Policy, "triggers"> = policy): string[] {
  return parseCommands(body, p).commands.map((c) => [c.name, ...c.args].join(" "));
}

describe("commandTable", () => {
  it("holds each command once, with usage, description and examples", () => {
    const ids = commandTable.map((c) => c.name);
    expect(ids).toEqual([
      "recheck",
      "retest",
      "test",
      "ok-to-test",
      "bump",
      "sync-secrets",
      "deploy-anyway",
      "promote",
      "rollback",
      "hold",
      "unhold",
      "help",
    ]);
    for (const spec of commandTable) {
      expect(spec.usage.length).toBeGreaterThan(0);
      expect(spec.description).toMatch(/\.$/);
      expect(spec.examples.length).toBeGreaterThan(0);
    }
  });

  it("parses every example of every command as that command", () => {
    for (const spec of commandTable) {
      for (const example of spec.examples) {
        const { commands, errors } = parseCommands(example, policy);
        expect(errors, example).toEqual([]);
        expect(
          commands.map((c) => c.name),
          example,
        ).toEqual([spec.name]);
      }
    }
  });

  it("ships the same recheck default as policies/default.yml", () => {
    const defaults = defaultPolicyObject() as { triggers: { recheck: string } };
    expect(defaults.triggers.recheck).toBe(DEFAULT_RECHECK_PATTERN);
  });

  it("matches slash commands at a line start only, case-insensitively", () => {
    const retest = commandTable.find((c) => c.name === "retest");
    if (!retest) throw new Error("no retest entry");
    const re = commandRegExp(retest, policy);
    expect(re.test("/ReTest")).toBe(true);
    expect(re.test("   /retest api")).toBe(true);
    expect(re.test("/retesting")).toBe(false);
    expect(re.test("please /retest")).toBe(false);
  });
});

describe("parseCommands: what counts as a command", () => {
  const cases: { name: string; body: string; want: string[] }[] = [
    { name: "plain /retest", body: "/retest", want: ["retest"] },
    { name: "upper case", body: "/RETEST", want: ["retest"] },
    { name: "mixed case ok-to-test", body: "/Ok-To-Test", want: ["ok-to-test"] },
    { name: "up to three leading spaces", body: "   /retest", want: ["retest"] },
    { name: "trailing spaces", body: "/retest   ", want: ["retest"] },
    { name: "components", body: "/retest api web", want: ["retest api web"] },
    { name: "components deduplicated", body: "/retest api api", want: ["retest api"] },
    { name: "component in a code span", body: "/retest `api`", want: ["retest api"] },
    { name: "test with job", body: "/test integration", want: ["test integration"] },
    { name: "test job and component", body: "/test verify api", want: ["test verify api"] },
    { name: "bump level lower-cased", body: "/bump MINOR api", want: ["bump minor api"] },
    { name: "bump prerelease", body: "/bump prerelease", want: ["bump prerelease"] },
    { name: "help", body: "/help", want: ["help"] },
    { name: "sync-secrets", body: "Please.\n/Sync-Secrets", want: ["sync-secrets"] },
    { name: "sync-secrets is not a prefix", body: "/sync-secretsnow", want: [] },
    {
      name: "several commands in order",
      body: "Thanks!\n/bump patch\n/retest api\n/help",
      want: ["bump patch", "retest api", "help"],
    },
    { name: "duplicates collapse", body: "/retest\n/retest\n/RETEST", want: ["retest"] },
    {
      name: "different args are kept",
      body: "/retest\n/retest api",
      want: ["retest", "retest api"],
    },
    {
      name: "CRLF line ends",
      body: "hello\r\n/retest api\r\n/help\r\n",
      want: ["retest api", "help"],
    },
    { name: "lone CR line ends", body: "hello\r/help", want: ["help"] },
    { name: "mid-line is not a command", body: "please /retest", want: [] },
    { name: "four spaces in a paragraph", body: "text\n    /retest", want: [] },
    { name: "unknown slash word", body: "/lgtm\n/approve\n/hold", want: [] },
    { name: "prefix of a longer word", body: "/retesting\n/helpful", want: [] },
    { name: "punctuation after the word", body: "/retest,", want: [] },
    { name: "a path", body: "/usr/bin/test", want: [] },
    { name: "empty body", body: "", want: [] },
  ];
  it.each(cases)("$name", ({ body, want }) => {
    expect(names(body)).toEqual(want);
  });

  it("reports the 1-based line and the raw text", () => {
    const { commands } = parseCommands("hi\r\n\r\n  /bump Patch api  \r\n", policy);
    expect(commands).toEqual<ParsedCommand[]>([
      { name: "bump", args: ["patch", "api"], line: 3, raw: "/bump Patch api" },
    ]);
  });
});

describe("parseCommands: quotes and code are ignored", () => {
  const cases: { name: string; body: string; want: string[] }[] = [
    { name: "quoted line", body: "> /ok-to-test", want: [] },
    { name: "quoted with leading spaces", body: "   > /ok-to-test", want: [] },
    { name: "nested quote", body: "> > /ok-to-test", want: [] },
    { name: "nested quote without spaces", body: ">>/ok-to-test", want: [] },
    {
      name: "quote then own command",
      body: "> can someone /ok-to-test?\n> /ok-to-test\n\n/retest",
      want: ["retest"],
    },
    // GitHub renders this line inside the quote (lazy continuation), but the commenter typed it.
    { name: "own line right under a quote", body: "> can you?\n/ok-to-test", want: ["ok-to-test"] },
    { name: "backtick fence", body: "```\n/ok-to-test\n```\n/help", want: ["help"] },
    { name: "tilde fence", body: "~~~\n/ok-to-test\n~~~\n/help", want: ["help"] },
    { name: "fence with info string", body: "```console\n/ok-to-test\n```", want: [] },
    { name: "tilde fence with info string", body: "~~~ sh\n/bump major\n~~~", want: [] },
    {
      name: "longer fence closes only on as long",
      body: "````\n```\n/ok-to-test\n````\n/help",
      want: ["help"],
    },
    { name: "tilde fence not closed by backticks", body: "~~~\n```\n/ok-to-test\n", want: [] },
    {
      name: "unterminated fence runs to the end",
      body: "/help\n```\n/ok-to-test\n/retest",
      want: ["help"],
    },
    {
      name: "indented fence in a list item",
      body: "- step\n  ```\n  /ok-to-test\n  ```",
      want: [],
    },
    { name: "fence with CRLF", body: "```\r\n/ok-to-test\r\n```\r\n/help", want: ["help"] },
    { name: "indented code after a blank line", body: "text\n\n    /ok-to-test", want: [] },
    { name: "tab-indented code", body: "text\n\n\t/ok-to-test", want: [] },
    { name: "indented code at the start", body: "    /ok-to-test\n\n/help", want: ["help"] },
    {
      name: "indented code block with blank lines inside",
      body: "\n    a\n\n    /ok-to-test\nafter\n/help",
      want: ["help"],
    },
    { name: "inline code span", body: "`/ok-to-test`", want: [] },
    { name: "double-backtick code span", body: "`` /ok-to-test ``", want: [] },
    { name: "code span across lines", body: "run `this\n/ok-to-test` later", want: [] },
    {
      name: "code span holding a shorter run",
      body: "``a ` b\n/ok-to-test``\n/help",
      want: ["help"],
    },
    { name: "one-line triple backticks", body: "```/ok-to-test```", want: [] },
    { name: "escaped backtick is not a code span", body: "\\`x\n/help", want: ["help"] },
    { name: "unmatched backtick is literal", body: "a ` b\n/help", want: ["help"] },
    { name: "HTML comment block", body: "<!--\n/ok-to-test\n-->\n/help", want: ["help"] },
    { name: "HTML comment across a blank line", body: "<!--\n\n/ok-to-test\n\n-->", want: [] },
    { name: "inline HTML comment", body: "x <!-- y\n/ok-to-test -->", want: [] },
  ];
  it.each(cases)("$name", ({ body, want }) => {
    expect(names(body)).toEqual(want);
  });
});

describe("parseCommands: recheck matches the whole comment", () => {
  const cases: { name: string; body: string; recheck?: string; want: string[] }[] = [
    { name: "recheck", body: "recheck", want: ["recheck"] },
    { name: "please recheck", body: "please recheck", want: ["recheck"] },
    { name: "upper case with (?i)", body: "RECHECK", want: ["recheck"] },
    { name: "surrounding whitespace", body: "\n  recheck  \n", want: ["recheck"] },
    { name: "CRLF", body: "recheck\r\n", want: ["recheck"] },
    { name: "recheck this", body: "recheck this", want: [] },
    { name: "second line", body: "Thanks!\nrecheck", want: [] },
    { name: "quoted recheck", body: "> recheck", want: [] },
    { name: "recheck in a code span", body: "`recheck`", want: [] },
    { name: "recheck in a fence", body: "```\nrecheck\n```", want: [] },
    { name: "reply under a quote", body: "> why did it fail?\n\nrecheck", want: ["recheck"] },
    {
      name: "case-sensitive pattern, lower",
      body: "recheck",
      recheck: "^recheck$",
      want: ["recheck"],
    },
    { name: "case-sensitive pattern, upper", body: "RECHECK", recheck: "^recheck$", want: [] },
    {
      name: "custom pattern",
      body: "run ci again",
      recheck: "(?i)^run ci( again)?$",
      want: ["recheck"],
    },
    { name: "with a slash command", body: "/retest", want: ["retest"] },
  ];
  it.each(cases)("$name", ({ body, recheck, want }) => {
    expect(names(body, recheck ? withRecheck(recheck) : policy)).toEqual(want);
  });

  it("gives the recheck line and text", () => {
    const { commands } = parseCommands("\n\nplease recheck\n", policy);
    expect(commands).toEqual([{ name: "recheck", args: [], line: 3, raw: "please recheck" }]);
  });

  it("reports an invalid recheck pattern as a configuration error", () => {
    const { commands, errors } = parseCommands("recheck\n/help", withRecheck("(unclosed"));
    expect(commands.map((c) => c.name)).toEqual(["help"]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("triggers.recheck");
    expect(errors[0]).toContain(".github/monobot.yml");
  });
});

describe("parseCommands: bad arguments give usage errors", () => {
  const cases: { name: string; body: string; contains: string[] }[] = [
    {
      name: "unknown bump level",
      body: "/bump huge",
      contains: [
        "`huge` is not a level",
        "major, minor, patch, prerelease",
        "Usage: `/bump major|minor|patch|prerelease [component...]`",
        "line 1",
      ],
    },
    { name: "bump without level", body: "/bump", contains: ["name the level", "Usage: `/bump"] },
    {
      name: "sync-secrets with an argument",
      body: "/sync-secrets all",
      contains: ["it takes no arguments", "Usage: `/sync-secrets`"],
    },
    {
      name: "test without job",
      body: "/test",
      contains: ["name the job", "Usage: `/test job [component...]`"],
    },
    {
      name: "test with a bad job name",
      body: "/test ../etc",
      contains: ["`../etc` is not a job name"],
    },
    {
      name: "retest with a bad component",
      body: "/retest api;rm",
      contains: ["`api;rm` is not a component name", "Usage: `/retest [component...]`"],
    },
    {
      name: "ok-to-test with arguments",
      body: "/ok-to-test please",
      contains: ["takes no arguments", "Usage: `/ok-to-test`"],
    },
    { name: "help with arguments", body: "/help me", contains: ["takes no arguments"] },
    { name: "line number", body: "hi\n\n/bump huge", contains: ["line 3"] },
  ];
  it.each(cases)("$name", ({ body, contains }) => {
    const { commands, errors } = parseCommands(body, policy);
    expect(commands).toEqual([]);
    expect(errors).toHaveLength(1);
    for (const part of contains) expect(errors[0]).toContain(part);
  });

  it("keeps the good commands next to a bad one, and collapses repeated errors", () => {
    const { commands, errors } = parseCommands("/bump huge\n/retest\n/bump huge", policy);
    expect(commands.map((c) => c.name)).toEqual(["retest"]);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain("line 1");
    expect(errors[1]).toContain("line 3");
  });

  it("does not report bad arguments in quotes or code", () => {
    expect(parseCommands("> /bump huge\n```\n/test\n```", policy).errors).toEqual([]);
  });

  it("keeps user text with backticks inside valid Markdown code", () => {
    const { errors } = parseCommands("/bump h`uge", policy);
    expect(errors[0]).toMatch(/^``\/bump h`uge`` on line 1: ``h`uge`` is not a level/);
  });
});

describe("renderHelp", () => {
  it("lists every command of the table with who may use it and an example", () => {
    const help = renderHelp(policy);
    for (const spec of commandTable) {
      expect(help).toContain(spec.description);
      expect(help).toContain(`\`${spec.examples[0]}\``);
    }
    for (const usage of [
      "`/retest [component...]`",
      "`/test job [component...]`",
      "`/ok-to-test`",
      "`/help`",
    ]) {
      expect(help).toContain(usage);
    }
    // Pipes inside table cells are escaped.
    expect(help).toContain("`/bump major\\|minor\\|patch\\|prerelease [component...]`");
    expect(help).toContain("the PR's author (not from a fork) or trusted users");
    expect(help).toContain("| `/sync-secrets` | repository admins |");
    expect(help).toContain("OWNER, MEMBER, COLLABORATOR");
    expect(help).toContain("`write` permission");
  });

  it("shows the repository's own recheck pattern", () => {
    expect(renderHelp(policy)).toContain("`(?i)^.*recheck$`");
    const custom = renderHelp(withRecheck("(?i)^(recheck|retry)$"));
    expect(custom).toContain("`(?i)^(recheck\\|retry)$`");
    expect(custom).not.toContain(DEFAULT_RECHECK_PATTERN);
  });

  it("has one table row per command", () => {
    const rows = renderHelp(policy)
      .split("\n")
      .filter((l) => l.startsWith("| ") && !l.startsWith("| Command") && !l.startsWith("| ---"));
    expect(rows).toHaveLength(commandTable.length);
  });
});

describe("renderCommandsMarkdown", () => {
  it("has one list item per command, in table order", () => {
    const items = renderCommandsMarkdown().split("\n");
    expect(items).toHaveLength(commandTable.length);
    commandTable.forEach((spec, i) => {
      expect(items[i]).toMatch(/^- `/);
      expect(items[i]).toContain(`\`${spec.usage}\``);
      expect(items[i]).toContain(spec.description);
      for (const example of spec.examples) expect(items[i]).toContain(`\`${example}\``);
    });
    expect(items[0]).toContain("`triggers.recheck`");
    expect(items[0]).toContain(`\`${DEFAULT_RECHECK_PATTERN}\``);
    expect(items.join("\n")).toContain(bumpLevels.join("|"));
  });
});
