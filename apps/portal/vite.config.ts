/**
 * The portal's build: one index.html and hashed files under assets/, which the License Center serves with a
 * strict content policy (no inline scripts or styles), so nothing here may rely on inline code.
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Inlined assets would be data: URLs; keep every file a file, served under the CSP's 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: false,
  },
  // `npm run dev -w @tessera/portal` beside a running center: API calls go to it, so the cookie stays same-origin.
  server: {
    proxy: Object.fromEntries(
      ['/v1', '/health', '/openapi.json', '/docs'].map((path) => [path, process.env.TESSERA_CENTER_URL ?? 'http://127.0.0.1:8080']),
    ),
  },
});
