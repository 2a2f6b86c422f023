// Builds the UI into ui/dist, which the Tauri shell bundles: every asset is
// local (no CDN, no remote font), so the app works offline under a strict CSP.
import { defineConfig } from 'vite';

export default defineConfig({
  // Preact's automatic JSX runtime, compiled by Vite's own transformer.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // Tauri serves the files itself; relative URLs keep them under its origin.
  base: './',
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    target: 'es2022',
    // WebKitGTK 2.50 (Safari 18 level) and Chromium: no lowering of :dir(),
    // :has() or nesting, which would break right-to-left layout.
    cssTarget: ['chrome120', 'safari17'],
    outDir: 'dist',
    emptyOutDir: true,
    // Inline nothing as data: URLs and keep one stylesheet: simple for the CSP.
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    sourcemap: false,
  },
});
