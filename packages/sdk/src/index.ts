/** @tessera/sdk: a licensed product's side of Tessera. Being built (issue 7). */
export const SDK_VERSION = '0.1.0';
