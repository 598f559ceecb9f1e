import { defineConfig } from 'vitest/config';

const resolve = { conditions: ['tributary-source'] };

export default defineConfig({
  resolve,
  ssr: { resolve },
  test: {
    projects: [
      {
        resolve,
        ssr: { resolve },
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          // test/package/consumer/ is a user's project the package test installs the package into; its
          // tests run there, with node --test.
          exclude: ['test/integration/**', 'test/package/consumer/**'],
          testTimeout: 20_000,
        },
      },
      {
        resolve,
        ssr: { resolve },
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          // One broker, several workers per test: run files one after another.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
