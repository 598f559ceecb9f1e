import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TopologyTestDriver } from 'tributary/testing';
import app, { pageViews, viewsPerPage } from '../topologies/page-view-counts.ts';

test('counts the views of each page', async () => {
  const driver = await TopologyTestDriver.create(app.buildTopology(), { partitions: 3 });
  const input = driver.createInputTopic(pageViews);
  input.pipeInput('alice', { page: '/home' }, 1000);
  input.pipeInput('bob', { page: '/home' }, 2000);
  assert.deepEqual(driver.createOutputTopic(viewsPerPage).readKeyValuesToMap(), new Map([['/home', 2]]));
  await driver.close();
});
