/** Starting a worker thread on a TypeScript module: under tsx a worker does not inherit its loader, so register it. */
import { Worker } from 'node:worker_threads';

export function startWorker(moduleUrl: URL, workerData: unknown): Worker {
  const url = moduleUrl.href;
  if (!url.endsWith('.ts')) return new Worker(moduleUrl, { workerData });
  const api = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}
