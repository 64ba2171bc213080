/**
 * Which storage node holds a key: FNV-1a (32 bit) over the key's UTF-8 bytes, modulo the number of storage
 * nodes, so every query node given the same --storage_addrs list sends a key to the same storage node.
 */

export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function storageFor(key: string, storageAddrs: readonly string[]): string {
  if (storageAddrs.length === 0) throw new Error('no storage nodes to route to');
  return storageAddrs[fnv1a32(key) % storageAddrs.length]!;
}
