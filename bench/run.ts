// `npm run bench`: every benchmark of monobot, printed as tables (figures, never pass/fail).
import { benchComponents } from "./components.js";
import { benchStaticChecks } from "./static-checks.js";
import { benchIntake } from "./intake.js";
import { benchApiCalls } from "./api-calls.js";
import { benchCli } from "./cli.js";
import { benchCliStartup } from "./cli-startup.js";

async function main(): Promise<void> {
  const sections: {
    title: string;
    run: () => Promise<{ rows: Array<Record<string, string | number>> }>;
  }[] = [
    {
      title: "Components: discovery and affected computation (core, in-process)",
      run: benchComponents,
    },
    {
      title: "Static checks on a 3,000-file PR with 100,000 added lines (core, in-process)",
      run: benchStaticChecks,
    },
    {
      title:
        "Webhook intake: monobot vs a bare Probot app (2,000 signed deliveries, concurrency 20)",
      run: benchIntake,
    },
    {
      title: "GitHub API requests per pull_request event (sandbox log)",
      run: benchApiCalls,
    },
    {
      title: "CLI: monobot check on a generated 20,000-file, 1,000-component repository",
      run: benchCli,
    },
    {
      title:
        "CLI start-up: monobot check on a small change of a 10-chart, 10-component repository vs a bare node start",
      run: benchCliStartup,
    },
  ];
  for (const section of sections) {
    process.stdout.write(`\n## ${section.title}\n`);
    const { rows } = await section.run();
    console.table(rows);
  }
}

void main();
