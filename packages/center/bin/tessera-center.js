#!/usr/bin/env node
// The installed command. Committed (not built) because npm links a bin at install time, before the workspace's
// prepare step has built dist/; a bin pointing straight into dist/ would not be linked at all.
try {
  await import('../dist/cli/main.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    process.stderr.write('tessera-center is not built yet: run "npm run build" in the repository root.\n');
    process.exit(6);
  }
  throw error;
}
