/**
 * Names instead of ids on staff pages: the customers, products and users a page holds by id, asked for in one
 * request (GET /v1/staff/names). Until the answer comes, or for an id that names nothing ("cli", a deleted
 * row), the id itself is shown.
 */
import { useEffect, useState } from 'react';
import { api } from '../api';
import type { Answer } from '../api';

const NAMED = /^(cus|prd|usr)_[A-Za-z0-9]+$/;

export function useNames(ids: readonly (string | null | undefined)[]): (id: string) => string {
  const wanted = [...new Set(ids.filter((id): id is string => !!id && NAMED.test(id)))].sort().slice(0, 200);
  const key = wanted.join(',');
  const [names, setNames] = useState<Record<string, string>>({});
  useEffect(() => {
    if (!key) return;
    let current = true;
    api<Answer<'getStaffNames'>>('GET', `/v1/staff/names?ids=${encodeURIComponent(key)}`).then(
      (answer) => current && setNames((known) => ({ ...known, ...answer.names })),
      () => {
        // The ids stay: a page is still usable without the names.
      },
    );
    return () => {
      current = false;
    };
  }, [key]);
  return (id) => names[id] ?? id;
}
