/**
 * Group commit: writes queued in the same turn of the event loop run in one SQLite transaction, and every caller
 * is answered after that commit. Under load this turns one commit per checkout into one per batch, while keeping
 * the promise that an answered change is on disk (in the WAL) before the answer leaves.
 */
import type { StateStore } from './store.js';

interface Pending {
  write: () => void;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class WriteQueue {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(private readonly store: StateStore) {}

  /** Runs `write` in the next batch's transaction; resolves once that transaction committed. */
  enqueue(write: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ write, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits what is queued now (also called on shutdown). */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      this.store.transaction(() => {
        for (const item of batch) item.write();
      });
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    for (const item of batch) item.resolve();
  }
}
