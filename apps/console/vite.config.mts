import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * Vite 8 transforms TSX with its built-in Oxc transformer, so no plugin is needed:
 * @vitejs/plugin-react would add Fast Refresh (a dev-server nicety) but its optional Babel 8
 * peers conflict with jest's Babel 7 in this repository. The build is all there is: hashed
 * assets under /console/assets, no inline script (the CSP forbids it), nothing from a CDN.
 */
const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: resolve(here, '../../dist/console'),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
