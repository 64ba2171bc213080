/**
 * An enforcer's life with its controller: registered while it holds a seat (proved by the seat's signed lease
 * token, sent on registration and with every heartbeat), heartbeating, leaving the moment
 * the seat is lost (license expired, replaced, LM gone past the lease), and registering again when the SDK gets
 * the seat back. The SDK's change event wakes it at once; a timer covers everything else.
 */
import type { LicenseView } from '../license-view.js';
import type { ControllerClient } from './controller-client.js';

export interface AgentOptions {
  nodeId: string;
  /** Shown on the controller's status page; null sends none. */
  host: string | null;
  connection: LicenseView;
  controller: ControllerClient;
  /** How soon to try again while not registered. */
  retryMs: number;
  out: (line: string) => void;
  err: (line: string) => void;
}

export class EnforcerAgent {
  private session: string | null = null;
  private leaseId: string | null = null;
  private heartbeatMs: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private lastProblem: string | null = null;
  private readonly wake = () => void this.tick();

  constructor(private readonly options: AgentOptions) {
    this.heartbeatMs = options.retryMs;
  }

  get registered(): boolean {
    return this.session !== null;
  }

  start(): Promise<void> {
    this.options.connection.on('change', this.wake);
    return this.tick();
  }

  /** Leaves the controller (if registered) and stops; the caller closes the connection, releasing the seat. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.options.connection.off('change', this.wake);
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.leave();
  }

  /** Runs one step; a wake-up during a step runs another right after, never two at once. */
  private tick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    if (this.timer) clearTimeout(this.timer);
    this.running = (async () => {
      do {
        this.again = false;
        await this.step();
      } while (this.again && !this.stopped);
    })()
      // tick() runs from timers and events as `void this.tick()`: a rejection there would end the process.
      .catch((error: unknown) => {
        this.problem(
          `guard: enforcer ${this.options.nodeId} hit an unexpected error (${(error as Error)?.message ?? String(error)}); retrying`,
        );
      })
      .finally(() => {
        this.running = null;
        if (!this.stopped) this.timer = setTimeout(this.wake, this.session ? this.heartbeatMs : this.options.retryMs);
      });
    return this.running;
  }

  private async step(): Promise<void> {
    if (this.stopped) return;
    const { nodeId, connection, controller } = this.options;
    const state = connection.status();
    const seat = state.licensed ? state.seat : null;
    if (!seat) {
      const wasRegistered = this.session !== null;
      await this.leave();
      const sentence = `guard: enforcer ${nodeId} has no seat: ${state.message} [${state.code}]; ${wasRegistered ? 'left the controller, ' : ''}waiting for the seat to return`;
      this.problem(sentence, wasRegistered);
      return;
    }
    if (this.session && this.leaseId !== seat.leaseId) await this.leave(); // a new seat (after an LM restart): register it
    if (this.session) {
      const answer = await controller.heartbeat(nodeId, this.session, seat.token);
      if (answer.ok) return;
      if (answer.reachable && [401, 403, 404].includes(answer.status)) {
        this.session = null; // the controller dropped us; register again at once (its refusal then says why)
      } else {
        this.problem(`guard: enforcer ${nodeId} cannot heartbeat to the controller at ${controller.url}: ${describe(answer)}; retrying`);
        return;
      }
    }
    const answer = await controller.register(nodeId, seat.token, this.options.host);
    if (!answer.ok) {
      this.problem(`guard: enforcer ${nodeId} is not registered with the controller at ${controller.url}: ${describe(answer)}; retrying`);
      return;
    }
    this.session = answer.value.session;
    this.leaseId = seat.leaseId;
    // Within what the controller's own --heartbeat-ms allows, so an odd answer neither spins nor stalls the timer.
    const asked = answer.value.heartbeatMs;
    this.heartbeatMs = asked > 0 ? Math.min(Math.max(asked, 100), 600_000) : this.options.retryMs;
    this.lastProblem = null;
    this.options.out(`guard enforcer ${nodeId} connected to ${controller.url}`);
  }

  private async leave(): Promise<void> {
    if (!this.session) return;
    const session = this.session;
    this.session = null;
    this.leaseId = null;
    // Best effort: a controller that cannot be told drops us anyway once the heartbeats stop.
    await this.options.controller.leave(this.options.nodeId, session);
  }

  /** Prints a problem once, not at every retry; `force` prints it even if it was the last one printed. */
  private problem(sentence: string, force = false): void {
    if (sentence === this.lastProblem && !force) return;
    this.lastProblem = sentence;
    this.options.err(sentence);
  }
}

function describe(answer: { reachable: boolean; message: string; code?: string }): string {
  return answer.reachable ? `${answer.message} [${answer.code}]` : `it cannot be reached (${answer.message})`;
}
