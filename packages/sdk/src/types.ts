/** The SDK's public shapes: options, the license state a product reads, and the one error type it throws. */
import type { Clock } from '@tessera/core';

/**
 * A wall clock (core's Clock: now() in milliseconds since the epoch): the SDK evaluates the license and checks lease
 * tokens on it. Default: this host's (Date.now). The name stays for products that already import it.
 */
export type SdkClock = Clock;

/**
 * What schedules the SDK's rounds and deadlines (a lease running out). Default: Node's timers, unref'd. A test
 * passes its own to move time instead of waiting for it. Network timeouts (`timeoutMs`) stay on real time.
 */
export interface SdkTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /**
   * Monotonic milliseconds (any origin): what deadlines (a lease, an outage grace) are measured on. Default
   * `performance.now()`. Timers a test moves ahead answer their own time here, so a deadline set after a move is
   * still counted from when its lease was renewed.
   */
  now?(): number;
}

/** Options of {@link watch}: where the License Manager is, which product asks, and the vendor's root. */
export interface WatchOptions {
  /**
   * The License Manager's address: `http://127.0.0.1:9119`, `https://lm.example:9119`, or `127.0.0.1:9119` (http);
   * or a list of the addresses of its replicas (one LM sharing one database and one identity), tried in order:
   * when the one in use is silent the SDK moves to the next within the same round, keeping its lease.
   */
  url: string | readonly string[];
  /** The product's name as licensed, e.g. `graphdb`. */
  product: string;
  /**
   * The vendor's root public key, `tessera-root:…` as `tessera-center trust-root` prints it (or several during a
   * root rotation): a constant compiled into the product, never read from a file the customer can change. Only a
   * license signed by a key of a trust bundle this root signed is accepted.
   */
  root: string | readonly string[];
  /** The License Manager's seat secret (`seats.secret` in its YAML), sent with every request when it has one. */
  secret?: string;
  /** PEM text of the certificate authority (or the certificate itself) to trust for an https License Manager. */
  ca?: string;
  /** Per request, default 5000. */
  timeoutMs?: number;
  /** How often the license state is re-read: default 30000 for watch(), the heartbeat for connect(). */
  pollMs?: number;
  /** The wall clock to evaluate the license on (default this host's). */
  clock?: SdkClock;
  /** What schedules rounds and deadlines (default Node's timers). */
  timers?: SdkTimers;
}

/** Options of {@link connect}: a watch plus the node that takes a seat. */
export interface ConnectOptions extends WatchOptions {
  /** The node's role, e.g. `query`. */
  role: string;
  /**
   * A stable id of this node. One running process holds it at a time: a second process with the same id is
   * refused NODE_ID_IN_USE while the first holds its seat (a killed one's seat frees within one lease TTL).
   */
  nodeId: string;
  /** Shown in the LM's usage table; default os.hostname(). */
  host?: string;
  /** Default a third of the lease TTL the LM answers. */
  heartbeatMs?: number;
}

export type LicenseStatusName =
  'NotExist' | 'Syncing' | 'Normal' | 'Expiring' | 'Grace' | 'Expired' | 'Invalid' | 'Unreachable' | 'Degraded';

/**
 * The License Manager has been silent for longer than the seat's lease (or, for watch(), two polls), and the
 * license's signed outage grace keeps the node licensed meanwhile. Both times are on this host's clock.
 */
export interface OutageState {
  /** When the SDK last heard from the LM: when the last renewal it verified (watch(): the last answer) was asked for. */
  since: string;
  /** `since` plus the license's outageGraceHours: if the LM is still silent then, licensing ends. */
  graceEndsAt: string;
}

/** What a product knows about its license at a moment. */
export interface LicenseState {
  /**
   * connect(): this node holds a seat now; watch(): the license is usable (Normal, Expiring, Grace, or Degraded: the
   * LM is silent and the license's outage grace runs). Status,
   * code and daysLeft come from the SDK's own evaluation of the verified license on its clock, never from the
   * License Manager's word.
   */
  licensed: boolean;
  status: LicenseStatusName;
  /**
   * A stable code from docs/codes.md: VALID, EXPIRING, IN_GRACE, EXPIRED, NO_LICENSE, TOO_MANY_NODES,
   * LM_UNREACHABLE (status Degraded while licensed, Unreachable when not), ...
   */
  code: string;
  /** A sentence for logs and banners. */
  message: string;
  licenseId: string | null;
  serial: number | null;
  expiresAt: string | null;
  /** Whole days until expiry by this host's clock (negative after it), from the SDK's own evaluation; null without a license. */
  daysLeft: number | null;
  /** e.g. ['scan', 'enforce'] */
  features: string[];
  /** e.g. { remote_clusters: 2 } */
  limits: Record<string, number>;
  /** Seats per role in the license, e.g. { query: 3, storage: 2 }. */
  nodes: Record<string, number>;
  /**
   * How long a running node keeps its seat while its License Manager is silent, as the license signs it (0:
   * strict, the seat ends with its lease); null without a license.
   */
  outageGraceHours: number | null;
  /** Set while status is Degraded (licensed on the outage grace): since when, and until when at most. */
  outage: OutageState | null;
  /**
   * The seat this node holds (connect only). `token` is the latest lease token the SDK verified (signed by the
   * LM); a controller handed it can check it with verifySeat() without trusting this node.
   */
  seat: { leaseId: string; expiresAt: string; token: string } | null;
}

export type ChangeListener = (state: LicenseState, previous: LicenseState) => void;

/** A live view of the license at a License Manager, kept up to date in the background. */
export interface LicenseWatch {
  /** The current state (a copy). */
  status(): LicenseState;
  /** True when licensed and the license has this feature. */
  isEnabled(feature: string): boolean;
  /** The license's limit of this name; 0 when not licensed or not in the license. */
  limit(name: string): number;
  /** Emitted when status, code, licensed, features, limits, nodes or serial change. */
  on(event: 'change', listener: ChangeListener): this;
  off(event: 'change', listener: ChangeListener): this;
  /** Stops the background work (and, for a connection, releases the seat). Idempotent. */
  close(): Promise<void>;
}

/** A node's seat at its License Manager; close() releases the seat. */
export type Connection = LicenseWatch;

/**
 * The SDK's one error: connect() without a seat, bad options, or a License Manager that cannot be trusted.
 * `code` is stable (docs/codes.md); `message` is a sentence naming what to do.
 */
export class LicenseError extends Error {
  override readonly name = 'LicenseError';
  constructor(
    readonly code: string,
    message: string,
    readonly state: LicenseState | null = null,
  ) {
    super(message);
  }
}
