/**
 * What the node does with its seat while it runs: data requests are served only while the SDK says this node
 * holds a seat (also while Degraded: its License Manager is silent and the license's outage grace runs), every
 * answer says the license state in its headers, and every change the SDK reports (seat lost, seat back, status
 * moving) is one log line.
 */
import type { Connection, LicenseState } from '@tessera/sdk';
import type { Refusal } from './http.js';

export class LicenseGate {
  constructor(
    private readonly connection: Connection,
    /** "graphdb storage node s1": the start of every line this node logs. */
    private readonly label: string,
    private readonly log: (line: string) => void,
  ) {
    connection.on('change', (state, previous) => this.report(state, previous));
  }

  state(): LicenseState {
    return this.connection.status();
  }

  /**
   * The license state every answer carries in its headers, so a client or a load balancer sees a node serving on
   * its outage grace (Degraded) without asking /status.
   */
  headers(): Record<string, string> {
    const state = this.connection.status();
    return {
      'x-license-status': state.status,
      'x-license-code': state.code,
      ...(state.outage ? { 'x-license-grace-ends': state.outage.graceEndsAt } : {}),
    };
  }

  /** Null while the node holds a seat; else the license's code and sentence, which data requests answer with 503. */
  refusal(): Refusal | null {
    const state = this.connection.status();
    return state.licensed ? null : { code: state.code, message: state.message };
  }

  private report(state: LicenseState, previous: LicenseState): void {
    if (previous.licensed && !state.licensed) {
      this.log(`${this.label} lost its license seat: ${state.message} [${state.code}]; data requests answer 503 until it is back`);
    } else if (!previous.licensed && state.licensed) {
      this.log(`${this.label} holds its license seat again (license ${state.status}); serving data`);
    } else if (state.status === 'Degraded' && previous.status !== 'Degraded') {
      this.log(
        `${this.label} cannot reach its License Manager and keeps serving on the license's outage grace, until ${state.outage?.graceEndsAt ?? 'its end'} at the latest: ${state.message} [${state.code}]`,
      );
    } else if (state.licensed && (state.status !== previous.status || state.code !== previous.code)) {
      // Still serving, but a person should hear about Expiring and Grace (as nebula's reminders do).
      this.log(`${this.label} license is now ${state.status}: ${state.message} [${state.code}]`);
    }
  }
}

/** GET /status: who this node is and its license state, without the license key or the lease token. */
export function describeLicense(state: LicenseState) {
  return {
    licensed: state.licensed,
    status: state.status,
    code: state.code,
    message: state.message,
    licenseId: state.licenseId,
    serial: state.serial,
    expiresAt: state.expiresAt,
    features: state.features,
    limits: state.limits,
    nodes: state.nodes,
    outageGraceHours: state.outageGraceHours,
    // While Degraded: since when the License Manager is silent, and until when the node serves on its grace.
    outage: state.outage,
  };
}
