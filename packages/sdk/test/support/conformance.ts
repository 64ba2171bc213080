/**
 * This SDK's runner of the conformance scenarios (sdks/conformance/scenarios.json, README.md there): world steps go
 * to the world server's control API, SDK steps are done here with connect() and watch(), on timers a step moves
 * ahead. The Go runner (sdks/go/conformance_test.go) does the same steps with the Go SDK.
 */
import { isDeepStrictEqual } from 'node:util';
import { connect, LicenseError, verifySeat, watch } from '@tessera/sdk';
import type { LicenseState, LicenseWatch } from '@tessera/sdk';
import { TestTimers } from './timers.js';

export interface Scenario {
  name: string;
  steps: Step[];
}
export type Step = Record<string, any>;

/** The state every runner compares: the same fields in every language. */
export function canonical(state: LicenseState) {
  return {
    licensed: state.licensed,
    status: state.status,
    code: state.code,
    licenseId: state.licenseId,
    serial: state.serial,
    daysLeft: state.daysLeft,
    features: state.features,
    limits: state.limits,
    nodes: state.nodes,
    outageGraceHours: state.outageGraceHours,
    seat: state.seat !== null,
    degraded: state.outage !== null,
  };
}

/** Every key of `expect` equals the state's (isEnabled and limit ask the SDK's methods); why not, or null. */
function mismatch(live: LicenseWatch, state: LicenseState, expect: Record<string, any>): string | null {
  const shown = canonical(state) as Record<string, unknown>;
  for (const [key, want] of Object.entries(expect)) {
    if (key === 'isEnabled' || key === 'limit') {
      for (const [name, value] of Object.entries(want as Record<string, unknown>)) {
        const got = key === 'isEnabled' ? live.isEnabled(name) : live.limit(name);
        if (got !== value) return `${key}(${name}) is ${JSON.stringify(got)}, expected ${JSON.stringify(value)}`;
      }
    } else if (!isDeepStrictEqual(shown[key], want)) {
      return `${key} is ${JSON.stringify(shown[key])}, expected ${JSON.stringify(want)}`;
    }
  }
  return null;
}

const partialMatch = (state: Record<string, unknown>, expect: Record<string, unknown>) =>
  Object.entries(expect).every(([key, value]) => isDeepStrictEqual(state[key], value));

interface Instance {
  live: LicenseWatch;
  changes: ReturnType<typeof canonical>[];
}

export class ScenarioRun {
  private readonly timers = new TestTimers();
  private readonly instances = new Map<string, Instance>();
  private addresses: Record<string, string> = {};

  constructor(
    private readonly worldUrl: string,
    private readonly product: string,
    private readonly root: string,
  ) {}

  async run(scenario: Scenario): Promise<void> {
    for (const [i, step] of scenario.steps.entries()) {
      try {
        await this.step(step);
      } catch (error) {
        throw new Error(`step ${i + 1} ${JSON.stringify(step)}: ${(error as Error).message}`, { cause: error });
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.instances.values()].map((i) => i.live.close()));
  }

  private async step(step: Step): Promise<void> {
    if (step.world !== undefined) return this.worldStep(step);
    switch (step.sdk) {
      case 'connect':
        return this.connect(step);
      case 'watch':
        return this.watch(step);
      case 'state': {
        const { live } = this.instance(step.of);
        const why = mismatch(live, live.status(), step.expect);
        if (why) throw new Error(why);
        return;
      }
      case 'await':
        return this.until(step.of, step.withinMs ?? 15_000, (live) => mismatch(live, live.status(), step.until));
      case 'awaitRenewal': {
        const first = this.instance(step.of).live.status().seat;
        if (!first) throw new Error('it holds no seat to renew');
        return this.until(step.of, step.withinMs ?? 15_000, (live) => {
          const seat = live.status().seat;
          if (step.sameLease && seat && seat.leaseId !== first.leaseId) return `another lease ${seat.leaseId}, not ${first.leaseId}`;
          return seat && seat.token !== first.token && Date.parse(seat.expiresAt) > Date.parse(first.expiresAt) ? null : 'no renewal';
        });
      }
      case 'changes':
        return this.changes(step);
      case 'verifySeat':
        return this.verifySeat(step);
      case 'advance':
        this.timers.advance(step.ms);
        return;
      case 'close':
        await this.instance(step.of).live.close();
        return;
      default:
        throw new Error(`unknown step`);
    }
  }

  /** A world step; with `until` (a step that only reads, as usage), asked again until its result matches. */
  private async worldStep(step: Step): Promise<void> {
    const end = Date.now() + (step.withinMs ?? 15_000);
    for (;;) {
      const response = await fetch(`${this.worldUrl}/step`, { method: 'POST', body: JSON.stringify(step) });
      const answer = (await response.json()) as {
        ok: boolean;
        result?: Record<string, unknown>;
        error?: string;
        addresses?: Record<string, string>;
      };
      if (!answer.ok) throw new Error(`the world refused: ${answer.error}`);
      this.addresses = answer.addresses!;
      if (step.expect && !partialMatch(answer.result!, step.expect)) {
        throw new Error(`the world answered ${JSON.stringify(answer.result)}`);
      }
      if (!step.until || partialMatch(answer.result!, step.until)) return;
      if (Date.now() > end) throw new Error(`the world still answers ${JSON.stringify(answer.result)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private urls(names: string[]): string[] {
    return names.map((name) => {
      const url = this.addresses[name];
      if (!url) throw new Error(`the world has no address "${name}"`);
      return url;
    });
  }

  /** The options every SDK step gives: the addresses, the world's product and root, and the seat secret if any. */
  private baseOptions(step: Step) {
    return { url: this.urls(step.addresses), product: this.product, root: this.root, ...(step.secret ? { secret: step.secret } : {}) };
  }

  private async connect(step: Step): Promise<void> {
    const options = { ...this.baseOptions(step), timers: this.timers };
    let live: LicenseWatch;
    try {
      live = await connect({ ...options, role: step.role, nodeId: step.nodeId });
    } catch (error) {
      if (!(error instanceof LicenseError)) throw error;
      if (step.expect.ok !== false) throw new Error(`connect was refused: ${error.code} ${error.message}`);
      if (error.code !== step.expect.code) throw new Error(`refused ${error.code} (${error.message}), expected ${step.expect.code}`);
      if (error.message.length < 10) throw new Error('the refusal has no sentence');
      return;
    }
    this.keep(step.as, live);
    if (step.expect.ok === false) throw new Error(`connect took a seat, expected a refusal ${step.expect.code}`);
  }

  private async watch(step: Step): Promise<void> {
    const options = { ...this.baseOptions(step), timers: this.timers };
    this.keep(step.as, await watch({ ...options, ...(step.pollMs ? { pollMs: step.pollMs } : {}) }));
  }

  private keep(name: string, live: LicenseWatch): void {
    const instance: Instance = { live, changes: [] };
    live.on('change', (state) => instance.changes.push(canonical(state)));
    this.instances.set(name, instance);
  }

  /** A controller's check of the seat token an instance holds now (its signature broken first with forge). */
  private async verifySeat(step: Step): Promise<void> {
    const seat = this.instance(step.token).live.status().seat;
    if (!seat) throw new Error(`${step.token} holds no seat`);
    const token = step.forge ? forgeSignature(seat.token) : seat.token;
    const verdict = await verifySeat({ ...this.baseOptions(step), token });
    if (!partialMatch(verdict as Record<string, unknown>, step.expect)) throw new Error(`the verdict is ${JSON.stringify(verdict)}`);
  }

  private changes(step: Step): void {
    const instance = this.instance(step.of);
    const seen = instance.changes.splice(0);
    const expected = step.expect as Record<string, unknown>[];
    if (step.exactly && seen.length !== expected.length) throw new Error(`${seen.length} changes: ${JSON.stringify(seen)}`);
    let at = 0;
    for (const want of expected) {
      while (at < seen.length && !partialMatch(seen[at]!, want)) at++;
      if (at === seen.length) throw new Error(`no change ${JSON.stringify(want)} in ${JSON.stringify(seen)}`);
      at++;
    }
  }

  private instance(name: string): Instance {
    const instance = this.instances.get(name);
    if (!instance) throw new Error(`no SDK instance "${name}"`);
    return instance;
  }

  /** Polls until `why` answers null; a deadline, not a measurement. */
  private async until(name: string, withinMs: number, why: (live: LicenseWatch) => string | null): Promise<void> {
    const { live } = this.instance(name);
    const end = Date.now() + withinMs;
    for (;;) {
      const reason = why(live);
      if (reason === null) return;
      if (Date.now() > end) throw new Error(`not within ${withinMs} ms: ${reason}; state ${JSON.stringify(canonical(live.status()))}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** The token with one character of its signature changed: what a forger without the LM's key has. */
export function forgeSignature(token: string): string {
  const i = token.lastIndexOf('.') + 10;
  return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
}
