/** @tessera/manager: the License Manager daemon, for embedding in tests, tools and the demo. */
export { startDaemon, StartupError } from './daemon.js';
export type { Daemon, DaemonOptions } from './daemon.js';
export { loadConfig, parseConfig } from './config.js';
export type { LmConfig } from './config.js';
export { ManualClock, systemClock } from './clock.js';
export type { Clock } from '@tessera/core';
export type * from './http/api-types.js';
export { LM_VERSION } from './version.js';
