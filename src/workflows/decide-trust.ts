// Trust from the author association, confirmed with the permission API when it is not enough.
import type { Policy } from "../core/policy.js";
import { trustFromAssociation, trustFromPermission, type TrustDecision } from "../core/trust.js";

export interface PermissionPort {
  /** The user's permission on the repository, or null when they are not a collaborator. */
  permission(user: string): Promise<string | null>;
}

export async function decideTrust(
  port: PermissionPort,
  user: string,
  association: string,
  policy: Policy,
): Promise<TrustDecision> {
  const first = trustFromAssociation({ user, association, policy });
  if (first.trusted || !first.needsPermissionCheck) return first;
  const permission = await port.permission(user);
  return trustFromPermission({ user, association, permission, policy });
}
