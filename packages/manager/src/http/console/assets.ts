/**
 * The console's scripts as the browser gets them: the modules tsc compiled into dist/http/console/ (browser.ts by
 * tsconfig.console.json, forms.ts with the rest of the LM), read once at start-up. The path is the same from src/
 * (tests) and dist/ (a release): both sit two folders below the package, next to dist.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BUILT = new URL('../../../dist/http/console/', import.meta.url);

/** The files /console/<name> serves. */
export const CONSOLE_SCRIPTS = ['browser.js', 'forms.js'] as const;
export type ConsoleScript = (typeof CONSOLE_SCRIPTS)[number];

/** Each script's text, without its source-map comment (the maps are not served). Throws when the build is missing. */
export function readConsoleScripts(): Record<ConsoleScript, string> {
  const read = (name: ConsoleScript) => {
    const path = fileURLToPath(new URL(name, BUILT));
    if (!existsSync(path)) {
      throw new Error(`The console script ${path} is missing: build the License Manager first (npm run build).`);
    }
    return readFileSync(path, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
  };
  return { 'browser.js': read('browser.js'), 'forms.js': read('forms.js') };
}
