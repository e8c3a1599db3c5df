import { describe, expect, it } from "vitest";
import { commandTable, type CommandName, type CommandSpec } from "../../src/core/commands.js";
import type { Policy } from "../../src/core/policy.js";
import {
  adminOnly,
  ciAllowed,
  FAST_PATH_ASSOCIATIONS,
  mayUseCommand,
  trustFromAssociation,
  trustFromPermission,
  type TrustDecision,
} from "../../src/core/trust.js";

const triggers: Policy["triggers"] = {
  recheck: "(?i)^.*recheck$",
  trusted_associations: ["OWNER", "MEMBER"],
  trusted_permission: "write",
  skip_drafts: true,
};
const policy = { triggers };

function spec(name: CommandName): CommandSpec {
  const found = commandTable.find((c) => c.name === name);
  if (!found) throw new Error(`no ${name} in the command table`);
  return found;
}

const SHA_A = "a".repeat(40);
const SHA_B = "0123456789abcdef0123456789abcdef01234567";

describe("trustFromAssociation", () => {
  const cases: { association: string; trusted: boolean }[] = [
    { association: "OWNER", trusted: true },
    { association: "MEMBER", trusted: true },
    { association: "member", trusted: true },
    // A collaborator may have read access only: the permission API decides.
    { association: "COLLABORATOR", trusted: false },
    { association: "collaborator", trusted: false },
    { association: "CONTRIBUTOR", trusted: false },
    { association: "FIRST_TIME_CONTRIBUTOR", trusted: false },
    { association: "FIRST_TIMER", trusted: false },
    { association: "MANNEQUIN", trusted: false },
    { association: "NONE", trusted: false },
    { association: "", trusted: false },
  ];
  it.each(cases)("$association -> trusted $trusted", ({ association, trusted }) => {
    const d = trustFromAssociation({ user: "alice", association, policy });
    expect(d.trusted).toBe(trusted);
    expect(d.needsPermissionCheck).toBe(!trusted);
    expect(d.reason).toContain("@alice");
    if (trusted) expect(d.reason).toContain(association.toUpperCase());
    else expect(d.reason).toContain("permission decides");
  });

  it("never takes an association that does not prove write access as enough, whatever the list", () => {
    // Listed associations beyond OWNER and MEMBER are valid config but never a fast path.
    const loose: Pick<Policy, "triggers"> = {
      triggers: { ...triggers, trusted_associations: ["OWNER", "MEMBER", "COLLABORATOR", "NONE"] },
    };
    for (const association of ["COLLABORATOR", "NONE"]) {
      const d = trustFromAssociation({ user: "c", association, policy: loose });
      expect(d).toMatchObject({ trusted: false, needsPermissionCheck: true });
    }
    expect(FAST_PATH_ASSOCIATIONS).toEqual(["OWNER", "MEMBER"]);
  });

  it("follows the policy's list", () => {
    const onlyOwner: Pick<Policy, "triggers"> = {
      triggers: { ...triggers, trusted_associations: ["OWNER"] },
    };
    expect(
      trustFromAssociation({ user: "m", association: "MEMBER", policy: onlyOwner }).trusted,
    ).toBe(false);
    expect(
      trustFromAssociation({ user: "o", association: "OWNER", policy: onlyOwner }).trusted,
    ).toBe(true);
  });
});

describe("trustFromPermission", () => {
  const cases: {
    permission: string | null;
    needed: Policy["triggers"]["trusted_permission"];
    trusted: boolean;
  }[] = [
    { permission: "admin", needed: "write", trusted: true },
    { permission: "maintain", needed: "write", trusted: true },
    { permission: "write", needed: "write", trusted: true },
    { permission: "triage", needed: "write", trusted: false },
    { permission: "read", needed: "write", trusted: false },
    { permission: "none", needed: "write", trusted: false },
    { permission: null, needed: "write", trusted: false },
    { permission: "custom-role", needed: "read", trusted: false },
    { permission: "WRITE", needed: "write", trusted: true },
    { permission: "triage", needed: "triage", trusted: true },
    { permission: "read", needed: "triage", trusted: false },
    { permission: "read", needed: "read", trusted: true },
    { permission: "none", needed: "read", trusted: false },
    { permission: "maintain", needed: "admin", trusted: false },
    { permission: "admin", needed: "admin", trusted: true },
    { permission: "write", needed: "maintain", trusted: false },
  ];
  it.each(cases)(
    "$permission with $needed needed -> $trusted",
    ({ permission, needed, trusted }) => {
      const d = trustFromPermission({
        user: "bob",
        association: "CONTRIBUTOR",
        permission,
        policy: { triggers: { ...triggers, trusted_permission: needed } },
      });
      expect(d.trusted).toBe(trusted);
      expect(d.needsPermissionCheck).toBe(false);
      if (trusted) {
        expect(d.reason).toBe(
          `@bob is trusted: they have ${permission?.toLowerCase()} permission on this repository.`,
        );
      } else {
        expect(d.reason).toBe(
          `@bob is not a member or collaborator with ${needed} access to this repository, so CI did not run. A maintainer can comment \`/ok-to-test\` to run it for the current commit.`,
        );
      }
    },
  );

  it.each([
    { permission: "read", trusted: false },
    { permission: "triage", trusted: false },
    { permission: "write", trusted: true },
    { permission: "admin", trusted: true },
  ])(
    "a COLLABORATOR with $permission permission -> trusted $trusted",
    ({ permission, trusted }) => {
      const d = trustFromPermission({
        user: "co",
        association: "COLLABORATOR",
        permission,
        policy,
      });
      expect(d.trusted).toBe(trusted);
      expect(d.reason).toContain(trusted ? `have ${permission} permission` : "with write access");
    },
  );

  it("keeps a trusted association trusted", () => {
    const d = trustFromPermission({ user: "o", association: "OWNER", permission: null, policy });
    expect(d).toEqual({
      trusted: true,
      reason: "@o is trusted: their association with this repository is OWNER.",
      needsPermissionCheck: false,
    });
  });
});

describe("mayUseCommand", () => {
  const trusted: TrustDecision = {
    trusted: true,
    reason: "@t is trusted: their association with this repository is MEMBER.",
    needsPermissionCheck: false,
  };
  const untrusted: TrustDecision = {
    trusted: false,
    reason: "@u is not a member.",
    needsPermissionCheck: false,
  };
  const unchecked: TrustDecision = {
    trusted: false,
    reason: "@u association CONTRIBUTOR.",
    needsPermissionCheck: true,
  };

  const cases: {
    name: string;
    command: CommandName;
    trust: TrustDecision;
    isPrAuthor: boolean;
    prFromFork: boolean;
    allowed: boolean;
    reason?: string;
  }[] = [
    {
      name: "trusted /retest",
      command: "retest",
      trust: trusted,
      isPrAuthor: false,
      prFromFork: false,
      allowed: true,
    },
    {
      name: "untrusted /retest",
      command: "retest",
      trust: untrusted,
      isPrAuthor: false,
      prFromFork: false,
      allowed: false,
      reason: "only members and collaborators trusted",
    },
    {
      name: "untrusted author /retest",
      command: "retest",
      trust: untrusted,
      isPrAuthor: true,
      prFromFork: false,
      allowed: false,
      reason: "`/retest` was not run",
    },
    {
      name: "untrusted recheck",
      command: "recheck",
      trust: untrusted,
      isPrAuthor: true,
      prFromFork: true,
      allowed: false,
      reason: "`recheck` was not run",
    },
    {
      name: "untrusted author /ok-to-test on own PR",
      command: "ok-to-test",
      trust: untrusted,
      isPrAuthor: true,
      prFromFork: true,
      allowed: false,
      reason: "Ask a maintainer",
    },
    {
      name: "trusted /ok-to-test",
      command: "ok-to-test",
      trust: trusted,
      isPrAuthor: false,
      prFromFork: true,
      allowed: true,
    },
    {
      name: "author /bump, same repository",
      command: "bump",
      trust: untrusted,
      isPrAuthor: true,
      prFromFork: false,
      allowed: true,
      reason: "author",
    },
    {
      name: "author /bump, from a fork",
      command: "bump",
      trust: untrusted,
      isPrAuthor: true,
      prFromFork: true,
      allowed: false,
      reason: "comes from a fork",
    },
    {
      name: "trusted author /bump from a fork",
      command: "bump",
      trust: trusted,
      isPrAuthor: true,
      prFromFork: true,
      allowed: true,
    },
    {
      name: "trusted non-author /bump on a fork",
      command: "bump",
      trust: trusted,
      isPrAuthor: false,
      prFromFork: true,
      allowed: true,
    },
    {
      name: "untrusted non-author /bump",
      command: "bump",
      trust: untrusted,
      isPrAuthor: false,
      prFromFork: false,
      allowed: false,
      reason: "the pull request's author or members",
    },
    {
      name: "unchecked trust is not trust",
      command: "test",
      trust: unchecked,
      isPrAuthor: false,
      prFromFork: false,
      allowed: false,
      reason: "has not been checked",
    },
    {
      name: "anyone /help",
      command: "help",
      trust: untrusted,
      isPrAuthor: false,
      prFromFork: true,
      allowed: true,
    },
  ];
  it.each(cases)("$name", ({ command, trust, isPrAuthor, prFromFork, allowed, reason }) => {
    const d = mayUseCommand(spec(command), { trust, isPrAuthor, prFromFork });
    expect(d.allowed).toBe(allowed);
    expect(d.reason.length).toBeGreaterThan(0);
    if (reason) expect(d.reason).toContain(reason);
  });
});

describe("adminOnly", () => {
  const cases: { permission: string | null; allowed: boolean; reason: string }[] = [
    { permission: "admin", allowed: true, reason: "you are an admin of this repository" },
    { permission: "ADMIN", allowed: true, reason: "you are an admin" },
    { permission: "maintain", allowed: false, reason: "(your permission is maintain)" },
    { permission: "write", allowed: false, reason: "(your permission is write)" },
    { permission: "read", allowed: false, reason: "only admins of this repository may use it" },
    { permission: null, allowed: false, reason: "only admins of this repository may use it." },
  ];
  it.each(cases)("permission $permission: allowed $allowed", ({ permission, allowed, reason }) => {
    const d = adminOnly("`/sync-secrets`", permission);
    expect(d.allowed).toBe(allowed);
    expect(d.reason).toContain(reason);
  });

  it("is never settled by trust: mayUseCommand refuses an admin command even to a trusted user", () => {
    const spec = commandTable.find((c) => c.who === "admin") as CommandSpec;
    const d = mayUseCommand(spec, {
      trust: { trusted: true, reason: "member", needsPermissionCheck: false },
      isPrAuthor: true,
      prFromFork: false,
    });
    expect(d.allowed).toBe(false);
  });
});

describe("ciAllowed", () => {
  const cases: {
    name: string;
    authorTrusted: boolean;
    approval?: { sha: string; by: string } | null;
    allowed: boolean;
    reason: string;
  }[] = [
    {
      name: "trusted author",
      authorTrusted: true,
      allowed: true,
      reason: "the author @bob is trusted",
    },
    {
      name: "trusted author, old approval",
      authorTrusted: true,
      approval: { sha: SHA_A, by: "carol" },
      allowed: true,
      reason: "trusted",
    },
    {
      name: "untrusted, no approval",
      authorTrusted: false,
      allowed: false,
      reason: "A maintainer can comment `/ok-to-test`",
    },
    {
      name: "untrusted, null approval",
      authorTrusted: false,
      approval: null,
      allowed: false,
      reason: "@bob is not a member",
    },
    {
      name: "approved at head",
      authorTrusted: false,
      approval: { sha: SHA_B, by: "carol" },
      allowed: true,
      reason: "CI runs for commit 0123456: @carol approved it",
    },
    {
      name: "approved at head, upper-case sha",
      authorTrusted: false,
      approval: { sha: SHA_B.toUpperCase(), by: "carol" },
      allowed: true,
      reason: "@carol",
    },
    {
      name: "approved at an older commit",
      authorTrusted: false,
      approval: { sha: SHA_A, by: "carol" },
      allowed: false,
      reason: "A new push needs a new approval",
    },
  ];
  it.each(cases)("$name", ({ authorTrusted, approval, allowed, reason }) => {
    const d = ciAllowed({ authorTrusted, author: "bob", headSha: SHA_B, approval });
    expect(d.allowed).toBe(allowed);
    expect(d.reason).toContain(reason);
  });

  it("names both commits when the approval is stale", () => {
    const d = ciAllowed({
      authorTrusted: false,
      author: "bob",
      headSha: SHA_B,
      approval: { sha: SHA_A, by: "carol" },
    });
    expect(d.reason).toContain("aaaaaaa");
    expect(d.reason).toContain("0123456");
  });
});
