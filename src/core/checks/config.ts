// monobot/config: the verdict on the policy itself, with an annotation on each offending line.
import type { PolicyError } from "../policy.js";
import type { Annotation, CheckResult } from "../types.js";

export const CONFIG_CHECK = "monobot/config";

export interface ConfigVerdictInput {
  /** Files merged into the policy, lowest precedence first (the defaults included). */
  files: string[];
  errors: PolicyError[];
  /** Problems found while resolving components (cycles, unknown or duplicate names). */
  componentErrors: string[];
  /** The repository's own config file path: only its lines can carry annotations on the PR. */
  repoFile: string;
}

export function configVerdict(input: ConfigVerdictInput): CheckResult {
  const { errors, componentErrors } = input;
  if (errors.length === 0 && componentErrors.length === 0) {
    return {
      name: CONFIG_CHECK,
      conclusion: "success",
      title: "Configuration is valid",
      summary: `Policy merged from ${input.files.map((f) => `\`${f}\``).join(" <- ")}.`,
      annotations: [],
    };
  }
  const annotations: Annotation[] = errors
    .filter((e) => e.file === input.repoFile)
    .map((e) => ({
      path: e.file,
      start_line: e.line,
      end_line: e.line,
      level: "failure" as const,
      title: e.key ? `Invalid \`${e.key}\`` : "Invalid configuration",
      message: e.message,
    }));
  const lines = [
    ...errors.map((e) => `- \`${e.file}\` line ${e.line}: ${e.message}`),
    ...componentErrors.map((m) => `- ${m}`),
  ];
  const count = errors.length + componentErrors.length;
  return {
    name: CONFIG_CHECK,
    conclusion: "failure",
    title: `${count} configuration problem${count === 1 ? "" : "s"}: no other check ran`,
    summary: [
      "monobot did not run any other check or job because its configuration is invalid:",
      "",
      ...lines,
      "",
      `Fix the file and push; \`npx monobot config validate ${input.repoFile}\` checks it locally.`,
    ].join("\n"),
    annotations,
  };
}
