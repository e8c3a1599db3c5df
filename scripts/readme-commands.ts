// Writes the README's command list from the command table (`npm run docs`); the tests check it.
import { readFileSync, writeFileSync } from "node:fs";
import { renderCommandsMarkdown } from "../src/core/commands.js";

export const START = "<!-- commands:start -->";
export const END = "<!-- commands:end -->";

export function withCommands(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the ${START} ... ${END} block`);
  // Blank lines around the list, as Prettier formats Markdown.
  return `${readme.slice(0, start + START.length)}\n\n${renderCommandsMarkdown()}\n\n${readme.slice(end)}`;
}

if (process.argv.includes("--write")) {
  const text = readFileSync("README.md", "utf8");
  writeFileSync("README.md", withCommands(text));
}
