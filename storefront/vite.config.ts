import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm start` and the tests choose the port; a port already taken is an error, never another port.
const port = Number(process.env.STOREFRONT_PORT ?? 5173);

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  // Pages compiled as the server starts rather than on a shopper's first visit.
  server: { port, strictPort: true, warmup: { clientFiles: ['./src/main.tsx', './src/routes/*.tsx'] } },
  preview: { port, strictPort: true },
  // Listed up front so that the dev server never finds a dependency late and reloads an open page.
  optimizeDeps: {
    include: [
      'react',
      'react-dom/client',
      'react/jsx-runtime',
      'react/jsx-dev-runtime',
      'react-router',
      '@apollo/client',
      '@apollo/client/react',
      '@apollo/client/incremental',
      '@apollo/client/link/error',
      '@apollo/client/link/persisted-queries',
      '@apollo/client/link/subscriptions',
      '@apollo/client/utilities',
      '@graphql-tools/documents',
      'graphql',
      'graphql-ws',
      'rxjs',
    ],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The libraries change less often than the app: a chunk of their own stays cached across releases.
    rolldownOptions: { output: { codeSplitting: { groups: [{ name: 'vendor', test: /node_modules/ }] } } },
  },
});
