import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Daemon } from '../src/daemon.js';
import { makeWorld, start } from './support/world.js';
import type { World } from './support/world.js';

let world: World;
let lm: Daemon;
beforeAll(async () => {
  world = makeWorld();
  lm = await start(world);
});
afterAll(async () => {
  await lm.close();
  world.cleanup();
});

describe('docs/lm-openapi.yaml', () => {
  it('documents every route the daemon serves, and no route it does not', () => {
    const spec = parse(readFileSync(new URL('../../../docs/lm-openapi.yaml', import.meta.url), 'utf8')) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    for (const route of documented) {
      const [method, url] = route.split(' ') as [string, string];
      expect(lm.app.hasRoute({ method: method as 'GET', url }), route).toBe(true);
    }
    // Every line of Fastify's route tree that names methods is one route; HEAD comes with GET.
    const served = [...lm.app.printRoutes({ commonPrefix: false }).matchAll(/\(([A-Z, ]+)\)/g)].flatMap((m) =>
      m[1]!.split(', ').filter((x) => x !== 'HEAD'),
    );
    expect(served.length).toBe(documented.length);
  });
});
