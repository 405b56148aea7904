import { defineConfig } from 'vitest/config'
import react from '@vitejs/plugin-react'

// The production build goes to dist/app, which portal.go embeds into the
// bizos binary. `npm run dev` serves the sources with hot reload and forwards
// the API to a running `bizos dev` (BIZOS_PORTAL_BACKEND, default :3000).
const backend = process.env.BIZOS_PORTAL_BACKEND ?? 'http://127.0.0.1:3000'

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist/app',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: Object.fromEntries(['/api', '/auth', '/tenants', '/session', '/hooks'].map((p) => [p, backend])),
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    globals: false,
  },
})
