/**
 * The portal's API types are generated from the License Center's description (npm run api-types): this fails
 * when src/api-types.ts is not what the current routes' schemas make, so no hand-written copy can drift.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../../packages/center/src/openapi-document.js';
import { API_TYPES_FILE, renderApiTypes } from '../../../scripts/lc-api-types.js';

describe('apps/portal/src/api-types.ts', () => {
  it('is what npm run api-types makes from the current /openapi.json (run it after changing a route schema)', async () => {
    const fresh = await renderApiTypes(await openApiDocument());
    expect(readFileSync(API_TYPES_FILE, 'utf8') === fresh, 'apps/portal/src/api-types.ts is stale: run npm run api-types').toBe(true);
  }, 60_000);
});
