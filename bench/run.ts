// `npm run bench`: every benchmark of monobot, printed as tables (figures, never pass/fail).
import { benchComponents } from "./components.js";
import { benchStaticChecks } from "./static-checks.js";

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
  ];
  for (const section of sections) {
    process.stdout.write(`\n## ${section.title}\n`);
    const { rows } = await section.run();
    console.table(rows);
  }
}

void main();
