// Kafka Streams' KTableKTableForeignKeyJoinScenarioTest, transcribed: a foreign-key join feeding a
// primary-key join, with serdes from the defaults, from Consumed, Materialized or Produced.
import { describe, expect } from 'vitest';
import { Serdes, StreamsBuilder, type KTable, type Materialized } from 'tributary';
import { driverPerTest, javaTest, notApplicable } from './support/conformance.ts';

const integerString = { keySerde: Serdes.Int(), valueSerde: Serdes.String() };

describe('KTableKTableForeignKeyJoinScenarioTest', () => {
  const start = driverPerTest();

  /** A builder whose default serdes are Integer keys and String values, as the Java test's config sets. */
  const withDefaults = () =>
    new StreamsBuilder({ defaultKeySerde: Serdes.Int(), defaultValueSerde: Serdes.String() });

  /**
   * Table A joined to B on the number before the dash in A's value, then A joined to that result on
   * its own key; `options` say where serdes are given explicitly.
   */
  function scenario(
    builder: StreamsBuilder,
    options: {
      consumed?: boolean;
      fkMaterialized?: Materialized<number, string>;
      joinMaterialized?: Materialized<number, string>;
      produced?: boolean;
    } = {},
  ) {
    const aTable: KTable<number, string> = builder.table('A', options.consumed ? integerString : {});
    const bTable: KTable<number, string> = builder.table('B');
    const fkJoinResult = aTable.join(
      bTable,
      (value) => Number.parseInt(value.split('-')[0]!, 10),
      (aVal, bVal) => `(${aVal},${bVal})`,
      options.fkMaterialized ?? { storeName: 'asdf' },
    );
    const finalJoinResult = aTable.join(
      fkJoinResult,
      (aVal, fkJoinVal) => `(${aVal},${fkJoinVal})`,
      options.joinMaterialized,
    );
    finalJoinResult.toStream().to('output', options.produced ? integerString : {});
  }

  /** The Java `validateTopologyCanProcessData`. */
  async function validateTopologyCanProcessData(builder: StreamsBuilder) {
    const driver = await start(builder.build());
    driver.createInputTopic<number, string>('A', Serdes.Int(), Serdes.String()).pipeInput(1, '999-alpha');
    driver.createInputTopic<number, string>('B', Serdes.Int(), Serdes.String()).pipeInput(999, 'beta');
    const output = driver.createOutputTopic<number, string>('output', Serdes.Int(), Serdes.String());
    expect(output.readKeyValuesToMap()).toEqual(new Map([[1, '(999-alpha,(999-alpha,beta))']]));
  }

  javaTest('shouldWorkWithDefaultSerdes', async () => {
    const builder = withDefaults();
    scenario(builder);
    await validateTopologyCanProcessData(builder);
  });

  javaTest('shouldWorkWithDefaultAndConsumedSerdes', async () => {
    const builder = withDefaults();
    scenario(builder, { consumed: true });
    await validateTopologyCanProcessData(builder);
  });

  javaTest('shouldWorkWithDefaultAndJoinResultSerdes', async () => {
    const builder = withDefaults();
    scenario(builder, { fkMaterialized: { storeName: 'asdf', ...integerString } });
    await validateTopologyCanProcessData(builder);
  });

  javaTest('shouldWorkWithDefaultAndEquiJoinResultSerdes', async () => {
    const builder = withDefaults();
    scenario(builder, { joinMaterialized: integerString });
    await validateTopologyCanProcessData(builder);
  });

  javaTest('shouldWorkWithDefaultAndProducedSerdes', async () => {
    const builder = withDefaults();
    scenario(builder, { produced: true });
    await validateTopologyCanProcessData(builder);
  });

  notApplicable(
    'shouldUseExpectedTopicsWithSerde',
    'checks the topic names Kafka Streams gives serdes: its foreign-key join internals (`<app>-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-<n>-topic-fk`, `-pk`, `-vh`) and its stores (their changelog topics); Tributary names the join internals `KTABLE-FK-JOIN-<n>-SUBSCRIPTION-REGISTRATION-topic` and tells store serdes the store name',
  );
});
