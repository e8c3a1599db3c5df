import { execFile } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { transformSync } from "esbuild";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  defaultPolicyModule,
  lazyModule,
  policyValidatorStandalone,
} from "../scripts/generated-modules.js";
import { runCli } from "../src/cli.js";
import { defaultPolicyObject, mergePolicy } from "../src/core/policy.js";
import { readDefaultPolicy } from "../src/core/policy-defaults.js";
import { policyValidator, type SchemaValidator } from "../src/core/policy-validator.js";
import { tempRepo, type TempRepo } from "./helpers/git-repo.js";

const exec = promisify(execFile);
const built = existsSync(new URL("../dist/bundle/monobot.cjs", import.meta.url));

/** The build-time validator, evaluated as the bundle gets it (CommonJS, Ajv's runtime helpers). */
function standaloneValidator(): SchemaValidator {
  const module = { exports: {} as { default?: SchemaValidator } };
  const load = new Function("module", "exports", "require", policyValidatorStandalone());
  load(module, module.exports, createRequire(import.meta.url));
  const validate = module.exports.default;
  if (!validate) throw new Error("the standalone code exports no validator");
  return validate;
}

const over = (patch: unknown) => mergePolicy(defaultPolicyObject(), patch);

describe("the policy validator compiled at build time", () => {
  const standalone = standaloneValidator();
  const runtime = policyValidator();

  it.each([
    ["the shipped defaults", defaultPolicyObject()],
    ["an unknown top-level key", over({ component: {} })],
    ["an unknown nested key", over({ versions: { prerelase: "allow" } })],
    ["a value outside an enum", over({ versions: { prerelease: "sometimes" } })],
    ["a wrong type", over({ checks: { max_annotations: "many" } })],
    ["a number out of range", over({ checks: { max_annotations: 0 } })],
    ["a pattern with its description", over({ versions: { tag: "v1" } })],
    ["a bad component name", over({ components: { define: { "-x": {} } } })],
    ["a component with an unknown key", over({ components: { define: { api: { pth: "x" } } } })],
    ["a missing section", { ...defaultPolicyObject(), triggers: undefined }],
    [
      "a job with several problems",
      over({
        jobs: {
          templates: {
            verify: { on: "sometimes", backend: { type: "jenkins", credentials: "lower" } },
          },
        },
      }),
    ],
    ["not a mapping", ["a", "list"]],
  ])("agrees with Ajv at run time on %s", (_case, policy) => {
    const input = JSON.parse(JSON.stringify(policy ?? null)) as unknown;
    const valid = runtime(input);
    expect(standalone(input)).toBe(valid);
    // Same errors, with the schema fragments the messages are built from.
    expect(standalone.errors ?? null).toEqual(runtime.errors ?? null);
  });
});

describe("the shipped defaults embedded at build time", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "monobot-defaults-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("are policies/default.yml as the YAML parser reads it", async () => {
    const file = join(dir, "defaults.mjs");
    writeFileSync(file, defaultPolicyModule());
    const mod = (await import(pathToFileURL(file).href)) as {
      readDefaultPolicy: () => unknown;
    };
    expect(mod.readDefaultPolicy()).toEqual(readDefaultPolicy());
  });
});

describe("a module loaded on first use", () => {
  /** The stand-in as the bundle gets it, with a require() that counts the loads. */
  function standIn(name: string) {
    const { code } = transformSync(lazyModule(name), { format: "cjs" });
    let loads = 0;
    const realRequire = createRequire(import.meta.url);
    const module = { exports: {} as Record<string, unknown> };
    new Function("module", "exports", "require", code)(module, module.exports, (id: string) => {
      loads++;
      return realRequire(id);
    });
    return { exports: module.exports, loads: () => loads };
  }

  it("loads node:crypto only when a function is called, once, with the same results", async () => {
    const { createHash: real } = await import("node:crypto");
    const lazy = standIn("node:crypto");
    expect(lazy.loads()).toBe(0);
    const createHash = lazy.exports.createHash as typeof real;
    expect(createHash("sha256").update("x").digest("hex")).toBe(
      real("sha256").update("x").digest("hex"),
    );
    expect(typeof lazy.exports.webcrypto).toBe("object");
    expect(createHash("md5").update("y").digest("hex")).toHaveLength(32);
    expect(lazy.loads()).toBe(1);
  });

  it("keeps a class's static methods callable (cron-parser)", () => {
    const lazy = standIn("cron-parser");
    expect(lazy.loads()).toBe(0);
    const parser = lazy.exports.CronExpressionParser as {
      parse: (e: string, o: object) => { next: () => { toISOString: () => string | null } };
    };
    const next = parser.parse("0 2 * * *", {
      currentDate: new Date("2026-01-01T00:00:00Z"),
      tz: "UTC",
    });
    expect(next.next().toISOString()).toBe("2026-01-01T02:00:00.000Z");
    expect(() => parser.parse("61 * * * *", {})).toThrow(/Constraint error/);
    expect(lazy.loads()).toBe(1);
  });
});

describe.runIf(built)("the bundled CLI", () => {
  let repo: TempRepo;
  beforeEach(() => {
    repo = tempRepo();
    repo.commit({ "services/api/VERSION": "1.0.0\n" });
    repo.git("checkout", "-q", "-b", "feature");
  });
  afterEach(() => repo.remove());

  /** The same command in process (src/, Ajv and YAML at run time) and through bin/ (the bundle). */
  async function both(args: string[]) {
    let stdout = "";
    let stderr = "";
    const code = await runCli(args, {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      cwd: repo.dir,
    });
    const bin = new URL("../bin/monobot.js", import.meta.url).pathname;
    const child = await exec("node", [bin, ...args], { cwd: repo.dir }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    return { inProcess: { code, stdout, stderr }, bundled: { ...child } };
  }

  it.each([
    ["an unknown key", "versions:\n  prerelase: allow\n"],
    ["a value outside an enum", "triggers:\n  trusted_permission: root\n"],
    ["invalid YAML", "versions: [\n"],
    ["a job template with problems", "jobs:\n  templates:\n    verify:\n      on: never\n"],
    // cron-parser loads on first use in the bundle (scripts/build-cli.ts, LAZY_MODULES).
    [
      "a cron expression that does not parse",
      'jobs:\n  templates:\n    nightly:\n      on: schedule\n      cron: "61 * * * *"\n      backend:\n        type: github-actions\n        workflow: nightly.yml\n',
    ],
  ])("reports %s exactly as the unbundled CLI does", async (_case, policy) => {
    repo.commit({ ".github/monobot.yml": policy });
    const check = await both(["check", "--base", "main", "--head", "HEAD", "--format", "json"]);
    expect(check.bundled.code).toBe(2);
    expect({ code: check.bundled.code, stdout: check.bundled.stdout }).toEqual({
      code: check.inProcess.code,
      stdout: check.inProcess.stdout,
    });
    const validate = await both(["config", "validate", ".github/monobot.yml"]);
    expect(validate.bundled.stderr).toBe(validate.inProcess.stderr);
    expect(validate.bundled.code).toBe(validate.inProcess.code);
  });
});

describe.runIf(built)("the code cache", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "monobot-cache-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("is accepted for the bundle it was trained on", async () => {
    // bin/ is plain JavaScript, without types.
    const url = new URL("../bin/run-bundle.js", import.meta.url).href;
    const loader = (await import(url)) as {
      compileBundle: (name: string) => { cache: string } | null;
    };
    expect(loader.compileBundle("monobot")?.cache).toBe("accepted");
  });

  it("is not used for another bundle of the same length, whose code runs as written", async () => {
    const root = new URL("..", import.meta.url).pathname;
    mkdirSync(join(dir, "dist"), { recursive: true });
    cpSync(join(root, "bin"), join(dir, "bin"), { recursive: true });
    cpSync(join(root, "dist", "bundle"), join(dir, "dist", "bundle"), { recursive: true });
    const file = join(dir, "dist", "bundle", "monobot.cjs");
    const source = readFileSync(file, "utf8");
    const edited = source.replace("monobot: monorepo checks", "MONOBOT: MONOREPO CHECKS");
    expect(edited).not.toBe(source);
    expect(edited.length).toBe(source.length);
    writeFileSync(file, edited);
    const { stdout } = await exec("node", [join(dir, "bin", "monobot.js"), "--help"]);
    expect(stdout).toContain("MONOBOT: MONOREPO CHECKS");
  });
});
