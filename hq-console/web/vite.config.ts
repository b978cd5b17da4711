// Builds the HQ console's browser UI into hq-console/dist-web, which the console server serves at
// `/`. Relative asset URLs (`base: './'`) keep the bundle independent of where it is mounted.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist-web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    // `npx vite --config web/vite.config.ts` (in hq-console/) during development: the API and socket.io of a console
    // server running locally (CCTNS_CONSOLE_URL, default http://127.0.0.1:8443).
    proxy: {
      '/api': process.env['CCTNS_CONSOLE_URL'] ?? 'http://127.0.0.1:8443',
      '/socket.io': {
        target: process.env['CCTNS_CONSOLE_URL'] ?? 'http://127.0.0.1:8443',
        ws: true,
      },
    },
  },
});
