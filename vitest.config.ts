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
          exclude: ['test/integration/**', 'test/package/**', 'test/chaos/**'],
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
      {
        resolve,
        ssr: { resolve },
        test: {
          name: 'package',
          // Packs and installs the npm package: about a minute of busy CPU that would slow the timed tests
          // above, so it runs after them. test/package/consumer/ is the project it installs into (its
          // own test runs there, with node --test).
          include: ['test/package/*.test.ts'],
          sequence: { groupOrder: 1 },
          testTimeout: 180_000,
          hookTimeout: 600_000,
        },
      },
      {
        resolve,
        ssr: { resolve },
        test: {
          name: 'chaos',
          // The chaos suite's short version: a broker of its own, three worker processes and faults for a
          // few minutes of busy CPU, so it runs alone, after the others.
          include: ['test/chaos/*.test.ts'],
          sequence: { groupOrder: 2 },
          testTimeout: 900_000,
        },
      },
    ],
  },
});
