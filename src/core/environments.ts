// The environments contract (`deploy.environments` in promotion order): reading it, the order of environments, and the policy errors a schema cannot express.
import { freezeConfigErrors } from "./freeze.js";
import { parseDuration } from "./env-duration.js";
import { parsePinKey, PIN_PLACEHOLDERS, pinPlaceholders, expandPin } from "./env-pin-key.js";
import { pinKind, pinLayout, umbrellaKeyProblem, type PinKind } from "./env-layout.js";
import type { Policy } from "./policy-schema.js";
import { closestName } from "./suggest.js";

/** `deploy.environments` as written: the list, or the older chart folder -> environments map. */
export type EnvironmentsConfig = Policy["deploy"]["environments"];
/** One environment of the list form. */
export type EnvironmentConfig = Extract<EnvironmentsConfig, readonly unknown[]>[number];
/** One place an environment pins a component's version: a file and a key, with placeholders. */
export type PinConfig = EnvironmentConfig["pins"][number];

/** The job trigger of an environment's verification jobs. */
export const DEPLOYED_TRIGGER = "deployed";

/** The environments in promotion order; the older map form defines none. */
export function environmentList(config: EnvironmentsConfig): readonly EnvironmentConfig[] {
  return Array.isArray(config) ? config : [];
}

/**
 * The chart folder -> environments map the deploy preview shows when no fleet.yaml deploys a
 * chart: the older map form as written; the list form pins versions instead, so none.
 */
export function previewEnvironments(
  config: EnvironmentsConfig | Readonly<Record<string, readonly string[]>>,
): Readonly<Record<string, readonly string[]>> {
  return Array.isArray(config) ? {} : (config as Readonly<Record<string, readonly string[]>>);
}

export function environmentNames(config: EnvironmentsConfig): string[] {
  return environmentList(config).map((e) => e.name);
}

/** The environment called `name`, if the list has it. */
export function findEnvironment(
  config: EnvironmentsConfig,
  name: string,
): EnvironmentConfig | undefined {
  return environmentList(config).find((e) => e.name === name);
}

/** The environment a version verified in `name` is promoted to next (undefined: the last, or unknown). */
export function nextEnvironment(
  config: EnvironmentsConfig,
  name: string,
): EnvironmentConfig | undefined {
  const list = environmentList(config);
  const at = list.findIndex((e) => e.name === name);
  return at < 0 ? undefined : list[at + 1];
}

/** The environment whose verified versions `name` takes (undefined: the first, written by deploys). */
export function previousEnvironment(
  config: EnvironmentsConfig,
  name: string,
): EnvironmentConfig | undefined {
  const list = environmentList(config);
  const at = list.findIndex((e) => e.name === name);
  return at <= 0 ? undefined : list[at - 1];
}

/** How long to wait after `env`'s verification before promoting on, in milliseconds (0: none). */
export function soakMs(env: EnvironmentConfig): number {
  return env.verify?.soak === undefined ? 0 : (parseDuration(env.verify.soak) ?? 0);
}

/** What `env`'s pins hold: image tags (component versions) or chart versions. */
export function environmentPinKind(env: EnvironmentConfig): PinKind | undefined {
  const first = env.pins[0];
  return first ? pinKind(pinLayout(first.file)) : undefined;
}

/** A policy problem at a key path, as policy.ts locates them. */
export interface EnvironmentConfigError {
  path: string[];
  message: string;
}

function pinErrors(env: EnvironmentConfig, at: string[]): EnvironmentConfigError[] {
  const out: EnvironmentConfigError[] = [];
  const kinds = new Set<PinKind>();
  env.pins.forEach((pin, p) => {
    const here = [...at, "pins", String(p)];
    const where = `deploy.environments[${at[2]}] (${env.name}) pins[${p}]`;
    for (const [field, text] of [
      ["file", pin.file],
      ["key", pin.key],
    ] as const) {
      for (const name of pinPlaceholders(text)) {
        if (PIN_PLACEHOLDERS[name] !== undefined) continue;
        const hint = closestName(name, Object.keys(PIN_PLACEHOLDERS), 2);
        out.push({
          path: [...here, field],
          message: `${where}.${field}: unknown placeholder {${name}}${hint ? ` (did you mean {${hint}}?)` : ""}; known: ${Object.keys(
            PIN_PLACEHOLDERS,
          )
            .map((n) => `{${n}}`)
            .join(", ")}`,
        });
      }
    }
    const parsed = parsePinKey(pin.key);
    if (!parsed.ok) {
      out.push({ path: [...here, "key"], message: `${where}.key: ${parsed.message}` });
      return;
    }
    const layout = pinLayout(pin.file);
    kinds.add(pinKind(layout));
    const shape = layout === "umbrella" ? umbrellaKeyProblem(parsed.steps) : undefined;
    if (shape) out.push({ path: [...here, "key"], message: `${where}.key: ${shape}` });
  });
  if (kinds.size > 1) {
    out.push({
      path: [...at, "pins"],
      message: `deploy.environments[${at[2]}] (${env.name}) mixes Chart.yaml pins (chart versions) with image tags; pin one kind of version per environment`,
    });
  }
  return out;
}

function freezeErrors(env: EnvironmentConfig, at: string[]): EnvironmentConfigError[] {
  const prefix = `deploy.environments[${at[2]}].freeze`;
  return freezeConfigErrors(env.freeze ?? []).map((e) => ({
    path: [...at, "freeze", ...e.path.slice(2)],
    message: e.message.split("deploy.freeze").join(prefix),
  }));
}

function verifyErrors(
  env: EnvironmentConfig,
  at: string[],
  templates: Policy["jobs"]["templates"],
): EnvironmentConfigError[] {
  const out: EnvironmentConfigError[] = [];
  const names = Object.keys(templates);
  (env.verify?.jobs ?? []).forEach((job, j) => {
    const path = [...at, "verify", "jobs", String(j)];
    const template = templates[job];
    if (!template) {
      const hint = closestName(job, names, 2);
      out.push({
        path,
        message: `deploy.environments[${at[2]}] (${env.name}) verify.jobs: no job template "${job}"${hint ? ` (did you mean "${hint}"?)` : ""}; define it under jobs.templates with on: ${DEPLOYED_TRIGGER}`,
      });
      return;
    }
    const on: readonly string[] = typeof template.on === "string" ? [template.on] : template.on;
    if (!on.includes(DEPLOYED_TRIGGER)) {
      out.push({
        path,
        message: `deploy.environments[${at[2]}] (${env.name}) verify.jobs: the job template "${job}" runs on ${on.join(", ")}, not on ${DEPLOYED_TRIGGER}; add ${DEPLOYED_TRIGGER} to its on`,
      });
    }
  });
  const soak = env.verify?.soak;
  if (soak !== undefined && parseDuration(soak) === undefined) {
    out.push({
      path: [...at, "verify", "soak"],
      message: `deploy.environments[${at[2]}] (${env.name}) verify.soak "${soak}" is too long; write a duration such as 30m or 1h`,
    });
  }
  return out;
}

/**
 * Problems of the list form a JSON schema cannot express: a name used twice, a placeholder or
 * key that cannot work, two environments pinning the same place, a mix of chart and image pins,
 * verification jobs that are not `on: deployed` templates, freeze windows. Problems that need the
 * pinned files' contents are {@link validateEnvironmentPins}'s (env-matrix.ts).
 */
export function environmentsConfigErrors(policy: Policy): EnvironmentConfigError[] {
  const list = environmentList(policy.deploy.environments);
  const out: EnvironmentConfigError[] = [];
  const seen = new Map<string, number>();
  const places = new Map<string, string>();
  let firstKind: { kind: PinKind; env: string } | undefined;
  list.forEach((env, i) => {
    const at = ["deploy", "environments", String(i)];
    const earlier = seen.get(env.name);
    if (earlier !== undefined) {
      out.push({
        path: [...at, "name"],
        message: `deploy.environments: "${env.name}" is named twice (entries ${earlier + 1} and ${i + 1}); give each environment its own name`,
      });
    } else seen.set(env.name, i);
    out.push(...pinErrors(env, at));
    out.push(...verifyErrors(env, at, policy.jobs.templates));
    out.push(...freezeErrors(env, at));
    env.pins.forEach((pin, p) => {
      const place = `${expandPin(pin.file, { environment: env.name })} ${expandPin(pin.key, { environment: env.name })}`;
      const owner = places.get(place);
      if (owner !== undefined && owner !== env.name) {
        out.push({
          path: [...at, "pins", String(p)],
          message: `deploy.environments[${i}] (${env.name}) pins the same place as ${owner} (${pin.file}, ${pin.key}); give each environment its own file or key, e.g. with {environment} or [name=${env.name}]`,
        });
      } else places.set(place, env.name);
    });
    const kind = environmentPinKind(env);
    if (kind && firstKind && kind !== firstKind.kind) {
      out.push({
        path: [...at, "pins"],
        message: `deploy.environments[${i}] (${env.name}) pins ${kind === "chart" ? "chart versions (Chart.yaml)" : "image tags"} but ${firstKind.env} pins ${firstKind.kind === "chart" ? "chart versions" : "image tags"}; a promotion copies one environment's version to the next, so every environment must pin the same kind`,
      });
    } else if (kind && !firstKind) firstKind = { kind, env: env.name };
  });
  return out;
}
