import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TopologyTestDriver } from 'tributary/testing';
import app, { pageViews, viewsPerPage } from './package/consumer/topologies/page-view-counts.ts';

describe('the README example', () => {
  // test/package/consumer/ is the project the README's example and Install section build; the package
  // test installs the npm package into it.
  it('is the project the package test installs: the same topology, test and tsconfig.json', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const file of ['topologies/page-view-counts.ts', 'test/page-view-counts.test.ts', 'tsconfig.json'])
      expect(readme, file).toContain(
        readFileSync(new URL(`./package/consumer/${file}`, import.meta.url), 'utf8'),
      );
  });

  it('counts page views per page, as the README says', async () => {
    const driver = await TopologyTestDriver.create(app.buildTopology(), { partitions: 3 });
    try {
      const input = driver.createInputTopic(pageViews);
      input.pipeInput('alice', { page: '/home' }, 1000);
      input.pipeInput('bob', { page: '/home' }, 2000);
      expect(driver.createOutputTopic(viewsPerPage).readKeyValuesToMap()).toEqual(new Map([['/home', 2]]));
      expect(driver.getKeyValueStore<string, number>('views-per-page').get('/home')).toBe(2);
    } finally {
      await driver.close();
    }
  });
});
