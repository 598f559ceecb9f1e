import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TopologyTestDriver } from 'tributary/testing';
import app, { pageViews, viewsPerPage } from './fixtures/page-view-counts.ts';

describe('the README example', () => {
  it('is the fixture this test runs', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const fixture = readFileSync(new URL('./fixtures/page-view-counts.ts', import.meta.url), 'utf8');
    // The README shows the fixture's code without its leading comment.
    const code = fixture.slice(fixture.indexOf('import'));
    expect(readme).toContain(code.trim());
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
