// The three pin layouts of the environments policy, told by a pin file's name, and the key shape an umbrella pin must have.
import { pinKeyText, type PinStep } from "./env-pin-key.js";

/**
 * How an environment pins a component, told by the pin's file name:
 * - `fleet`: a Fleet `fleet.yaml` (or `fleet.yml`), usually a value under one
 *   `targetCustomizations[name=ENV].helm.values`;
 * - `umbrella`: a `Chart.yaml` of the environment's own umbrella chart, whose dependency version
 *   selects the component's published chart;
 * - `values`: any other YAML file, a Helm values file per environment.
 */
export type PinLayout = "fleet" | "values" | "umbrella";

/** What a pin's value is: the component's image tag (its version), or its chart's version. */
export type PinKind = "image" | "chart";

export function pinLayout(file: string): PinLayout {
  const base = file.slice(file.lastIndexOf("/") + 1);
  if (base === "Chart.yaml") return "umbrella";
  if (base === "fleet.yaml" || base === "fleet.yml") return "fleet";
  return "values";
}

export function pinKind(layout: PinLayout): PinKind {
  return layout === "umbrella" ? "chart" : "image";
}

/** The shape an umbrella pin's key must have: the dependency's version. */
export function umbrellaKeyProblem(steps: readonly PinStep[]): string | undefined {
  const [deps, select, version] = steps;
  const ok =
    steps.length === 3 &&
    deps !== undefined &&
    "key" in deps &&
    deps.key === "dependencies" &&
    select !== undefined &&
    "field" in select &&
    (select.field === "name" || select.field === "alias") &&
    version !== undefined &&
    "key" in version &&
    version.key === "version";
  return ok
    ? undefined
    : `an umbrella pin's key must be the dependency's version, dependencies[name={chart_name}].version (or [alias=...]), not ${pinKeyText(steps)}`;
}
