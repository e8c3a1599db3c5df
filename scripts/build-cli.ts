// `npm run build`, second step: bundles the CLI and the GitHub Action into single files (esbuild),
// with the policy validator and the shipped defaults generated now rather than at each start-up.
import { build, type Plugin } from "esbuild";
import { fileURLToPath } from "node:url";
import {
  defaultPolicyModule,
  policyValidatorModule,
  policyValidatorStandalone,
} from "./generated-modules.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CORE = fileURLToPath(new URL("../src/core/", import.meta.url));
const NAMESPACE = "monobot-generated";
const STANDALONE = "monobot-generated:policy-validator-standalone";

/** The bundles `bin/` and `action.yml` run, by output name. */
export const BUNDLES = {
  monobot: "src/cli-main.ts",
  action: "src/action.ts",
} as const;

/** Swaps the two run-time modules of src/core for their build-time versions. */
function generatedModules(): Plugin {
  const swapped: Record<string, () => string> = {
    "./policy-validator.js": () => policyValidatorModule(STANDALONE),
    "./policy-defaults.js": defaultPolicyModule,
  };
  return {
    name: "monobot-generated-modules",
    setup(b) {
      b.onResolve({ filter: /^\.\/policy-(validator|defaults)\.js$/ }, (args) =>
        args.resolveDir === CORE.replace(/\/$/, "")
          ? { path: args.path, namespace: NAMESPACE }
          : undefined,
      );
      b.onResolve({ filter: /^monobot-generated:/ }, (args) => ({
        path: args.path,
        namespace: NAMESPACE,
      }));
      b.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => {
        const contents = args.path === STANDALONE ? policyValidatorStandalone() : swapped[args.path]?.();
        if (contents === undefined) throw new Error(`no generated module ${args.path}`);
        // Resolve the generated code's imports (Ajv's runtime helpers) as if it sat in src/core.
        return { contents, loader: "js", resolveDir: CORE };
      });
    },
  };
}

export async function buildBundles(outdir = `${ROOT}dist/bundle`): Promise<void> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: BUNDLES,
    outdir,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: true,
    metafile: true,
    logLevel: "warning",
    // Bundled CommonJS dependencies call require() for Node built-ins.
    banner: {
      js: 'import { createRequire as __monobotCreateRequire } from "node:module"; const require = __monobotCreateRequire(import.meta.url);',
    },
    plugins: [generatedModules()],
  });
  // The point of the bundle is what it leaves out: fail the build if a run-time path crept back.
  for (const input of Object.keys(result.metafile.inputs)) {
    if (/src\/core\/policy-(validator|defaults)\.ts$/.test(input)) {
      throw new Error(`the bundle includes ${input}, which the build should have generated`);
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildBundles();
}
