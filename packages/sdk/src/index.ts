/**
 * @tessera/sdk: a licensed product's side of Tessera. connect() takes a node seat at the product's License
 * Manager and keeps it; watch() follows the license without a seat. Both verify what the LM answers up to the
 * vendor's root compiled into the product, evaluate the license themselves on their own clock, ride out short
 * outages, and emit `change` so a product reacts without a restart. verifySeat() lets a controller check a
 * node's seat token. See docs/sdk.md.
 */
export { connect } from './connect.js';
export { watch } from './watch.js';
export { verifySeat } from './verify-seat.js';
export type { SeatVerdict, VerifySeatOptions } from './verify-seat.js';
export { LicenseError } from './types.js';
export type {
  ChangeListener,
  Connection,
  ConnectOptions,
  LicenseState,
  LicenseStatusName,
  LicenseWatch,
  OutageState,
  SdkClock,
  SdkTimers,
  WatchOptions,
} from './types.js';

export const SDK_VERSION = '0.1.0';
