/** One request at a time from a form: busy while it runs, its failure kept as the API's sentence. */
import { useCallback, useState } from 'react';
import { messageOf } from '../api';

export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async <T>(work: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> => {
    setBusy(true);
    setError(null);
    try {
      return { ok: true, value: await work() };
    } catch (failure) {
      setError(messageOf(failure));
      return { ok: false };
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}

/** Which field an API sentence is about, by how the License Center words it; null: the form as a whole. */
export function fieldOf<F extends string>(message: string | null, fields: Record<F, RegExp>): F | null {
  if (!message) return null;
  for (const [field, pattern] of Object.entries(fields) as [F, RegExp][]) if (pattern.test(message)) return field;
  return null;
}
