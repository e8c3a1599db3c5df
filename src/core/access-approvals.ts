// Which reviews of a pull request count as approvals for access rules, and why the others do not.

/** A pull request review as the reviews listing gives it, reduced to what counts. */
export interface ReviewRecord {
  id: number;
  user: string;
  /** GitHub's account type: `User`, `Bot`, `Organization`. */
  userType?: string;
  /** APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED or PENDING. */
  state: string;
  /** The commit the review was submitted on. */
  commitId: string | null;
  submittedAt?: string | null;
}

/** A review that did not count, with the reason the check shows. */
export interface IgnoredApproval {
  user: string;
  reason: string;
}

export interface Approvals {
  /** Distinct logins whose approval counts, in the order they approved. */
  approvers: string[];
  ignored: IgnoredApproval[];
}

/** Reviews that change a reviewer's verdict; a plain comment review leaves it as it was. */
const VERDICTS = new Set(["APPROVED", "CHANGES_REQUESTED", "DISMISSED"]);

export function isBot(review: Pick<ReviewRecord, "user" | "userType">): boolean {
  return review.userType === "Bot" || review.user.toLowerCase().endsWith("[bot]");
}

function order(a: ReviewRecord, b: ReviewRecord): number {
  const ta = a.submittedAt ? Date.parse(a.submittedAt) : Number.NaN;
  const tb = b.submittedAt ? Date.parse(b.submittedAt) : Number.NaN;
  if (!Number.isNaN(ta) && !Number.isNaN(tb) && ta !== tb) return ta - tb;
  return a.id - b.id;
}

/**
 * The approvals that count on `headSha`: each reviewer's latest verdict wins (a later "request
 * changes" withdraws an approval, a dismissal removes it), it must be on the current head (a push
 * makes earlier approvals stale, like GitHub's "dismiss stale approvals"), and neither the pull
 * request's author nor a bot can approve.
 */
export function approvalsOf(input: {
  reviews: readonly ReviewRecord[];
  author: string;
  headSha: string;
}): Approvals {
  const latest = new Map<string, ReviewRecord>();
  for (const review of [...input.reviews].sort(order)) {
    if (!VERDICTS.has(review.state.toUpperCase())) continue;
    latest.set(review.user.toLowerCase(), review);
  }
  const approvers: string[] = [];
  const ignored: IgnoredApproval[] = [];
  const author = input.author.toLowerCase();
  for (const review of [...latest.values()].sort(order)) {
    const state = review.state.toUpperCase();
    const who = review.user;
    if (state === "CHANGES_REQUESTED") {
      ignored.push({ user: who, reason: "requested changes in their latest review" });
    } else if (state === "DISMISSED") {
      ignored.push({ user: who, reason: "their review was dismissed" });
    } else if (isBot(review)) {
      ignored.push({ user: who, reason: "a bot's approval does not count" });
    } else if (who.toLowerCase() === author) {
      ignored.push({ user: who, reason: "the author cannot approve their own pull request" });
    } else if ((review.commitId ?? "").toLowerCase() !== input.headSha.toLowerCase()) {
      ignored.push({
        user: who,
        reason: `approved an earlier commit (${(review.commitId ?? "unknown").slice(0, 7)}); a new push needs a new approval`,
      });
    } else {
      approvers.push(who);
    }
  }
  return { approvers, ignored };
}
