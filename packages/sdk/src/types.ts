/** The SDK's public shapes: options, the license state a product reads, and the one error type it throws. */

/** Options of {@link watch}: where the License Manager is and which product asks. */
export interface WatchOptions {
  /** The License Manager's address: `http://127.0.0.1:9119`, or `127.0.0.1:9119` (http:// is assumed). */
  url: string;
  /** The product's name as licensed, e.g. `graphdb`. */
  product: string;
  /**
   * The vendor's trust bundle text (what the product ships). When given, the license the LM serves is verified
   * with it and must be bound to that LM (its LMID) and to this product.
   */
  trust?: string;
  /** Per request, default 5000. */
  timeoutMs?: number;
  /** How often the license state is re-read: default 30000 for watch(), the heartbeat for connect(). */
  pollMs?: number;
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

export type LicenseStatusName = 'NotExist' | 'Syncing' | 'Normal' | 'Expiring' | 'Grace' | 'Expired' | 'Invalid' | 'Unreachable';

/** What a product knows about its license at a moment. */
export interface LicenseState {
  /** connect(): this node holds a seat now; watch(): the license is usable (Normal, Expiring or Grace). */
  licensed: boolean;
  status: LicenseStatusName;
  /** A stable code from docs/codes.md: VALID, EXPIRING, IN_GRACE, EXPIRED, NO_LICENSE, TOO_MANY_NODES, LM_UNREACHABLE, ... */
  code: string;
  /** A sentence for logs and banners. */
  message: string;
  licenseId: string | null;
  serial: number | null;
  expiresAt: string | null;
  /** e.g. ['scan', 'enforce'] */
  features: string[];
  /** e.g. { remote_clusters: 2 } */
  limits: Record<string, number>;
  /** Seats per role in the license, e.g. { query: 3, storage: 2 }. */
  nodes: Record<string, number>;
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
