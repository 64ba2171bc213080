/** @tessera/manager: the License Manager daemon, for embedding in tests, tools and the demo. */
export { startDaemon, StartupError } from './daemon.js';
export type { Daemon, DaemonOptions } from './daemon.js';
export { loadConfig, parseConfig } from './config.js';
export type { LmConfig } from './config.js';
export { ManualClock, systemClock } from './clock.js';
export type { Clock } from '@tessera/core';
// The LM's API shapes live in core (lm-api.ts), shared with the SDK; re-exported for embedders that took them from here.
export type {
  ApiErrorBody,
  CheckoutRequest,
  CheckoutResponse,
  HealthResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  InfoResponse,
  LeaseView,
  LicenseResponse,
  LmStatus,
  LoadRequest,
  ReleaseRequest,
  ReleaseResponse,
  ReplicaInfo,
  RequestCodeRequest,
  RequestCodeResponse,
  RoleUsage,
  SyncResponse,
  UsageResponse,
  VersionResponse,
} from '@tessera/core';
export { LM_VERSION } from './version.js';
