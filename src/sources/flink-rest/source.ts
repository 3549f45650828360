// One round of the flink_rest source:
//   /overview ─ unreachable? → flink_rest_up 0, one clear status message, done
//      │ ok → flink_rest_up 1; is this agent the one that emits cluster figures? (leader.ts) no → done
//      ├─ /taskmanagers, /jobs/overview ─ per job (bounded concurrency, shared by every request of the round):
//      │     state gauge always; details, checkpoints, exceptions, numRestarts (metric store, cached ≥ 10 s)
//      │     for terminal jobs only once; RUNNING jobs: one aggregated metrics call per vertex (cached ≥ 10 s)
//      └─ events: new exceptions and state changes (events.ts makes each appear once)
import type { Labels, TelemetryRecord } from '../../model';
import type { Counter, Gauge } from '../../component';
import type { Source, SourceContext } from '../types';
import { RestClient, RestError } from './client';
import { EventTracker } from './events';
import { isLocalHost, jobManagerHost, localIdentity, type LocalIdentity, type Resolver, dnsResolver } from './leader';
import { mapJobCounts, mapOverview, mapTaskManagers } from './map-cluster';
import { JOB_METRIC_NAMES, mapCheckpoints, mapJobDetails, mapJobMetrics, mapJobState } from './map-job';
import { VERTEX_METRICS_AGG, mapVertexMetrics, selectVertexMetricIds, vertexLabels } from './map-vertex';
import type * as R from './responses';
import { jobLabels, SampleBuilder, TERMINAL_STATES } from './samples';
import type { FlinkRestConfig } from './schema';
import { TimedCache, nameListMaxAge } from './vertex-cache';

/** The leader check is re-done this often (and after every outage: a failover moves the JobManager). */
const LEADER_RECHECK_MS = 5 * 60_000;

/** `15000` → `15s`, `90000` → `1m30s`, for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  const parts = [[Math.floor(s / 3600), 'h'], [Math.floor((s % 3600) / 60), 'm'], [s % 60, 's']] as const;
  return parts.filter(([n]) => n > 0).map(([n, u]) => `${n}${u}`).join('');
}

type Job = R.JobsOverviewResponse['jobs'][number];

export class FlinkRestSource implements Source {
  private readonly client: RestClient;
  private readonly base: Labels;
  private readonly tracker = new EventTracker();
  private readonly metricValues = new TimedCache<R.AggregatedMetricsResponse | R.MetricValuesResponse>();
  private readonly metricNames = new TimedCache<string[]>();
  private readonly jobStates = new Map<string, string>();
  private readonly details = new Map<string, { lastModification: number; details: R.JobDetailsResponse; fetchedAt: number }>();
  /** Terminal jobs whose final figures and events were taken: nothing about them changes any more. */
  private readonly finished = new Set<string>();
  private readonly requestErrors: Counter;
  private readonly emitting: Gauge;
  private readonly warned = new Set<string>();
  private reachable: boolean | undefined;
  private lastProblem = '';
  private leader: { emit: boolean; checkedAt: number } | undefined;

  constructor(
    private readonly cfg: FlinkRestConfig,
    private readonly ctx: Pick<SourceContext, 'name' | 'agent' | 'logger' | 'metrics' | 'status'>,
    private readonly me: LocalIdentity = localIdentity(),
    private readonly resolve: Resolver = dnsResolver,
  ) {
    const requests = ctx.metrics.counter('flink_rest_requests_total', 'REST requests sent to the JobManager (the load this source puts on it).');
    this.client = new RestClient({
      url: cfg.url, timeoutMs: cfg.timeout, maxConcurrency: cfg.max_concurrency, tls: cfg.tls, auth: cfg.auth, where: `sources.${ctx.name}`,
      onRequest: (path) => {
        requests.inc();
        ctx.logger.trace({ path }, 'GET'); // what the agent asks the JobManager, for whoever debugs its load
      },
    });
    this.base = { ...ctx.agent.labels, ...cfg.labels, cluster: ctx.agent.cluster, node: ctx.agent.node };
    this.requestErrors = ctx.metrics.counter('flink_rest_request_errors_total', 'REST requests that failed after /overview answered; their figures are missing from that round.');
    this.emitting = ctx.metrics.gauge('flink_rest_cluster_emitter', '1 when this agent emits cluster, job and vertex figures (emit_cluster_metrics), else 0.');
  }

  async collect(signal: AbortSignal): Promise<TelemetryRecord[]> {
    const b = new SampleBuilder(this.base, Date.now());
    let overview: R.OverviewResponse;
    try {
      overview = await this.client.get<R.OverviewResponse>('overview', signal);
    } catch (err) {
      return this.unreachable(err, b);
    }
    this.reachableAgain();
    b.add('flink_rest_up', {}, 1);
    const emit = await this.shouldEmit(signal);
    this.emitting.set(emit ? 1 : 0);
    if (!emit) return b.samples;

    mapOverview(overview, b);
    const events: TelemetryRecord[] = [];
    const [tms, jobs] = await Promise.all([
      this.tryGet<R.TaskManagersResponse>('taskmanagers', signal),
      this.tryGet<R.JobsOverviewResponse>('jobs/overview', signal),
    ]);
    if (tms) mapTaskManagers(tms, b.timestampMs, b);
    if (jobs) {
      mapJobCounts(jobs, b);
      await Promise.all(jobs.jobs.map((job) => this.collectJob(job, b, events, signal)));
      this.forgetGone(jobs.jobs);
    }
    return [...b.samples, ...events];
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async collectJob(job: Job, b: SampleBuilder, events: TelemetryRecord[], signal: AbortSignal): Promise<void> {
    const labels = jobLabels(job.jid, job.name);
    mapJobState(labels, job.state, this.jobStates.get(job.jid), b);
    this.jobStates.set(job.jid, job.state);
    const terminal = TERMINAL_STATES.has(job.state);
    if (terminal && this.finished.has(job.jid)) return;

    const jid = encodeURIComponent(job.jid);
    const [details, checkpoints, exceptions, metrics] = await Promise.all([
      this.jobDetails(job, signal),
      this.tryGet<R.CheckpointsResponse>(`jobs/${jid}/checkpoints`, signal),
      this.cfg.events ? this.tryGet<R.ExceptionsResponse>(`jobs/${jid}/exceptions?maxExceptions=${this.cfg.max_exceptions}`, signal) : undefined,
      this.cachedMetrics<R.MetricValuesResponse>(`${job.jid}/`, `jobs/${jid}/metrics?get=${JOB_METRIC_NAMES.join(',')}`, b.timestampMs, signal),
    ]);
    // The JobManager's clock for ages, so a skewed agent clock cannot distort them.
    const now = details?.now ?? b.timestampMs;
    if (details) mapJobDetails(labels, details, b);
    if (checkpoints) mapCheckpoints(labels, checkpoints, now, b);
    if (metrics) mapJobMetrics(labels, metrics, b);
    if (this.cfg.events) {
      const eventLabels = { ...this.base };
      if (details) events.push(...this.tracker.newStateChanges(details, eventLabels));
      if (exceptions) events.push(...this.tracker.newExceptions(job.jid, job.name, exceptions, eventLabels));
    }
    if (terminal && details && (exceptions || !this.cfg.events)) this.finished.add(job.jid);
    if (job.state === 'RUNNING' && this.cfg.vertex_metrics && details?.vertices) {
      await Promise.all(details.vertices.map(async (v) => {
        const agg = await this.vertexMetrics(job.jid, v.id, b.timestampMs, signal);
        if (agg) mapVertexMetrics(vertexLabels(labels, v), agg, now, b);
      }));
    }
  }

  /**
   * /jobs/:id only when Flink says the job changed (`last-modification` of /jobs/overview moves with every job
   * and task state change): the answer carries the plan, 100s of KB for SQL jobs. In between, the cached answer
   * is re-used with `now` advanced by the time that passed.
   */
  private async jobDetails(job: Job, signal: AbortSignal): Promise<R.JobDetailsResponse | undefined> {
    const cached = this.details.get(job.jid);
    const now = Date.now();
    if (cached && job['last-modification'] !== undefined && cached.lastModification === job['last-modification']) {
      return { ...cached.details, now: (cached.details.now ?? cached.fetchedAt) + (now - cached.fetchedAt) };
    }
    const details = await this.tryGet<R.JobDetailsResponse>(`jobs/${encodeURIComponent(job.jid)}`, signal);
    if (details && job['last-modification'] !== undefined) this.details.set(job.jid, { lastModification: job['last-modification'], details, fetchedAt: now });
    return details;
  }

  /** Aggregated metrics of one vertex, from cache while younger than metrics_min_interval. */
  private async vertexMetrics(jobId: string, vertexId: string, now: number, signal: AbortSignal): Promise<R.AggregatedMetricsResponse | undefined> {
    const key = `${jobId}/${vertexId}`;
    const path = `jobs/${encodeURIComponent(jobId)}/vertices/${encodeURIComponent(vertexId)}/subtasks/metrics`;
    let ids = this.metricNames.fresh(key, now, (list) => nameListMaxAge(list, this.cfg.metrics_min_interval));
    if (!ids) {
      const list = await this.tryGet<R.AggregatedMetricsResponse>(path, signal);
      if (!list) return undefined;
      ids = selectVertexMetricIds(list);
      this.metricNames.set(key, ids, now);
    }
    if (ids.length === 0) return undefined; // the task has not reported yet
    const query = `?get=${ids.map(encodeURIComponent).join(',')}&agg=${VERTEX_METRICS_AGG}`;
    const agg = await this.cachedMetrics<R.AggregatedMetricsResponse>(key, path + query, now, signal);
    // Flink answers [] for the WHOLE request when one asked id is unknown (e.g. after a restart re-created the
    // operators): the name list is out of date, so take a new one next round.
    if (agg?.length === 0) this.metricNames.delete(key);
    return agg;
  }

  private async cachedMetrics<T extends R.AggregatedMetricsResponse | R.MetricValuesResponse>(key: string, path: string, now: number, signal: AbortSignal): Promise<T | undefined> {
    const cached = this.metricValues.fresh(key, now, this.cfg.metrics_min_interval);
    if (cached) return cached as T;
    const fresh = await this.tryGet<T>(path, signal);
    if (fresh?.length) this.metricValues.set(key, fresh, now); // [] is not an answer worth keeping
    return fresh;
  }

  /** GET that turns failures into `undefined`: a 404 means "gone / not enabled" (quiet), others warn once. */
  private async tryGet<T>(path: string, signal: AbortSignal): Promise<T | undefined> {
    try {
      return await this.client.get<T>(path, signal);
    } catch (err) {
      if (signal.aborted) return undefined;
      if (err instanceof RestError && err.status === 404) {
        this.ctx.logger.debug({ path }, err.message);
        return undefined;
      }
      this.requestErrors.inc();
      const message = err instanceof Error ? err.message : String(err);
      // One warning per distinct failure (ids stripped), not one per round.
      const key = message.replace(/[0-9a-f]{32}/g, ':id');
      if (!this.warned.has(key) && this.warned.size < 100) {
        this.warned.add(key);
        this.ctx.logger.warn({ url: this.client.display }, `JobManager request failed: ${message}; that figure is skipped until it answers`);
      }
      return undefined;
    }
  }

  /** emit_cluster_metrics: always/never, or auto = this node hosts the JobManager (see leader.ts). */
  private async shouldEmit(signal: AbortSignal): Promise<boolean> {
    if (this.cfg.emit_cluster_metrics !== 'auto') return this.cfg.emit_cluster_metrics === 'always';
    const now = Date.now();
    if (this.leader && now - this.leader.checkedAt < LEADER_RECHECK_MS) return this.leader.emit;
    const conf = await this.tryGet<R.JobManagerConfigResponse>('jobmanager/config', signal);
    const rpc = conf?.find((e) => e.key === 'jobmanager.rpc.address')?.value;
    const host = jobManagerHost(this.client.base.hostname, rpc);
    const emit = await isLocalHost(host, this.me, this.resolve);
    if (this.leader?.emit !== emit) {
      this.ctx.logger.info(
        { jobmanager_host: host, rpc_address: rpc, node: this.ctx.agent.node },
        emit
          ? `JobManager host ${host} is this node: emitting cluster, job and vertex figures`
          : `JobManager host ${host} is not this node: leaving cluster, job and vertex figures to the agent there (emit_cluster_metrics: auto)`,
      );
    }
    this.leader = { emit, checkedAt: now };
    return emit;
  }

  private unreachable(err: unknown, b: SampleBuilder): TelemetryRecord[] {
    b.add('flink_rest_up', {}, 0);
    const retry = this.cfg.cron ? 'retrying at the next scheduled round' : `retrying in ${formatDuration(this.cfg.interval)}`;
    const e = err instanceof RestError ? err : undefined;
    const problem =
      e?.kind === 'http' ? `answered ${e.message.replace(/^GET \S+ answered /, '')} to GET /overview`
      : e?.kind === 'parse' ? 'did not answer JSON to GET /overview (is the URL the REST port?)'
      : `unreachable (${e?.code === 'TimeoutError' ? `no answer within ${formatDuration(this.cfg.timeout)}` : e?.code ?? String(err)})`;
    const message = `JobManager at ${this.client.display} ${problem}, ${retry}`;
    this.ctx.status.error(message);
    // One warning per change of state or cause, not one per round.
    if (this.reachable !== false || this.lastProblem !== problem) this.ctx.logger.warn(message);
    this.reachable = false;
    this.lastProblem = problem;
    this.leader = undefined;
    return b.samples;
  }

  private reachableAgain(): void {
    if (this.reachable === false) this.ctx.logger.info(`JobManager at ${this.client.display} answers again`);
    this.reachable = true;
    this.lastProblem = '';
    this.ctx.status.ok();
  }

  /** Caches and trackers follow the cluster: jobs no longer listed are forgotten, vertex caches only for RUNNING. */
  private forgetGone(jobs: Job[]): void {
    const listed = new Set(jobs.map((j) => j.jid));
    this.tracker.retain(listed);
    for (const id of [...this.jobStates.keys(), ...this.finished]) if (!listed.has(id)) { this.jobStates.delete(id); this.finished.delete(id); }
    for (const j of jobs) if (TERMINAL_STATES.has(j.state)) this.details.delete(j.jid);
    for (const id of this.details.keys()) if (!listed.has(id)) this.details.delete(id);
    const running = new Set(jobs.filter((j) => j.state === 'RUNNING').map((j) => `${j.jid}/`));
    this.metricValues.retainPrefixes(new Set(jobs.filter((j) => !TERMINAL_STATES.has(j.state)).map((j) => `${j.jid}/`)));
    this.metricNames.retainPrefixes(running);
  }
}
