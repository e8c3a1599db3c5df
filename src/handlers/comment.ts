// `issue_comment.created` on a pull request: `recheck` and the slash commands, for whoever may use them.
import { runCommentJob, type CommentSpec } from "../workflows/comment-commands.js";
import { defineHandler, pullRequestKey, repoRef, type RepoPayload } from "./handler.js";

export type { CommentSpec } from "../workflows/comment-commands.js";

// Cheap pre-filter so ordinary discussion never costs a job or a config read.
const MAYBE_COMMAND = /(^|\n)\s*\/[a-z]|recheck/i;

export default defineHandler<CommentSpec>({
  name: "comment",
  events: ["issue_comment.created"],
  plan(event) {
    const payload = event.payload as {
      issue: { number: number; pull_request?: unknown };
      comment: { body: string; user: { login: string } | null; author_association: string };
      sender: { type: string };
      repository: RepoPayload;
      installation?: { id: number };
    };
    const { issue, comment } = payload;
    if (!issue.pull_request || payload.sender.type === "Bot" || !comment.user) return [];
    if (!MAYBE_COMMAND.test(comment.body)) return [];
    const repo = repoRef(payload.repository);
    return [
      {
        key: pullRequestKey(repo, issue.number),
        ...(payload.installation ? { installationId: payload.installation.id } : {}),
        spec: {
          repo,
          issue: issue.number,
          commenter: comment.user.login,
          association: comment.author_association,
          body: comment.body,
        },
      },
    ];
  },
  run: runCommentJob,
});
