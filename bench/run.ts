// `npm run bench`: every benchmark of monobot, printed as tables (figures, never pass/fail).
import { benchComponents } from "./components.js";
import { benchStaticChecks } from "./static-checks.js";
import { benchIntake } from "./intake.js";
import { benchApiCalls } from "./api-calls.js";
import { benchCli } from "./cli.js";
import { benchEnvs } from "./envs.js";
import { benchBurst } from "./burst.js";
import { benchJournal, benchLock } from "./journal.js";
import { benchRedis } from "./redis.js";
import { benchCliStartup } from "./cli-startup.js";
import { benchRecovery } from "./recovery.js";
import { benchPatterns } from "./patterns.js";
import { benchAccess } from "./access.js";
import { benchPromotion } from "./promotion.js";
import { benchStatusPage } from "./status-page.js";
import { benchDashboard } from "./dashboard.js";

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
        "Webhook intake: monobot with its journal, in memory, and a bare Probot app (2,000 signed deliveries, concurrency 20)",
      run: benchIntake,
    },
    {
      title: "GitHub API requests per pull_request event (sandbox log)",
      run: benchApiCalls,
    },
    {
      title:
        "Burst: pull requests in separate installations at once, journal vs two Redis replicas (real servers, sandbox)",
      run: benchBurst,
    },
    {
      title: "CLI: monobot check on a generated 20,000-file, 1,000-component repository",
      run: benchCli,
    },
    {
      title:
        "CLI: monobot envs on generated config repos of 1,000 components x 5 environments, per pin layout",
      run: benchEnvs,
    },
    { title: "Job intake: in-process vs durable queue (journal fsync'd)", run: benchJournal },
    { title: "State directory lock: what it adds to a start-up", run: benchLock },
    { title: "Redis queue: a burst over keys, one replica vs two", run: benchRedis },
    {
      title:
        "CLI start-up: monobot check on a small change of a 10-chart, 10-component repository vs a bare node start",
      run: benchCliStartup,
    },
    {
      title: "Recovery: deliveries accepted, kill -9, restart on the same MONOBOT_STATE_DIR",
      run: benchRecovery,
    },
    {
      title:
        "Policy patterns and globs: re2js vs JavaScript's backtracking RegExp; secret redaction of a log",
      run: benchPatterns,
    },
    {
      title:
        "Access: API requests of one monobot/access evaluation as rules, teams and changed files grow (counted by the port)",
      run: benchAccess,
    },
    {
      title:
        "Promotion: API requests and time from a verification result to the promotion PR, as components and environments grow (sandbox log)",
      run: benchPromotion,
    },
    {
      title:
        "Status page: HTML and JSON for an operator with 10,000 jobs recorded (in-process routes)",
      run: benchStatusPage,
    },
    {
      title:
        "Dashboard issue: GitHub writes for 100 relevant events on one config repo (sandbox log), render time of a large board",
      run: benchDashboard,
    },
  ];
  for (const section of sections) {
    process.stdout.write(`\n## ${section.title}\n`);
    const { rows } = await section.run();
    console.table(rows);
  }
}

void main();
