/** A storage node: key-value data in memory, `PUT|GET|DELETE /kv/:key`. */
import { MAX_KEY_LENGTH } from './language.js';
import { decodeKey, GraphdbError } from './http.js';
import type { Route } from './http.js';

export class KvStore {
  private readonly data = new Map<string, string>();
  get size(): number {
    return this.data.size;
  }
  put(key: string, value: string): void {
    this.data.set(key, value);
  }
  get(key: string): string | undefined {
    return this.data.get(key);
  }
  delete(key: string): boolean {
    return this.data.delete(key);
  }
}

function keyOf(segment: string): string {
  const key = decodeKey(segment);
  if (key.length > MAX_KEY_LENGTH) throw new GraphdbError('BAD_KEY', 400, `A key is at most ${MAX_KEY_LENGTH} characters.`);
  return key;
}

export function storageRoutes(store: KvStore): Route[] {
  const path = /^\/kv\/([^/]+)$/;
  return [
    {
      method: 'GET',
      path,
      needsLicense: true,
      run([segment]) {
        const key = keyOf(segment!);
        const value = store.get(key);
        if (value === undefined) throw new GraphdbError('KEY_NOT_FOUND', 404, `No value is stored under the key "${key}".`);
        return { status: 200, body: { key, value } };
      },
    },
    {
      method: 'PUT',
      path,
      needsLicense: true,
      run([segment], body) {
        const key = keyOf(segment!);
        const value = new TextDecoder('utf-8', { fatal: false }).decode(body);
        store.put(key, value);
        return { status: 200, body: { key, stored: true } };
      },
    },
    {
      method: 'DELETE',
      path,
      needsLicense: true,
      run([segment]) {
        const key = keyOf(segment!);
        return { status: 200, body: { key, deleted: store.delete(key) } };
      },
    },
  ];
}
