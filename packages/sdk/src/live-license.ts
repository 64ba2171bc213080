/**
 * What watch() and connect() share: the current state, `change` listeners, and the background loop. Rounds and
 * deadlines run on the injected timers (Node's, unref'd, by default, so the SDK never keeps a product's process
 * alive), and rounds never overlap (the next is scheduled when one ends). A `hold` timer ends a state at a
 * deadline (a lease running out, an outage grace ending) even if no round happens then. Deadlines are measured on
 * the timers' monotonic clock (elapsed time), never on the wall clock: a clock set forward must not end a lease
 * early, nor one set back keep it longer. A deadline further away than one timer can wait (Node's fire at once
 * beyond 2^31 ms, under 25 days; a grace may be 90) is reached in steps of a day.
 * close() waits for a round under way (bounded) before onClose(), so a checkout in flight is released, not
 * left to run out; once closed, no timer is armed again.
 */
import { changed, copyState } from './state.js';
import type { ChangeListener, LicenseState, LicenseWatch, SdkTimers } from './types.js';

/** The longest single wait armed for a deadline; a later one is re-armed from there. */
const MAX_WAIT_MS = 24 * 3_600_000;

export abstract class LiveLicense implements LicenseWatch {
  protected closed = false;
  private readonly listeners = new Set<ChangeListener>();
  private roundTimer: unknown = null;
  private holdTimer: unknown = null;
  private closing: Promise<void> | null = null;
  /** The round under way, if any: close() waits for it. */
  private running: Promise<void> | null = null;

  /**
   * @param closeWaitMs how long close() waits for a round under way before it gives up on it
   * @param timers what schedules rounds and deadlines
   */
  protected constructor(
    protected state: LicenseState,
    private readonly closeWaitMs: number,
    private readonly timers: Required<SdkTimers>,
  ) {}

  /** Monotonic milliseconds, for deadlines: hold() takes a deadline on this clock. */
  protected elapsed(): number {
    return this.timers.now();
  }

  status(): LicenseState {
    return copyState(this.state);
  }

  isEnabled(feature: string): boolean {
    return this.state.licensed && this.state.features.includes(feature);
  }

  limit(name: string): number {
    return this.state.licensed ? (this.state.limits[name] ?? 0) : 0;
  }

  on(event: 'change', listener: ChangeListener): this {
    if (event === 'change') this.listeners.add(listener);
    return this;
  }

  off(event: 'change', listener: ChangeListener): this {
    if (event === 'change') this.listeners.delete(listener);
    return this;
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.clearTimers();
      this.closing = this.afterRound().then(() => this.onClose());
    }
    return this.closing;
  }

  /** Resolves when the round under way has ended, or after closeWaitMs. */
  private async afterRound(): Promise<void> {
    const running = this.running;
    if (!running) return;
    let timer: NodeJS.Timeout | undefined;
    // Real time: this bounds a wait for the network (the round's requests), not the SDK's schedule.
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.closeWaitMs);
      timer.unref();
    });
    await Promise.race([running, waited]);
    clearTimeout(timer);
  }

  /** One round of talking to the LM; never throws. */
  protected abstract round(): Promise<void>;

  /** How long until the next round. */
  protected abstract interval(): number;

  protected abstract onClose(): Promise<void>;

  /** Sets the state and tells the listeners when it changed in a way they care about. */
  protected update(next: LicenseState): void {
    if (this.closed) return;
    const previous = this.state;
    this.state = next;
    if (!changed(previous, next)) return;
    for (const listener of [...this.listeners]) {
      try {
        listener(copyState(next), copyState(previous));
      } catch (error) {
        // A listener's bug is the product's to see, as with any event emitter, but must not stop the heartbeats.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  protected startRounds(): void {
    this.scheduleRound();
  }

  private scheduleRound(): void {
    if (this.closed) return;
    this.roundTimer = this.timers.setTimeout(() => {
      this.roundTimer = null;
      const running = this.round().finally(() => {
        this.running = null;
        this.scheduleRound();
      });
      this.running = running;
      void running;
    }, this.interval());
  }

  /** Runs `lapse` at `deadline` (on the elapsed() clock) unless hold() or unhold() is called again before. */
  protected hold(deadline: number, lapse: () => void): void {
    this.unhold();
    if (this.closed) return;
    const wait = Math.max(0, deadline - this.elapsed());
    this.holdTimer = this.timers.setTimeout(
      () => {
        this.holdTimer = null;
        if (this.closed) return;
        if (wait > MAX_WAIT_MS) this.hold(deadline, lapse);
        else lapse();
      },
      Math.min(wait, MAX_WAIT_MS),
    );
  }

  protected unhold(): void {
    if (this.holdTimer !== null) this.timers.clearTimeout(this.holdTimer);
    this.holdTimer = null;
  }

  private clearTimers(): void {
    if (this.roundTimer !== null) this.timers.clearTimeout(this.roundTimer);
    this.roundTimer = null;
    this.unhold();
  }
}
