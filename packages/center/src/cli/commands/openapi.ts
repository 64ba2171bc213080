import type { Command } from 'commander';
import { openApiDocument } from '../../openapi-document.js';

export function openApiCommand(program: Command): void {
  program
    .command('openapi')
    .description('print the API description (OpenAPI 3.1, as GET /openapi.json serves it) without starting a server')
    .action(async () => {
      process.stdout.write(JSON.stringify(await openApiDocument(), null, 2) + '\n');
    });
}
