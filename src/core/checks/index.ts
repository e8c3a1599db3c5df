// Every check monobot runs on a change, in the order the check runs are posted.
import { dcoCheck } from "./dco.js";
import { licenseCheck } from "./license.js";
import { lintCheck } from "./lint.js";
import type { CheckDefinition } from "./registry.js";
import { secretsCheck } from "./secrets.js";
import { versionsCheck } from "./versions.js";

export const allChecks: readonly CheckDefinition[] = [
  lintCheck,
  licenseCheck,
  dcoCheck,
  versionsCheck,
  secretsCheck,
];
