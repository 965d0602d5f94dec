// Vite builds the single-page app into dist/, which utopia-server serves at `/`. Workspace
// packages are read from their TypeScript sources (the `utopia-source` condition), so the UI
// needs no prior build of @utopia/shared.
import { defineConfig, defaultClientConditions } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  resolve: { conditions: ['utopia-source', ...defaultClientConditions] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 600,
    rollupOptions: {
      // TanStack Query marks its modules "use client" for React Server Components; an SPA has none.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  server: { proxy: { '/api': { target: 'http://127.0.0.1:8080', ws: true } } },
});
