// Every check monobot runs on a change, in the order the check runs are posted.
import type { CheckDefinition } from "./registry.js";

export const allChecks: readonly CheckDefinition[] = [];
