/**
 * Online keys are never stored: each is derived from the master key and the license id, so staff and customers
 * can be shown it at any time, and the database holds only its SHA-256 (licenses.online_key_hash), by which a
 * sync finds the license. A database dump alone therefore yields no usable key.
 */
import { createHash, createHmac } from 'node:crypto';
import { generateOnlineKey } from '@tessera/core';

const LABEL = 'tessera/online-key/';

/** The canonical online key of a license (120 bits of HMAC-SHA256 under the master key, plus a check character). */
export function onlineKeyFor(masterKey: Uint8Array, licenseId: string): string {
  const mac = createHmac('sha256', masterKey)
    .update(LABEL + licenseId, 'utf8')
    .digest();
  return generateOnlineKey((size) => mac.subarray(0, size));
}

/** Lower-case hex SHA-256 of a canonical online key: what the database stores and syncs look up. */
export function onlineKeyHash(canonicalKey: string): string {
  return createHash('sha256').update(canonicalKey, 'utf8').digest('hex');
}
