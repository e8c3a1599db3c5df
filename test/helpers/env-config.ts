// The Fleet example config repo with a runnable api-tests workflow, for the environments flow tests.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const EXAMPLE = "examples/config-repo-fleet";

export function exampleFiles(soak: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(EXAMPLE, path)] = readFileSync(path, "utf8");
    }
  };
  walk(EXAMPLE);
  let policy = out[".github/monobot.yml"] as string;
  policy =
    soak === undefined
      ? policy.replace(/\n\s*soak: 30m/, "")
      : policy.replace("soak: 30m", `soak: ${soak}`);
  out[".github/monobot.yml"] = policy.replace(
    'inputs: { environment: "{environment}", version: "{version}" }',
    'inputs: { environment: "{environment}", component: "{component}", version: "{version}" }',
  );
  out[".github/workflows/api-tests.yml"] = [
    "name: api tests",
    "run-name: ${{ inputs.monobot_run_id }}",
    "on:",
    "  workflow_dispatch:",
    "    inputs:",
    "      environment: { required: true }",
    "      component: { required: true }",
    "      version: { required: true }",
    "      monobot_run_id: { required: true }",
    "jobs: {}",
    "",
  ].join("\n");
  return out;
}
