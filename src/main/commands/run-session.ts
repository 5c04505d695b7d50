import { existsSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import { resolve } from 'node:path';
import { admissionWindow } from '../config/limits.ts';
import { mebibytes } from '../config/parsers.ts';
import { type Config, secondOpinionsOn } from '../config/schema.ts';
import type { BatchJobs } from '../providers/batch/batch-jobs.ts';
import { EXIT, RunAborted, UsageError } from '../errors.ts';
import { RUN_STOPS } from '../failure-codes.ts';
import { AdmissionControl } from '../intake/admission-control.ts';
import { StopSignals } from '../intake/stop-signals.ts';
import { ByteBudget } from '../intake/byte-budget.ts';
import { billingTier, Pricing } from '../models/pricing.ts';
import { worstCaseCostPerFile } from '../models/request-budget.ts';
import { ResultsFile } from '../output/results-file.ts';
import { type PipelineEnd, runPipeline } from '../pipeline/pipeline.ts';
import { PreparePool, prepareTask } from '../pipeline/prepare-pool.ts';
import type { PrepareTask } from '../../workers/protocol.ts';
import { resumeBanner, resumeState, type ResumeState } from '../pipeline/run-identity.ts';
import { StepPlan } from '../pipeline/step-plan.ts';
import { DuplicateInvoices } from '../checks/duplicate-invoices.ts';
import type { AnswerRoute, DocumentRef } from '../pipeline/answer-route.ts';
import { LocalRoute } from '../pipeline/local-route.ts';
import { RemoteRoute } from '../queue/remote-route.ts';
import { loadProfile, type Profile } from '../profiles/profile.ts';
import { LiveView } from '../progress/live-view.ts';
import { RunSampler } from '../progress/run-sampler.ts';
import { RunStats } from '../progress/run-stats.ts';
import { formatLearnedLimits, formatRunSummary } from '../progress/run-summary.ts';
import { answerSettings, chooseProvider, fallbackFor, geminiQuestions, splitAbove } from '../providers/choose-provider.ts';
import { GeminiFingerprints } from '../providers/gemini/gemini-fingerprints.ts';
import { GeminiProvider } from '../providers/gemini/gemini-provider.ts';
import { preflightModels } from '../providers/gemini/preflight.ts';
import type { ModelLimiter } from '../providers/gemini/model-limiter.ts';
import type { Provider, StepFingerprints } from '../providers/provider.ts';
import type { FileRecord } from '../state/record.ts';
import type { RunFileState, RunInfo, RunState } from '../state/store.ts';
import { RunLock } from '../state/run-lock.ts';
import { Store } from '../state/store.ts';
import { DEFAULT_QUEUE } from '../queue/file-job.ts';
import { QueueCoordinator } from '../queue/queue-coordinator.ts';
import { QueueWorker } from '../queue/queue-worker.ts';
import { RedisOutages, redisLabel } from '../queue/redis-connection.ts';

export interface RunIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stderr: NodeJS.WriteStream;
  /** Draw the dashboard (when stderr is a terminal); else plain progress lines. */
  readonly tui: boolean;
  /** Seconds between plain progress lines. */
  readonly progressEverySeconds: number;
  /** `--queue`: workers on any machine answer the files through this Redis; this process coordinates. */
  readonly queue?: QueueOptions;
}

export interface QueueOptions {
  /** redis:// or rediss:// (a password in it never leaves this process). */
  readonly url: string;
  readonly name: string;
  /** Also take jobs in this process (unless --no-local). */
  readonly local: boolean;
  /** How long a worker's claim on a job lasts unrenewed (see QueueWorker). */
  readonly lockMs: number;
}

/**
 * One `docpool run` from set-up to teardown: the profile, provider, state folder and run record,
 * results sink, prepare pool, admission and stop signals, and what the user watches. `start`
 * opens them in order; `close` releases every one of them, whatever happened in between.
 */
export class RunSession {
  readonly #stats = new RunStats();
  readonly #admission = new AdmissionControl();
  /** Aborts requests still in flight once the drain deadline passes. */
  readonly #hardStop = new AbortController();
  readonly #pool: PreparePool;
  #provider: Provider | undefined;
  /** This process's model limiters (none offline, or when the queue's workers send the requests). */
  #limiters: readonly ModelLimiter[] = [];
  /** Batch mode's jobs (--batch). */
  #batch: BatchJobs | undefined;
  /** Which steps a file takes, their cache keys and the run's identity (with who answers and its fallback). */
  #plan: StepPlan<StepFingerprints> | undefined;
  /** How files the caches cannot answer are answered: here, or by the queue's workers. */
  #route: AnswerRoute | undefined;
  #store: Store | undefined;
  #coordinator: QueueCoordinator | undefined;
  #localWorker: QueueWorker | undefined;
  #results: ResultsFile | undefined;
  #lock: RunLock | undefined;
  #signals: StopSignals | undefined;
  #view: LiveView | undefined;
  #sampler: RunSampler | undefined;
  #runId = '';
  #inputs: readonly string[] = [];
  #resume: ResumeState | undefined;
  /** When this attempt started: records committed since are this attempt's own. */
  readonly #attemptStartedAt = Date.now();
  /** When the run was first started (an earlier attempt's time when resuming). */
  #createdAt = this.#attemptStartedAt;

  private constructor(
    private readonly paths: readonly string[],
    private readonly config: Config,
    private readonly io: RunIo,
    private readonly profile: Profile,
  ) {
    // Every in-flight request listens on this signal; with a wide window that is many listeners by design.
    setMaxListeners(0, this.#hardStop.signal);
    this.#pool = PreparePool.forConfig(config);
  }

  static async start(paths: readonly string[], config: Config, io: RunIo): Promise<RunSession> {
    const session = new RunSession(paths, config, io, loadProfile(config.profile));
    try {
      await session.#open();
      return session;
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  async #open(): Promise<void> {
    const { config, io, profile, paths } = this;
    // The output is checked before anything else happens: a bad -o costs nothing and marks no run.
    this.#results = ResultsFile.open(config.out, () => profile, paths);
    this.#store = Store.open(resolve(config.db));
    this.#lock = RunLock.acquire(resolve(config.db), (message) => io.stderr.write(message));
    if (io.queue && config.batch) throw new UsageError('--queue: batch mode runs from one machine; drop --batch or --queue');
    // A coordinator that takes no jobs itself (--no-local) sends no request: without a key it
    // needs only the questions' fingerprints, to name the cache keys and the jobs.
    const sendsNothing = io.queue !== undefined && !io.queue.local && !io.env.GEMINI_API_KEY && !io.env.GOOGLE_API_KEY && config.provider !== 'offline';
    const chosen = sendsNothing
      ? undefined
      : chooseProvider(config, profile, {
          env: io.env,
          notify: (message) => io.stderr.write(message),
          stopSignal: this.#hardStop.signal,
          onRetry: () => this.#stats.retried(),
          onAnswer: (step, model, usage) => this.#stats.answered(step, model, usage),
          store: this.#store,
          db: resolve(config.db),
        });
    this.#provider = chosen?.provider;
    this.#batch = chosen?.batch;
    // Before any file is read: a retired or unserved model stops here, with nothing sent but models.get.
    if (this.#provider instanceof GeminiProvider && !config.cancel) {
      const roles = [
        { model: config.classifyModel, flag: '--classify-model' },
        { model: config.extractModel, flag: '--extract-model' },
        ...(config.escalateModel && secondOpinionsOn(config) ? [{ model: config.escalateModel, flag: '--escalate-model' }] : []),
      ];
      this.#provider.adoptServedModels(
        await preflightModels(this.#provider.client, roles, config.batch ? 'batchGenerateContent' : 'generateContent', today(), (message) =>
          io.stderr.write(message),
        ),
      );
    }
    if (this.#batch && !config.cancel) {
      const attached = await this.#batch.recover();
      if (attached > 0)
        io.stderr.write(
          `docpool: re-attached to ${attached} batch job${attached === 1 ? '' : 's'} an earlier run left; their answers are collected, not asked again\n`,
        );
    }
    const answerer = this.#provider ?? new GeminiFingerprints(geminiQuestions(config, profile, io.env));
    const fallback = fallbackFor(config, profile, answerer);
    if (this.#provider && !io.queue) {
      const plan = new StepPlan(this.#provider, fallback, profile, config.passes, config.eInvoice, answerSettings(config), splitAbove(config));
      this.#plan = plan;
      this.#route = this.#localRoute(plan);
    } else {
      this.#plan = new StepPlan<StepFingerprints>(answerer, fallback, profile, config.passes, config.eInvoice, answerSettings(config), splitAbove(config));
      this.#route = await this.#openQueue(io.queue!, this.#plan);
    }
    const identity = this.#plan.runIdentity(paths, config.include);
    this.#runId = identity.id;
    this.#inputs = identity.inputs;
    this.#resume = resumeState(this.#store, this.#runId);
    this.#createdAt = this.#resume.previous?.createdAt ?? this.#createdAt;
    const banner = resumeBanner(this.#runId, this.#resume, config.retryFailed);
    if (banner) io.stderr.write(`${banner}\n`);
    await this.#saveRun('running');
    // A batch job answers in minutes to hours: a stop waits only for jobs being submitted, then leaves them running.
    const drainMs = config.batch ? Math.min(config.drainTimeoutMs, BATCH_DRAIN_MS) : config.drainTimeoutMs;
    this.#signals = new StopSignals(this.#admission, this.#hardStop, drainMs, (message) => {
      if (!this.#view?.drawing) io.stderr.write(message);
    });
    // With --queue the requests are the workers': this process's own limiters stay idle, not shown.
    const limiters = (this.#limiters = this.#provider instanceof GeminiProvider && !this.#coordinator ? this.#provider.limiters() : []);
    this.#sampler = new RunSampler({
      store: this.#store,
      runId: this.#runId,
      attemptStartedAt: this.#attemptStartedAt,
      stats: this.#stats,
      limiters: () => limiters.map((limiter) => limiter.stats()),
    });
    this.#view = LiveView.start(
      {
        runId: this.#runId,
        provider: this.#plan.provider.name,
        stats: this.#stats,
        limiters: () => limiters.map((limiter) => limiter.stats()),
        pool: () => this.#pool.stats(),
        paused: () => this.#admission.paused,
        stopping: () => this.#admission.signal.aborted,
        queue: () => this.#coordinator?.latest(),
      },
      {
        togglePause: () => this.#admission.togglePause(),
        changeConcurrency: (direction) => {
          for (const limiter of limiters) {
            const ceiling = limiter.stats().maxConcurrency;
            limiter.setMaxConcurrency(ceiling + direction * Math.max(1, Math.round(ceiling * 0.1)));
          }
        },
        stop: () => this.#signals?.stop(),
      },
      io,
    );
  }

  /** The queue this run coordinates, and (unless --no-local) a worker of it in this process, sharing its pool. */
  async #openQueue(queue: QueueOptions, plan: StepPlan<StepFingerprints>): Promise<AnswerRoute> {
    const { config, io } = this;
    const outages = new RedisOutages(queue.url, (message) => io.stderr.write(message));
    this.#coordinator = await QueueCoordinator.open({
      url: queue.url,
      queue: queue.name,
      config,
      plan,
      outages,
      stop: this.#hardStop.signal,
      notify: (message) => io.stderr.write(message),
    });
    io.stderr.write(
      `docpool: coordinating through ${redisLabel(queue.url)} (queue ${queue.name}); start workers with: docpool worker --queue ${redisLabel(queue.url)}${queue.name === DEFAULT_QUEUE ? '' : ` --queue-name ${queue.name}`}\n`,
    );
    const route = new RemoteRoute({ taskFor: this.#taskFor(plan), pool: this.#pool, plan, store: this.#store!, stats: this.#stats, queue: this.#coordinator });
    if (!queue.local) return route;
    this.#localWorker = new QueueWorker({
      url: queue.url,
      queue: queue.name,
      pool: this.#pool,
      threads: config.workers,
      lockMs: queue.lockMs,
      env: io.env,
      notify: (message) => io.stderr.write(message),
      outages,
      stop: this.#hardStop.signal,
      onUnusable: (error) => {
        io.stderr.write(`docpool: this process takes no queue jobs: ${error.message}\n`);
        void this.#localWorker?.close();
      },
    });
    return route;
  }

  /** Files prepared in this process's pool and asked through its own provider (online or batch). */
  #localRoute(plan: StepPlan): AnswerRoute {
    return new LocalRoute({
      taskFor: this.#taskFor(plan),
      pool: this.#pool,
      plan,
      store: this.#store!,
      stats: this.#stats,
      bytesInFlight: new ByteBudget(mebibytes(this.config.maxInflightMb)),
    });
  }

  /** The prepare task for a file; the rules read the text in the worker, under its deadline, whenever they may answer. */
  #taskFor(plan: StepPlan<StepFingerprints>): (document: DocumentRef, buildSubset: boolean) => PrepareTask {
    const rules = plan.provider.name === 'offline' || plan.fallback !== undefined;
    // Scans and photos are read by OCR only when the rules answer every file: Gemini reads the pages themselves.
    const ocr = plan.provider.name === 'offline';
    return (document, buildSubset) =>
      prepareTask(this.config, document.path, {
        subset: buildSubset,
        rules,
        ocr,
        eInvoice: plan.readsEInvoices,
        part: document.part?.index,
        ...(document.range ? { range: document.range } : {}),
        ...(plan.splitAbove !== undefined ? { splitAbove: plan.splitAbove } : {}),
      });
  }

  /** `--batch --cancel`: cancels the jobs still running and says which; the exit code. */
  async cancelBatchJobs(): Promise<number> {
    const cancelled = await this.#batch!.cancelAll();
    this.io.stderr.write(
      cancelled.length === 0
        ? 'docpool: no batch job of this state folder is running; nothing to cancel\n'
        : `docpool: cancelled ${cancelled.length} batch job${cancelled.length === 1 ? '' : 's'} (${cancelled.map((job) => job.name ?? job.displayName).join(', ')}); their files are asked again by the next run\n`,
    );
    return EXIT.ok;
  }

  runPipeline(): Promise<PipelineEnd> {
    const { config, paths } = this;
    const plan = this.#plan!;
    return runPipeline({
      inputs: { paths, include: config.include, expand: (path) => this.#pool.expand(prepareTask(config, path, { subset: false, rules: false })) },
      window: admissionWindow(config, plan.provider.name === 'gemini'),
      route: this.#route!,
      plan,
      store: this.#store!,
      duplicates: new DuplicateInvoices(plan.profile, this.#store!),
      sink: this.#results!,
      stats: this.#stats,
      admission: {
        signal: this.#admission.signal,
        waitWhilePaused: () => this.#admission.waitWhilePaused(),
        cancelRequests: () => this.#hardStop.abort(),
        ...(config.maxCost === undefined
          ? {}
          : {
              budget: {
                maxCostUsd: config.maxCost,
                priorCostPerFile: worstCaseCostPerFile(
                  new Pricing(config.price, billingTier(config)),
                  config.classifyModel,
                  config.extractModel,
                  config.pages,
                  config.mediaResolution,
                ),
              },
            }),
      },
      resume: { runId: this.#runId, retryFailed: config.retryFailed },
    });
  }

  /** Records how the run ended, prints the summary, and returns the exit code. */
  async finish(pipelineEnd: PipelineEnd): Promise<number> {
    const snapshot = this.#stats.snapshot();
    await this.#sampler?.stop();
    let end = pipelineEnd;
    try {
      // Whatever ended the attempt, the results file now holds every committed record of the run.
      await this.#results!.publish(recordsToPublish(this.#store!.runFiles(this.#runId), this.#attemptStartedAt));
    } catch (error) {
      if (!(error instanceof RunAborted)) throw error;
      end = { kind: 'aborted', code: error.code, message: error.message };
    }
    try {
      await this.#saveRun(endState(end));
    } catch (error) {
      // The state folder cannot be written (the disk is full): the files committed stand, the run's end goes unrecorded.
      if (!(error instanceof RunAborted)) throw error;
      if (end.kind !== 'aborted') end = { kind: 'aborted', code: error.code, message: error.message };
    }
    if (end.kind === 'complete') await this.#batch?.settle();
    await this.#view?.close();
    this.io.stderr.write(`${formatRunSummary(snapshot, end, { out: this.config.out, db: this.config.db })}\n`);
    for (const line of formatLearnedLimits(this.#limiters.map((limiter) => limiter.stats()))) this.io.stderr.write(`${line}\n`);
    if (this.#view) this.io.stderr.write(`${this.#view.healthLine()}\n`);
    const running = this.#batch?.running() ?? [];
    if (running.length > 0) {
      this.io.stderr.write(
        `docpool: ${running.length} batch job${running.length === 1 ? ' is' : 's are'} still running at Google (see docpool status); run the same command again to collect the answers, or add --cancel to cancel ${running.length === 1 ? 'it' : 'them'}\n`,
      );
    }
    if (end.kind !== 'complete') return RUN_STOPS[end.code].exit;
    return snapshot.failed > 0 ? EXIT.someFailed : EXIT.ok;
  }

  async close(): Promise<void> {
    this.#signals?.dispose();
    await this.#view?.close();
    await this.#batch?.close();
    await this.#localWorker?.close();
    await this.#coordinator?.close();
    await Promise.all([this.#pool.close(), this.#provider?.close(), this.#results?.close(), this.#sampler?.stop()]);
    await this.#store?.close();
    this.#lock?.release();
  }

  /** The run record: created on the first attempt, its counts and state updated by each. */
  async #saveRun(state: RunState): Promise<void> {
    const previous = this.#resume?.previous;
    const snapshot = this.#stats.snapshot();
    const discovered = state !== 'running' && snapshot.discoveryDone ? snapshot.discovered : previous?.discovered;
    const { config, profile } = this;
    const run: RunInfo = {
      id: this.#runId,
      inputs: this.#inputs,
      createdAt: this.#createdAt,
      updatedAt: Date.now(),
      state,
      filesRead: snapshot.filesRead,
      statHits: snapshot.statHits,
      ...(discovered === undefined ? {} : { discovered }),
      settings: {
        provider: this.#plan!.provider.name,
        profile: profile.name,
        classifyModel: config.classifyModel,
        extractModel: config.extractModel,
        pages: config.pages,
        inputMode: config.inputMode,
        passes: config.passes,
        quotaWindowMs: config.quotaWindowMs,
      },
    };
    await this.#store!.putRun(run);
  }
}

const BATCH_DRAIN_MS = 3000;

/** Today as Google's pages date things (UTC). */
function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/**
 * The run's records for the results file: everything this attempt committed, and from earlier
 * attempts the records of files that still exist (a file deleted since is no longer part of the run;
 * one stat per older record, about a second for 100,000).
 */
function* recordsToPublish(states: Iterable<RunFileState>, attemptStartedAt: number): Generator<FileRecord> {
  for (const state of states) {
    if ((state.committedAt ?? 0) >= attemptStartedAt || existsSync(state.record.path)) yield state.record;
  }
}

function endState(end: PipelineEnd): RunState {
  if (end.kind === 'complete') return 'complete';
  if (end.kind === 'aborted') return 'aborted';
  return end.code === 'INTERRUPTED' ? 'interrupted' : 'stopped';
}
