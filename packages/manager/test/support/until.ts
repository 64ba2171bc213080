/**
 * Waits for something that must happen (a replica's tick, a failover), polling every 20 ms, and fails with what was
 * awaited and the last value read after `deadlineMs` (never more than 30 s: a test waits for a change, not for time).
 */
export async function until<T>(read: () => T | Promise<T>, done: (value: T) => boolean, what: string, deadlineMs = 15_000): Promise<T> {
  const deadline = Date.now() + Math.min(deadlineMs, 30_000);
  let last: T | undefined;
  let failure: unknown = null;
  for (;;) {
    try {
      last = await read();
      failure = null;
      if (done(last)) return last;
    } catch (error) {
      failure = error;
    }
    if (Date.now() > deadline) {
      const seen = failure ? `it failed: ${(failure as Error).message}` : `last seen: ${JSON.stringify(last)}`;
      throw new Error(`waited ${deadlineMs} ms for ${what}; ${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
