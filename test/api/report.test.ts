/**
 * The public API is what api/tributary.api.md says it is: the declarations the package ships, as a
 * user's compiler reaches them from `tributary` and `tributary/testing`. A change of the public surface
 * fails here until the report is regenerated (`npm run api`) and the change reviewed with it.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { publicDeclarations, renderReport, REPORT, type PublicDeclarations } from '../../scripts/api/report.ts';

describe('the API report', () => {
  let declarations: PublicDeclarations;
  beforeAll(() => {
    declarations = publicDeclarations();
  }, 300_000);

  it('is current (run `npm run api` when this fails, and review the change of the public API)', () => {
    expect(renderReport(declarations)).toBe(readFileSync(REPORT, 'utf8'));
  });

  it('ships no member marked @internal, and no constructor of Topology', () => {
    const shipped = declarations.reached.map((file) => declarations.emitted.get(file)!).join('\n');
    expect(shipped).not.toContain('@internal');
    const topology = declarations.emitted.get('topology/topology.d.ts')!;
    expect(topology).not.toMatch(/constructor|PhysicalTopologyBuilder|IrGraph|NodeDef/);
  });

  it('reaches neither the runtime internals nor the test driver’s broker', () => {
    for (const file of ['testing/in-memory-broker.d.ts', 'testing/test-cluster.d.ts', 'topology/physical.d.ts', 'topology/compile/context.d.ts'])
      expect(declarations.reached).not.toContain(file);
  });
});
