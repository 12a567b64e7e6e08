import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console is built into web/dist during `npm ci` (the root `prepare` script) and served by
// Gatehouse at `/`. `npm run dev:web` proxies the API to a local `npm start` for development.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1500 },
  server: {
    proxy: {
      '/api': process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:8080',
      // Bootstrap's management API lives at /bootstrap/{tenant}/...; the page itself is /bootstrap.
      '^/bootstrap/.+': process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:8080',
    },
  },
});
