/**
 * Remote clusters this controller has joined (NeuVector's multi-cluster management), bounded by the license's
 * `remote_clusters` limit, read at each join so a new license takes effect without a restart.
 */
import { REMOTE_CLUSTERS_LIMIT } from '../index.js';
import { GuardError } from './http-json.js';

export interface ClusterView {
  name: string;
  joinedAt: string;
}

export class Clusters {
  private readonly joined = new Map<string, number>();

  constructor(
    private readonly limit: () => number,
    private readonly now: () => number,
  ) {}

  /** Joins `name`; joining a cluster already joined is a no-op answered with `created: false`. */
  join(name: string): { cluster: ClusterView; created: boolean } {
    const existing = this.joined.get(name);
    if (existing !== undefined) return { cluster: view(name, existing), created: false };
    const limit = this.limit();
    if (this.joined.size >= limit) {
      const allowed = limit === 0 ? 'allows no remote clusters' : `allows ${limit} remote cluster${limit === 1 ? '' : 's'}`;
      throw new GuardError(
        'LIMIT_EXCEEDED',
        403,
        `The license ${allowed} (limit ${REMOTE_CLUSTERS_LIMIT}), and ${this.joined.size} ${this.joined.size === 1 ? 'is' : 'are'} joined; leave one, or ask your vendor for a license with a higher ${REMOTE_CLUSTERS_LIMIT}.`,
      );
    }
    const at = this.now();
    this.joined.set(name, at);
    return { cluster: view(name, at), created: true };
  }

  leave(name: string): boolean {
    return this.joined.delete(name);
  }

  list(): ClusterView[] {
    return [...this.joined.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, at]) => view(name, at));
  }
}

function view(name: string, at: number): ClusterView {
  return { name, joinedAt: new Date(at).toISOString() };
}
