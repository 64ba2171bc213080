/**
 * The License Manager's HTTP API on the wire (docs/lm-openapi.yaml): the one module of its shapes, used by the LM
 * to answer, by its CLI and console, and by the SDK to read the answers. Types only, so a client takes nothing of
 * the LM's runtime. Errors always have the shape ApiErrorBody, with a code from the closed list (codes.ts).
 */
import type { Code, LicenseStatus } from './codes.js';

export type LmStatus = LicenseStatus | 'Syncing';

export interface ApiErrorBody {
  error: { code: Code; message: string; requestId: string };
}

export interface RoleUsage {
  total: number;
  used: number;
  free: number;
}

/** GET /v1/info (no token needed) — what `tessera-lm info` prints. */
export interface InfoResponse {
  name: string;
  version: string;
  lmid: string;
  status: LmStatus;
  code: Code;
  detail: string;
  /** online key masked but its last group, or the license id for an offline key; null when none is loaded */
  licenseKey: string | null;
  licenseId: string | null;
  serial: number | null;
  product: string | null;
  customer: string | null;
  type: 'NODE' | null;
  mode: 'online' | 'offline' | null;
  nodes: Record<string, RoleUsage>;
  limits: Record<string, number>;
  features: string[];
  startsAt: string | null;
  expiresAt: string | null;
  daysLeft: number | null;
  lastSync: { at: string | null; ok: boolean | null; error: string | null } | null;
  /** Replicas sharing a database (high availability): each with whether it is live; null for one License Manager. */
  replicas: ReplicaInfo[] | null;
}

/** A replica of a License Manager whose state is a shared PostgreSQL database. */
export interface ReplicaInfo {
  id: string;
  hostname: string;
  port: number;
  version: string;
  startedAt: string;
  lastSeenAt: string;
  /** Seen within the last 10 seconds. */
  live: boolean;
  /** The replica that answered. */
  self: boolean;
  /** The replica that runs (or last ran) the online sync. */
  syncs: boolean;
}

/** A lease as the public usage shows it: no lease id, since whoever knows one can release the seat. */
export interface LeaseView {
  product: string;
  role: string;
  nodeId: string;
  host: string | null;
  since: string;
  expiresAt: string;
}

/** GET /v1/usage (no token needed) — what `tessera-lm usage` prints. */
export interface UsageResponse {
  status: LmStatus;
  roles: Record<string, RoleUsage>;
  leases: LeaseView[];
}

/** POST /v1/seats/checkout body. */
export interface CheckoutRequest {
  product: string;
  role: string;
  nodeId: string;
  /** The SDK connection's random id (1..64 characters): the process that holds the seat. */
  instance: string;
  host?: string;
}

/** POST /v1/seats/checkout 200 answer. */
export interface CheckoutResponse {
  leaseId: string;
  expiresAt: string;
  ttlSeconds: number;
  /** A lease token (typ "lease") signed by this LM's key; kid is the LMID. */
  token: string;
  status: LmStatus;
  code: Code;
}

/** POST /v1/seats/heartbeat body. */
export interface HeartbeatRequest {
  leaseId: string;
  /** The instance that checked the lease out; another's lease is LEASE_NOT_FOUND. */
  instance: string;
}

/** POST /v1/seats/heartbeat 200 answer. */
export interface HeartbeatResponse {
  leaseId: string;
  expiresAt: string;
  /**
   * The lease's token (typ "lease") signed by this LM's key, its payload carrying the instance: the last one
   * signed for the lease while it is younger than TTL/6, else a new one with a later issuedAt.
   */
  token: string;
  status: LmStatus;
  code: Code;
}

/** POST /v1/seats/release body: the instance that holds the lease, as for a heartbeat. */
export interface ReleaseRequest {
  leaseId: string;
  instance: string;
}

/**
 * GET /v1/license[?nonce=…] 200 answer (with seats.secret set, the x-tessera-seat-secret header is needed).
 * status, code and detail are the LM's own verdict: information, never the SDK's decision.
 */
export interface LicenseResponse {
  lmid: string;
  /** base64url raw Ed25519 public key of the LM. */
  lmPublicKey: string;
  /** base64url fingerprint digest: derives the LMID with lmPublicKey. */
  hostDigest: string;
  status: LmStatus;
  code: Code;
  detail: string;
  /** The signed license held (tessera-license:…), or null. */
  license: string | null;
  /** The root-signed trust bundle held (tessera-trust:…), or null. */
  trust: string | null;
  /** The LM's signed answer for the request's nonce (typ "answer", core signLmAnswer), or null without a nonce. */
  answer: string | null;
}

/** GET /health 200 answer: up, with the license status (Kubernetes probes). */
export interface HealthResponse {
  status: 'ok';
  licenseStatus: LmStatus;
}

/** GET /version 200 answer. */
export interface VersionResponse {
  version: string;
}

/** POST /v1/seats/release 200 answer. */
export interface ReleaseResponse {
  released: true;
}

/** POST /v1/admin/load body (admin token). 200 answer: InfoResponse. */
export interface LoadRequest {
  /** An online key, an offline key, a clock reset (tessera-reset:…) or a root-signed trust bundle. */
  key: string;
  force?: boolean;
}

/** POST /v1/admin/sync 200 answer (admin token): whether a new license arrived, and the LM's info after it. */
export interface SyncResponse {
  changed: boolean;
  info: InfoResponse;
}

/** POST /v1/admin/request-code body (admin token). 200 answer: RequestCodeResponse. */
export interface RequestCodeRequest {
  name: string;
  email: string;
  phone?: string;
  nodes: Record<string, number>;
  limits?: Record<string, number>;
  features?: string[];
  months?: number;
  product?: string;
}

/** POST /v1/admin/request-code 200 answer: the code to send to the vendor, and the LMID it carries. */
export interface RequestCodeResponse {
  requestCode: string;
  lmid: string;
}
