import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Serdes, StreamsBuilder, defineTopic } from 'tributary';
import { main } from '../../../src/cli/main.ts';
import { requiredAcls } from '../../../src/runtime/worker/required-acls.ts';
import { wordCount } from '../../integration/fixtures/word-count-app.ts';

const summary = (acls: ReturnType<typeof requiredAcls>) =>
  acls.map((a) => `${a.resourceType} ${a.pattern} ${a.name} ${a.operations.join(',')}`);

describe('the ACLs an application needs', () => {
  const app = wordCount({ WORDS_TOPIC: 'words', COUNTS_TOPIC: 'counts', WORD_COUNT_APP_ID: 'wc' });

  it('are READ on sources, WRITE on sinks, its internal topics and groups by prefix, and its transactional ids', () => {
    expect(
      summary(requiredAcls(app.buildTopology(), 'wc', { processingGuarantee: 'at-least-once' })),
    ).toEqual([
      'topic literal words READ',
      'topic literal counts WRITE',
      'topic prefixed wc- CREATE,READ,WRITE',
      'group prefixed wc READ',
    ]);
    expect(
      summary(requiredAcls(app.buildTopology(), 'wc', { processingGuarantee: 'exactly-once' })).at(-1),
    ).toBe('transactional-id prefixed wc- WRITE');
  });

  it('include the topics HTTP routes write, a dead-letter topic of another name, and say when a sink chooses its topic', () => {
    const events = defineTopic('events', Serdes.String(), Serdes.String());
    const builder = new StreamsBuilder();
    const stream = builder.stream(events);
    stream.to(events);
    stream.to((_key, value) => `by-${value}`, { keySerde: Serdes.String(), valueSerde: Serdes.String() });
    const acls = requiredAcls(builder.build(), 'app', {
      processingGuarantee: 'at-least-once',
      httpWrites: ['commands'],
      errorHandling: {
        deserialization: 'dead-letter',
        processing: 'fail',
        production: 'fail',
        deadLetterTopic: 'poison',
      },
    });
    expect(acls.map((a) => [a.name, a.operations.join(','), a.why])).toEqual([
      ['events', 'READ,WRITE', 'source and sink topic'],
      ['commands', 'WRITE', 'written by its HTTP routes'],
      ['poison', 'CREATE,WRITE', 'dead-letter topic (created by the first worker)'],
      [
        '<each topic it chooses>',
        'WRITE',
        expect.stringMatching(/^sink KSTREAM-SINK-\d+ chooses its topic per record$/),
      ],
      ['app-', 'CREATE,READ,WRITE', expect.any(String)],
      ['app', 'READ', expect.any(String)],
    ]);
  });

  it('are printed by `tributary acls`, as kafka-acls commands for a principal', async () => {
    let out = '';
    const io = {
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: () => true },
      cwd: process.cwd(),
    };
    expect(
      await main(
        ['acls', 'topologies/order-details.ts', '--guarantee', 'exactly-once', '--principal', 'User:orders'],
        io,
      ),
    ).toBe(0);
    expect(out.split('\n')).toEqual([
      '# order-details (exactly-once)',
      'kafka-acls --bootstrap-server "$BOOTSTRAP" --command-config admin.properties --add --allow-principal User:orders --operation Read --topic orders',
      'kafka-acls --bootstrap-server "$BOOTSTRAP" --command-config admin.properties --add --allow-principal User:orders --operation Write --topic order-validations',
      'kafka-acls --bootstrap-server "$BOOTSTRAP" --command-config admin.properties --add --allow-principal User:orders --operation Create --operation Read --operation Write --topic order-details- --resource-pattern-type prefixed',
      'kafka-acls --bootstrap-server "$BOOTSTRAP" --command-config admin.properties --add --allow-principal User:orders --operation Read --group order-details --resource-pattern-type prefixed',
      'kafka-acls --bootstrap-server "$BOOTSTRAP" --command-config admin.properties --add --allow-principal User:orders --operation Write --transactional-id order-details- --resource-pattern-type prefixed',
      '',
    ]);
  });
});

describe('docs/security.md', () => {
  it('lists the ACLs of the orders system as `tributary acls` prints them', async () => {
    const doc = readFileSync(new URL('../../../docs/security.md', import.meta.url), 'utf8');
    const block = /<!-- acls:orders -->\s*```text\n([\s\S]*?)```\s*<!-- \/acls:orders -->/.exec(doc)?.[1];
    let out = '';
    const io = {
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: () => true },
      cwd: process.cwd(),
    };
    const files = readdirSync('topologies')
      .filter((f) => f.endsWith('.ts'))
      .sort()
      .map((f) => `topologies/${f}`);
    await main(
      [
        'acls',
        ...files,
        '--guarantee',
        'exactly-once',
        '--http-writes',
        'orders,payments,warehouse-inventory,customers',
      ],
      io,
    );
    expect(block).toBe(`${out.trimEnd()}\n`);
  });
});
