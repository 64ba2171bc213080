import { describe, expect, it } from 'vitest';
import { changeWords, outageGraceWords } from './change-words.js';
import type { WordedRow } from './change-words.js';

const row = (
  change: Partial<Omit<WordedRow, 'nodes' | 'limits' | 'features'>> & {
    nodes?: Record<string, number>;
    limits?: Record<string, number>;
    features?: string[];
  } = {},
): WordedRow => ({
  status: 'active',
  mode: 'offline',
  lmid: 'QPDH-7K2M-XXXX-XXXX',
  starts_at: Date.parse('2027-01-01T00:00:00Z'),
  expires_at: Date.parse('2028-01-01T00:00:00Z'),
  ...change,
  nodes: JSON.stringify(change.nodes ?? { query: 2, storage: 2 }),
  limits: JSON.stringify(change.limits ?? { remote_clusters: 2 }),
  features: JSON.stringify(change.features ?? ['scan']),
});

describe('a license change in words', () => {
  it('says nothing when nothing changed, whatever the order of the JSON', () => {
    expect(changeWords(row(), row())).toEqual([]);
    expect(changeWords(row({ nodes: { storage: 2, query: 2 } }), row())).toEqual([]);
  });

  it('names each role, limit and feature that changed, from → to', () => {
    const before = row({ nodes: { query: 2, storage: 2 }, limits: { remote_clusters: 2, shards: 4 }, features: ['scan', 'enforce'] });
    const after = row({ nodes: { query: 2, storage: 3 }, limits: { remote_clusters: 5, tenants: 1 }, features: ['scan', 'federation'] });
    expect(changeWords(before, after)).toEqual([
      'storage nodes 2 → 3',
      'limit remote_clusters 2 → 5',
      'limit shards removed (was 4)',
      'limit tenants 1 added',
      'feature federation added',
      'feature enforce removed',
    ]);
  });

  it('counts a role left out as no nodes, but a limit left out as not granted (not 0)', () => {
    expect(changeWords(row({ nodes: { query: 2 } }), row({ nodes: { query: 2, storage: 1 } }))).toEqual(['storage nodes 0 → 1']);
    expect(changeWords(row({ limits: {} }), row({ limits: { remote_clusters: 0 } }))).toEqual(['limit remote_clusters 0 added']);
  });

  it('words status, mode, binding and term', () => {
    expect(changeWords(row(), row({ status: 'suspended' }))).toEqual(['suspended']);
    expect(changeWords(row({ status: 'suspended' }), row())).toEqual(['resumed']);
    expect(changeWords(row(), row({ status: 'ended' }))).toEqual(['status active → ended']);
    expect(changeWords(row(), row({ mode: 'online' }))).toEqual(['mode offline → online']);
    expect(changeWords(row({ lmid: null }), row())).toEqual(['bound to License Manager QPDH-7K2M-XXXX-XXXX']);
    expect(changeWords(row(), row({ lmid: 'AAAA-BBBB-CCCC-DDDD' }))).toEqual(['License Manager QPDH-7K2M-XXXX-XXXX → AAAA-BBBB-CCCC-DDDD']);
    expect(changeWords(row(), row({ expires_at: Date.parse('2029-01-01T00:00:00Z') }))).toEqual(['expiry 2028-01-01 → 2029-01-01']);
    // Within one day the minute tells them apart.
    expect(changeWords(row(), row({ expires_at: Date.parse('2028-01-01T12:30:00Z') }))).toEqual([
      'expiry 2028-01-01 00:00 UTC → 2028-01-01 12:30 UTC',
    ]);
  });

  it('words the outage grace, which the row does not hold when it follows the product', () => {
    expect(outageGraceWords(72, 24)).toBe('outage grace 72 h → 24 h');
  });
});
