// The check registry: every check is a pure function of the change snapshot and the policy.
import type { Policy } from "../policy.js";
import type { ChangeSnapshot, CheckResult, ComponentsReport, FileRequest } from "../types.js";

export interface CheckInput {
  snapshot: ChangeSnapshot;
  policy: Policy;
  components: ComponentsReport;
}

export interface CheckDefinition {
  /** Short id used in `checks.disabled` and `/retest`, e.g. `versions`. */
  id: string;
  /** Check run name, e.g. `monobot/versions`. */
  name: string;
  /**
   * Files whose content the check needs beyond the patches (VERSION files, Chart.yaml...).
   * The pipeline reads all checks' needs in one batch before any check runs, and puts them in
   * `snapshot.contents`.
   */
  needs?(
    input: Omit<CheckInput, "snapshot"> & { snapshot: Omit<ChangeSnapshot, "contents"> },
  ): FileRequest[];
  run(input: CheckInput): CheckResult;
}

/** The checks of `all` that the policy leaves enabled, in order. */
export function enabledChecks(all: readonly CheckDefinition[], policy: Policy): CheckDefinition[] {
  const disabled = new Set<string>(policy.checks.disabled);
  return all.filter((c) => !disabled.has(c.id));
}
