// `npm start`: the monobot webhook server, configured only through its environment.
import Bottleneck from "bottleneck";
import { Probot, ProbotOctokit } from "probot";
import { pino } from "pino";
import { createApp } from "./app.js";
import { handlers } from "./handlers/index.js";
import { jobRunner } from "./handlers/run-job.js";
import { redactingDestination, type Log } from "./log.js";
import type { JobRunner } from "./runtime/job.js";
import { StateDirLockedError, StateDirUnusableError } from "./runtime/journal.js";
import { GitHubHookDeliveries, RedeliverySweep } from "./runtime/redelivery-sweep.js";
import { createServices, registerInstalledRepositories } from "./runtime/services.js";
import { createBoardStore } from "./runtime/board-store.js";
import { openRuntime, type Runtime } from "./runtime/open-runtime.js";
import { RedisWriteSpacing } from "./runtime/redis-write-spacing.js";
import { createMonobotServer } from "./server/http-server.js";
import { EnvError, readServerEnv } from "./server/env.js";
import { Metrics } from "./server/metrics.js";
import { metricsPlugin } from "./server/octokit-metrics.js";
import { CALLBACK_PATH, ciCallbackRoute } from "./server/ci-callback.js";
import { secretsPublicKeyRoute } from "./server/secrets-route.js";
import { LogSink } from "./server/log-sink.js";
import { loadKeyRing } from "./secrets/sealing.js";
import { ActivityLog } from "./runtime/activity.js";
import { statusPage } from "./status/index.js";

/** Writes one line for the operator; a closed stderr (the reader went away) is not a crash. */
function say(line: string): void {
  try {
    process.stderr.write(`monobot: ${line}\n`);
  } catch {
    // Nobody reads stderr any more: there is no one left to tell.
  }
}

/** Exits once the log lines already written have left (or a second has passed). */
async function exit(sink: LogSink, code: number): Promise<never> {
  await sink.flush(1000);
  process.exit(code);
}

async function main(): Promise<void> {
  // A reader of stdout or stderr that goes away must not crash (or stall) the server.
  process.stdout.on("error", () => undefined);
  process.stderr.on("error", () => undefined);
  let env;
  try {
    env = readServerEnv(process.env);
  } catch (e) {
    if (e instanceof EnvError) {
      say(e.message);
      process.exit(1);
    }
    throw e;
  }
  const sink = new LogSink();
  // Secrets are masked before a line reaches the sink, which never blocks on a gone reader.
  const log = pino({ level: env.logLevel, name: "monobot" }, redactingDestination(sink));
  const metrics = new Metrics({ defaultMetrics: true });
  metrics.watchLog(sink);
  // Probot only logs a secondary rate limit; monobot waits as GitHub's retry-after asks and
  // retries a few times, so an event is not lost to a burst.
  const retryWithin =
    (what: string, retries: number) =>
    (
      retryAfter: number,
      options: { method: string; url: string },
      _o: unknown,
      retryCount: number,
    ) => {
      log.warn({ retryAfter, request: `${options.method} ${options.url}`, retryCount }, what);
      return retryCount < retries && retryAfter <= 120;
    };
  // Several replicas space each installation's writes together, through Redis.
  const spacing = env.redisUrl
    ? new RedisWriteSpacing(env.redisUrl, { log, gapMs: env.writeSpacingMs })
    : undefined;
  // The throttling plugin's own write group, with the configured gap (its default is GitHub's 1 s).
  const writes =
    env.writeSpacingMs === 1000
      ? {}
      : {
          write: new Bottleneck.Group({
            id: "octokit-write",
            maxConcurrent: 1,
            minTime: env.writeSpacingMs,
          }),
        };
  const plugins = spacing ? [metricsPlugin(metrics), spacing.plugin()] : [metricsPlugin(metrics)];
  const Octokit = ProbotOctokit.plugin(...plugins).defaults(
    (o: Record<string, unknown> | undefined) => ({
      ...o,
      throttle: {
        ...(o?.throttle as object | undefined),
        ...writes,
        onSecondaryRateLimit: retryWithin("secondary rate limit", 3),
        onRateLimit: retryWithin("rate limit exhausted", 2),
      },
    }),
  );
  const probot = new Probot({
    appId: env.appId,
    privateKey: env.privateKey,
    secret: env.webhookSecret,
    log: log.child({ name: "probot" }),
    Octokit,
    ...(env.baseUrl ? { baseUrl: env.baseUrl } : {}),
    // No `redisConfig`: Probot's clustered throttling holds a write's turn in Redis while the
    // write waits, and a replica killed meanwhile stalls that installation's writes on every
    // replica for a minute. The write spacing above is shared instead; the rest stays local.
  });
  // The store is opened before anything runs: a job runs only once the services exist.
  let runJob: JobRunner = () => Promise.reject(new Error("monobot is still starting"));
  let runtime: Runtime;
  try {
    runtime = await openRuntime({
      stateDir: env.stateDir,
      memory: !env.journal,
      ...(env.redisUrl ? { redisUrl: env.redisUrl, redisLockMs: env.redisLockSeconds * 1000 } : {}),
      runner: (job) => runJob(job),
      log,
      onLockLost: (e) => {
        say(`${e.message}: stopping`);
        void exit(sink, 1);
      },
      queue: {
        // Each installation has its own write lane, so jobs of different installations overlap.
        concurrency: env.concurrency,
        onError: (job, e) =>
          log.error(
            { delivery: job.deliveryId, key: job.key, err: (e as Error).message },
            "job failed",
          ),
        onSuperseded: (job) =>
          log.info({ delivery: job.deliveryId, key: job.key }, "superseded by a newer event"),
      },
    });
  } catch (e) {
    if (e instanceof StateDirLockedError || e instanceof StateDirUnusableError) {
      say(e.message);
      await exit(sink, 1);
    }
    throw e;
  }
  const { queue } = runtime;
  const sealingKeys = await loadKeyRing(env.sealing);
  // Each config repo's latest board, filled by the dashboard: the status page reads the same store.
  const boards = createBoardStore();
  const services = createServices({
    boards,
    app: probot,
    log,
    env: process.env,
    serverUrl: env.serverUrl,
    timers: runtime.timers,
    fires: runtime.fires,
    later: runtime.later,
    ...(runtime.repositories ? { repositories: runtime.repositories } : {}),
    ...(sealingKeys ? { sealingKeys } : {}),
    ...(env.publicUrl ? { callbackUrl: `${env.publicUrl}${CALLBACK_PATH}` } : {}),
  });
  // Jobs this process ran, for the status page (per replica in Redis mode).
  const activity = new ActivityLog();
  runJob = jobRunner({
    handlers,
    services,
    log,
    metrics,
    onFinished: (job, outcome, ms, e) => activity.record(job, outcome, ms, e),
  });
  services.followUps.bind(queue);
  metrics.watchQueue(queue);
  await probot.load(createApp({ queue, handlers, services, metrics }));
  const recovered = await runtime.recover();
  metrics.jobsRecovered.inc(recovered);
  if (recovered > 0) {
    log.info({ recovered }, "accepted work that had not finished before the restart runs again");
  }
  if (env.scheduler) {
    // Every replica may run it: a slot is claimed in the shared store before it is dispatched.
    services.scheduler.start();
    registerInstalledRepositories(services).then(
      (count) => {
        log.info({ repositories: count }, "scheduler: repositories registered");
        // At once, not a minute later: a fire missed while the server was down runs now.
        void services.scheduler.tick(new Date());
      },
      (e: unknown) =>
        log.warn(
          { err: (e as Error).message },
          "scheduler: could not list installed repositories; they register with their next event",
        ),
    );
  }
  // Deliveries GitHub never handed over are asked for again (GitHub does not retry on its own).
  const sweep = env.redeliverySweep
    ? new RedeliverySweep({
        port: new GitHubHookDeliveries(await probot.auth()),
        redeliveriesRequested: (n) => metrics.redeliveriesRequested.inc(n),
        log,
      })
    : undefined;
  const status = statusPage({
    boards,
    activity,
    queue,
    scheduler: services.scheduler,
    mode: runtime.mode,
    installation: (id) => probot.auth(id),
    ...(env.oauth ? { oauth: env.oauth } : {}),
    ...(env.baseUrl ? { baseUrl: env.baseUrl } : {}),
    admins: env.admins,
    ...(env.sessionSecret ? { sessionSecret: env.sessionSecret } : {}),
    ...(env.publicUrl ? { publicUrl: env.publicUrl } : {}),
    log,
  });
  const { server, shutdown } = createMonobotServer({
    probot,
    queue,
    metrics,
    log,
    webhookPath: env.webhookPath,
    // What monobot subscribes to, and what GitHub sends an App besides: nothing else is labelled.
    knownEvents: [
      ...handlers.flatMap((h) => h.events.map((e) => e.split(".")[0] ?? e)),
      "ping",
      "installation",
      "installation_repositories",
    ],
    unready: () => runtime.unready(),
    routes: [
      ciCallbackRoute({ queue, env: process.env, log }),
      secretsPublicKeyRoute(sealingKeys),
      ...status.routes,
    ],
  });
  // Stops everything this process opened, in order; the journal's lock is released last.
  const close = async () => {
    await services.scheduler.stop();
    await services.timeouts.stop();
    await runtime.close();
    await spacing?.close();
  };
  server.once("error", (e: NodeJS.ErrnoException) => {
    const where = `${env.host ?? "all addresses"} port ${env.port}`;
    say(
      e.code === "EADDRINUSE"
        ? `${where} is already in use by another process: stop it, or set PORT (or HOST) to a free one`
        : `cannot listen on ${where} (${e.code ?? e.message}): set PORT (or HOST) to one this process may open`,
    );
    void close().finally(() => exit(sink, 1));
  });
  server.listen(env.port, env.host, () => {
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : env.port;
    log.info(
      { port, api: env.baseUrl ?? "https://api.github.com", mode: runtime.mode },
      `monobot listening on port ${port}`,
    );
    // Only once the port is open: GitHub sends a redelivery at once, and one sent to a server
    // that does not listen yet fails again (and is not asked for a second time).
    sweep?.start();
  });
  stopOnSignals({ drainMs: env.drainSeconds * 1000, log, sink, shutdown, sweep, close });
}

/** Past the drain, closing the stores gets this long before the process ends regardless. */
const CLOSE_MARGIN_MS = 2000;

/**
 * SIGTERM and SIGINT: stop taking deliveries, drain, close. A watchdog ends the process if
 * closing hangs (a store that does not answer), so a stop never outlives the drain by more than
 * CLOSE_MARGIN_MS.
 */
function stopOnSignals(deps: {
  drainMs: number;
  log: Log;
  sink: LogSink;
  shutdown: (drainMs: number) => Promise<{ finished: boolean; handedBack: string[] }>;
  sweep: RedeliverySweep | undefined;
  close: () => Promise<void>;
}): void {
  const { log, sink } = deps;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping: finishing work in flight");
    setTimeout(() => {
      say("could not stop within the drain: exiting now; unfinished work runs after the restart");
      process.exit(1);
    }, deps.drainMs + CLOSE_MARGIN_MS).unref();
    void deps.sweep?.stop();
    void (async () => {
      const { finished, handedBack } = await deps.shutdown(deps.drainMs);
      if (finished) log.info("all work finished");
      else
        log.warn(
          { handedBack },
          "drain timed out: these jobs stay in the journal and run after the restart",
        );
      await deps.close();
      await exit(sink, 0);
    })();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

void main().catch((e: unknown) => {
  say(`failed to start: ${(e as Error).message}`);
  process.exit(1);
});
