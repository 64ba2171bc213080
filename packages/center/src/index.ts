/** @tessera/center: the License Center. */
export { loadCenterConfig } from './config.js';
export type { CenterConfig, SmtpSettings } from './config.js';
export { openDatabase } from './db/connect.js';
export type { DatabaseHandle, Dialect } from './db/connect.js';
export { migrateToLatest } from './db/migrations.js';
