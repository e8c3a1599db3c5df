// Fault injection for the sandbox: answer the next N matching requests with a 5xx, a hang, or a rate limit.

export type FaultKind =
  /** Answer with this status (and GitHub's body for it unless `body` is given). */
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /** Hold the request this long, then drop the connection without answering. */
  | { timeoutMs: number }
  /** Serve the request normally, but only after this delay. */
  | { delayMs: number }
  /** 403 with `retry-after` and GitHub's secondary rate limit message. */
  | { secondaryRateLimit: { retryAfter: number } }
  /** 403 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` this many seconds ahead. */
  | { primaryRateLimit: { resetInSeconds: number } };

export interface FaultSpec {
  /** Only requests with this method (any when absent). */
  method?: string;
  /**
   * Which requests: a RegExp tested against the API path without `/api/v3` and the query
   * (`/repos/acme/mono/pulls/1/files`; GraphQL is `/graphql`), or a string that is either that exact path
   * or an OpenAPI path template (`/repos/{owner}/{repo}/pulls/{pull_number}/files`).
   */
  pathPattern: RegExp | string;
  /** How many matching requests get the fault (default 1). */
  times?: number;
  kind: FaultKind;
}

export interface Fault {
  id: number;
  spec: FaultSpec;
  /** Matching requests still to be faulted. */
  remaining: number;
  /** Requests answered with this fault so far. */
  hits: number;
}

export interface FaultTarget {
  method: string;
  apiPath: string;
  template?: string;
}

export function describeFault(kind: FaultKind): string {
  if ("status" in kind) return `status ${kind.status}`;
  if ("timeoutMs" in kind) return `timeout ${kind.timeoutMs}ms`;
  if ("delayMs" in kind) return `delay ${kind.delayMs}ms`;
  if ("secondaryRateLimit" in kind)
    return `secondary rate limit (retry-after ${kind.secondaryRateLimit.retryAfter})`;
  return `primary rate limit (reset in ${kind.primaryRateLimit.resetInSeconds}s)`;
}

/** Pending faults, consumed in the order they were added. */
export class FaultInjector {
  private readonly faults: Fault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): Fault {
    const times = spec.times ?? 1;
    if (!Number.isInteger(times) || times < 1)
      throw new Error("fault times must be a positive integer");
    const fault: Fault = { id: this.nextId++, spec, remaining: times, hits: 0 };
    this.faults.push(fault);
    return fault;
  }

  /** The fault for this request, if any, counted as used. */
  take(target: FaultTarget): Fault | undefined {
    for (const f of this.faults) {
      if (f.remaining <= 0) continue;
      if (f.spec.method && f.spec.method.toUpperCase() !== target.method.toUpperCase()) continue;
      const p = f.spec.pathPattern;
      const matches =
        p instanceof RegExp
          ? p.test(target.apiPath)
          : p === target.apiPath || (p.includes("{") && p === target.template);
      if (!matches) continue;
      f.remaining--;
      f.hits++;
      return f;
    }
    return undefined;
  }

  list(): Fault[] {
    return [...this.faults];
  }

  remove(id: number): void {
    const i = this.faults.findIndex((f) => f.id === id);
    if (i >= 0) this.faults.splice(i, 1);
  }

  clear(): void {
    this.faults.length = 0;
  }
}
