// `npm run build`, second step: bundles the CLI and the GitHub Action into single CommonJS files
// (esbuild) with the policy validator and the shipped defaults generated now instead of at each
// start-up, then trains V8's code cache for the CLI on a small repository (see bin/run-bundle.js).
import { build, type Plugin } from "esbuild";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  defaultPolicyModule,
  lazyModule,
  policyValidatorModule,
  policyValidatorStandalone,
} from "./generated-modules.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CORE = fileURLToPath(new URL("../src/core", import.meta.url));
export const BUNDLE_DIR = join(ROOT, "dist", "bundle");
const NAMESPACE = "monobot-generated";
const STANDALONE = "monobot-generated:policy-validator-standalone";

/** The bundles bin/ and action.yml run, by output name (dist/bundle/NAME.cjs). */
export const BUNDLES = {
  monobot: "src/cli-main.ts",
  action: "src/action-main.ts",
} as const;

/** Swaps the two run-time modules of src/core for their build-time versions. */
function generatedModules(): Plugin {
  const swapped: Record<string, () => string> = {
    "./policy-validator.js": () => policyValidatorModule(STANDALONE),
    "./policy-defaults.js": defaultPolicyModule,
    [STANDALONE]: policyValidatorStandalone,
  };
  return {
    name: "monobot-generated-modules",
    setup(b) {
      b.onResolve({ filter: /^\.\/policy-(validator|defaults)\.js$/ }, (args) =>
        args.resolveDir === CORE ? { path: args.path, namespace: NAMESPACE } : undefined,
      );
      b.onResolve({ filter: /^monobot-generated:/ }, (args) => ({
        path: args.path,
        namespace: NAMESPACE,
      }));
      b.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => {
        const generate = swapped[args.path];
        if (!generate) throw new Error(`no generated module ${args.path}`);
        // Resolve the generated code's imports (Ajv's runtime helpers) as if it sat in src/core.
        return { contents: generate(), loader: "js", resolveDir: CORE };
      });
    },
  };
}

/**
 * Modules that load on first use rather than at every start-up: a check needs them only for some
 * policies (cron schedules, H-spread times) or some commands (sealing secrets).
 */
export const LAZY_MODULES = ["cron-parser", "node:crypto", "crypto", "libsodium-wrappers"];
const LAZY_NAMESPACE = "monobot-lazy";

function lazyModules(): Plugin {
  const filter = new RegExp(
    `^(${LAZY_MODULES.map((m) => m.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|")})$`,
  );
  return {
    name: "monobot-lazy-modules",
    setup(b) {
      // The stand-in's own require() of the module resolves as usual (bundled, or a built-in).
      b.onResolve({ filter }, (args) =>
        args.namespace === LAZY_NAMESPACE
          ? undefined
          : { path: args.path, namespace: LAZY_NAMESPACE },
      );
      b.onLoad({ filter: /.*/, namespace: LAZY_NAMESPACE }, (args) => ({
        contents: lazyModule(args.path),
        loader: "js",
        resolveDir: ROOT,
      }));
    },
  };
}

export async function buildBundles(outdir = BUNDLE_DIR): Promise<void> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: BUNDLES,
    outdir,
    outExtension: { ".js": ".cjs" },
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    // Identifiers keep their names, for readable stack traces without the source map.
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: true,
    metafile: true,
    logLevel: "silent",
    plugins: [generatedModules(), lazyModules()],
    // jsonc-parser's `main` is a UMD wrapper whose requires esbuild cannot follow; its ES module
    // build bundles cleanly.
    alias: { "jsonc-parser": "jsonc-parser/lib/esm/main.js" },
  });
  // A CommonJS bundle has no import.meta: code that needs one would break only when bundled.
  const problems = result.warnings.map((w) => `${w.location?.file ?? ""}: ${w.text}`);
  if (problems.length > 0) throw new Error(`the bundle has problems:\n${problems.join("\n")}`);
  // The point of the bundle is what it leaves out: fail the build if a run-time path crept back.
  for (const input of Object.keys(result.metafile.inputs)) {
    if (/src\/core\/policy-(validator|defaults)\.ts$/.test(input)) {
      throw new Error(`the bundle includes ${input}, which the build should have generated`);
    }
  }
}

/** A change like a pull request's: two components, a chart with its appVersion, one bumped. */
const TRAINING_REPO: { main: Record<string, string>; change: Record<string, string> } = {
  main: {
    LICENSE: "SPDX-License-Identifier: Apache-2.0\n",
    ".github/monobot.yml": "charts:\n  app_version:\n    charts/api: api\n",
    "services/api/VERSION": "1.0.0\n",
    "services/api/main.go": "// SPDX-License-Identifier: Apache-2.0\npackage main\n",
    "services/web/VERSION": "0.1.0\n",
    "services/web/index.ts": "// SPDX-License-Identifier: Apache-2.0\nexport {};\n",
    "charts/api/Chart.yaml": 'apiVersion: v2\nname: api\nversion: 0.1.0\nappVersion: "1.0.0"\n',
    "charts/api/values.yaml": 'image:\n  tag: "1.0.0"\n',
  },
  change: {
    "services/api/VERSION": "1.1.0\n",
    "services/api/main.go":
      "// SPDX-License-Identifier: Apache-2.0\npackage main\n\nfunc main() {}\n",
    "charts/api/Chart.yaml": 'apiVersion: v2\nname: api\nversion: 0.2.0\nappVersion: "1.1.0"\n',
    "charts/api/values.yaml": 'image:\n  tag: "1.1.0"\n',
  },
};

/**
 * Runs the CLI once on a generated repository with the cache writer on. Without git (a slim build
 * image) there is nothing to train on: the CLI then works as well, it only starts slower.
 */
export function trainCodeCache(): boolean {
  const root = mkdtempSync(join(tmpdir(), "monobot-train-"));
  const dir = join(root, "repo");
  const env = {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "Build",
    GIT_AUTHOR_EMAIL: "build@example.com",
    GIT_COMMITTER_NAME: "Build",
    GIT_COMMITTER_EMAIL: "build@example.com",
  };
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "commit.gpgsign=false", ...args], { cwd: dir, env, stdio: "pipe" });
  const write = (files: Record<string, string>) => {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
  };
  try {
    mkdirSync(dir);
    try {
      git("init", "-q", "-b", "main");
    } catch (e) {
      process.stderr.write(`build: no code cache for the CLI (git: ${(e as Error).message})\n`);
      return false;
    }
    write(TRAINING_REPO.main);
    git("add", "-A");
    git("commit", "-q", "-m", "import");
    git("checkout", "-q", "-b", "change");
    write(TRAINING_REPO.change);
    git("commit", "-q", "-a", "-m", "api: bump\n\nSigned-off-by: Build <build@example.com>");
    const bin = join(ROOT, "bin", "monobot.js");
    const args = [bin, "check", "--repo", dir, "--base", "main", "--head", "change"];
    execFileSync(process.execPath, args, {
      env: { ...env, MONOBOT_WRITE_CODE_CACHE: "1" },
      stdio: "pipe",
    });
    return true;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  rmSync(BUNDLE_DIR, { recursive: true, force: true });
  await buildBundles();
  trainCodeCache();
}
