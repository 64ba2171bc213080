/**
 * Runs the License Center's background jobs, one after the other, every `periodMs`. A round never overlaps the
 * next: the next one is timed from the end of this one, so a slow job delays the jobs after it instead of
 * piling up rounds that compete for the same claims and connections. A job that fails is logged with its name
 * and the others still run; a job that takes longer than the period is logged as a warning naming it, so a
 * stall shows in the log instead of as silence. Tests run a round with `runOnce()` and inject the timers.
 */

export interface BackgroundJob {
  /** Shown in the log: mail-delivery, contract-renewals, … */
  readonly name: string;
  run(): Promise<void>;
}

/** What the scheduler measures and waits with: real time by default (not the business clock, which tests move). */
export interface JobTimers {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SchedulerLogger {
  warn(obj: object, msg: string): void;
}

export const realTimers: JobTimers = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class JobScheduler {
  private readonly jobs: readonly BackgroundJob[];
  private readonly periodMs: number;
  private readonly timers: JobTimers;
  private readonly logger: SchedulerLogger;
  private timer: unknown = null;
  private round: Promise<void> | null = null;
  private stopped = true;

  private readonly onRun: (job: string, outcome: 'ok' | 'failed') => void;

  constructor(options: {
    jobs: readonly BackgroundJob[];
    periodMs: number;
    logger: SchedulerLogger;
    timers?: JobTimers;
    /** Told of every run and how it ended (the metrics count them). */
    onRun?: (job: string, outcome: 'ok' | 'failed') => void;
  }) {
    this.onRun = options.onRun ?? (() => {});
    this.jobs = options.jobs;
    this.periodMs = options.periodMs;
    this.logger = options.logger;
    this.timers = options.timers ?? realTimers;
  }

  /** Starts the rounds: the first one after one period. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  /** No new round starts; resolves when the round in flight (if any) has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    await this.round;
  }

  /**
   * Runs every job once, in order, and resolves when all have ended; a round already in flight is waited for
   * instead of starting a second one beside it. Never rejects.
   */
  runOnce(): Promise<void> {
    this.round ??= this.runJobs().finally(() => (this.round = null));
    return this.round;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      void this.runOnce().then(() => this.schedule());
    }, this.periodMs);
  }

  private async runJobs(): Promise<void> {
    for (const job of this.jobs) {
      const started = this.timers.now();
      try {
        await job.run();
        this.onRun(job.name, 'ok');
      } catch (error) {
        this.onRun(job.name, 'failed');
        // A database outage must not end the process (an unhandled rejection would): log, and try next round.
        this.logger.warn({ err: error, job: job.name }, `background job ${job.name} failed; it runs again in the next round`);
      }
      const ms = Math.round(this.timers.now() - started);
      if (ms > this.periodMs)
        this.logger.warn(
          { job: job.name, ms, periodMs: this.periodMs },
          `background job ${job.name} took ${ms} ms, longer than the job period of ${this.periodMs} ms; the jobs after it ran late`,
        );
    }
  }
}
