import { requiredAcls, type RequiredAcl } from '../../runtime/worker/required-acls.ts';
import { ExitCode, UsageError, defineCommand, parseCommandArgs } from '../command.ts';
import { loadApp } from '../load.ts';

const OPERATION_FLAG: Record<string, string> = {
  READ: 'Read',
  WRITE: 'Write',
  CREATE: 'Create',
  DELETE: 'Delete',
  DESCRIBE: 'Describe',
};
const RESOURCE_FLAG: Record<string, string> = {
  topic: '--topic',
  group: '--group',
  'transactional-id': '--transactional-id',
};

export default defineCommand({
  name: 'acls',
  summary: 'list the Kafka ACLs applications need (least privilege)',
  usage: `Usage: tributary acls <topology files...> [--guarantee <g>] [--http-writes <topics>] [--principal User:<name>]

Lists, for each application, the Kafka ACLs a principal needs to run it and no more: READ on its source
and global topics, WRITE on its sink topics, CREATE/READ/WRITE on its internal topics (prefix
"<applicationId>-"), READ on its consumer groups (prefix "<applicationId>"), and under exactly-once
WRITE on its transactional ids (prefix "<applicationId>-"). See docs/security.md.

  --guarantee <g>        at-least-once (default) or exactly-once
  --http-writes <topics> topics the applications' HTTP routes write to (they are not in the topology)
  --principal User:<n>   print kafka-acls commands that grant them to this principal
`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      guarantee: { type: 'string' },
      'http-writes': { type: 'string' },
      principal: { type: 'string' },
    });
    if (positionals.length === 0) throw new UsageError('name at least one topology file');
    const guarantee = values.guarantee ?? 'at-least-once';
    if (guarantee !== 'at-least-once' && guarantee !== 'exactly-once')
      throw new UsageError(`--guarantee must be at-least-once or exactly-once, got "${guarantee}"`);
    const principal = values.principal;
    if (principal !== undefined && !/^[A-Za-z]+:.+$/.test(principal))
      throw new UsageError(`--principal must look like User:<name>, got "${principal}"`);
    const httpWrites =
      values['http-writes']
        ?.split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '') ?? [];
    const lines: string[] = [];
    for (const file of positionals) {
      const app = await loadApp(file, io.cwd);
      const acls = requiredAcls(app.buildTopology(), app.applicationId, {
        processingGuarantee: guarantee,
        httpWrites: app.http ? httpWrites : [],
      });
      lines.push(`# ${app.applicationId} (${guarantee})`);
      lines.push(...(principal ? acls.map((acl) => command(acl, principal)) : table(acls)), '');
    }
    io.stdout.write(`${lines.join('\n')}`);
    return ExitCode.ok;
  },
});

function table(acls: readonly RequiredAcl[]): string[] {
  const rows = acls.map((acl) => [
    acl.resourceType,
    acl.pattern,
    acl.name,
    acl.operations.join(','),
    acl.why,
  ]);
  // Every column but the last (the reason) is padded to its widest cell.
  const widths = rows.reduce(
    (widest, row) => widest.map((width, i) => Math.max(width, row[i]?.length ?? 0)),
    [0, 0, 0, 0],
  );
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  '));
}

function command(acl: RequiredAcl, principal: string): string {
  const operations = acl.operations.map((o) => `--operation ${OPERATION_FLAG[o] ?? o}`).join(' ');
  const pattern = acl.pattern === 'prefixed' ? ' --resource-pattern-type prefixed' : '';
  return `kafka-acls --bootstrap-server "$BOOTSTRAP" --command-config admin.properties --add --allow-principal ${principal} ${operations} ${RESOURCE_FLAG[acl.resourceType]} ${acl.name}${pattern}`;
}
