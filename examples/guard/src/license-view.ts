/**
 * The part of the SDK's license handle (LicenseWatch, or a Connection) the controller and the enforcer use.
 * Naming it here keeps the HTTP layer and the enforcer's agent independent of how the handle was made.
 */
import type { LicenseState, LicenseWatch } from '@tessera/sdk';

export type { LicenseState };
export type LicenseView = Pick<LicenseWatch, 'status' | 'isEnabled' | 'limit' | 'on' | 'off'>;
