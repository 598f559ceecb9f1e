// Kafka Streams' KStreamGlobalKTableLeftJoinTest, transcribed: a stream left-joined with a global table by
// a key taken from each record.
import { beforeEach, describe, expect } from 'vitest';
import { driverPerTest, javaTest, kvt } from './support/conformance.ts';
import { globalJoinCase, type GlobalJoinCase } from './support/global-join.ts';

describe('KStreamGlobalKTableLeftJoinTest', () => {
  const start = driverPerTest();
  let t: GlobalJoinCase;
  beforeEach(async () => {
    t = await globalJoinCase('left', start);
  });

  javaTest('shouldNotRequireCopartitioning', () => {
    expect(t.topology.copartitionGroups).toEqual([]);
  });

  javaTest('shouldNotJoinWithEmptyGlobalTableOnStreamUpdates', () => {
    t.pushToStream(2, 'X', true, false);
    t.processor.check(kvt(0, 'X0,FKey0+null', 0), kvt(1, 'X1,FKey1+null', 1));
  });

  javaTest('shouldNotJoinOnGlobalTableUpdates', () => {
    t.pushToStream(2, 'X', true, false);
    t.processor.check(kvt(0, 'X0,FKey0+null', 0), kvt(1, 'X1,FKey1+null', 1));
    t.pushToGlobalTable(2, 'Y');
    t.processor.check();
    t.pushToStream(4, 'X', true, false);
    t.processor.check(
      kvt(0, 'X0,FKey0+Y0', 2),
      kvt(1, 'X1,FKey1+Y1', 3),
      kvt(2, 'X2,FKey2+null', 4),
      kvt(3, 'X3,FKey3+null', 5),
    );
    t.pushToGlobalTable(4, 'YY');
    t.processor.check();
    t.pushToStream(4, 'X', true, false);
    t.processor.check(
      kvt(0, 'X0,FKey0+YY0', 6),
      kvt(1, 'X1,FKey1+YY1', 7),
      kvt(2, 'X2,FKey2+YY2', 8),
      kvt(3, 'X3,FKey3+YY3', 9),
    );
    t.pushToGlobalTable(4, 'YYY');
    t.processor.check();
  });

  javaTest('shouldJoinRegardlessIfMatchFoundOnStreamUpdates', () => {
    t.pushToGlobalTable(2, 'Y');
    t.processor.check();
    t.pushToStream(4, 'X', true, false);
    t.processor.check(
      kvt(0, 'X0,FKey0+Y0', 0),
      kvt(1, 'X1,FKey1+Y1', 1),
      kvt(2, 'X2,FKey2+null', 2),
      kvt(3, 'X3,FKey3+null', 3),
    );
  });

  javaTest('shouldClearGlobalTableEntryOnNullValueUpdates', () => {
    t.pushToGlobalTable(4, 'Y');
    t.processor.check();
    t.pushToStream(4, 'X', true, false);
    t.processor.check(
      kvt(0, 'X0,FKey0+Y0', 0),
      kvt(1, 'X1,FKey1+Y1', 1),
      kvt(2, 'X2,FKey2+Y2', 2),
      kvt(3, 'X3,FKey3+Y3', 3),
    );
    t.pushNullValueToGlobalTable(2);
    t.processor.check();
    t.pushToStream(4, 'XX', true, false);
    t.processor.check(
      kvt(0, 'XX0,FKey0+null', 4),
      kvt(1, 'XX1,FKey1+null', 5),
      kvt(2, 'XX2,FKey2+Y2', 6),
      kvt(3, 'XX3,FKey3+Y3', 7),
    );
  });

  // A left join drops a record whose key mapper gives null (KStreamKTableJoinProcessor.maybeDropRecord).
  javaTest('shouldNotJoinOnNullKeyMapperValues', () => {
    t.pushToGlobalTable(4, 'Y');
    t.processor.check();
    t.pushToStream(4, 'XXX', false, false);
    t.processor.check();
  });

  javaTest('shouldJoinOnNullKeyWithNonNullKeyMapperValues', () => {
    t.pushToGlobalTable(4, 'Y');
    t.processor.check();
    t.pushToStream(4, 'X', true, true);
    t.processor.check(
      kvt(null, 'X0,FKey0+Y0', 0),
      kvt(1, 'X1,FKey1+Y1', 1),
      kvt(2, 'X2,FKey2+Y2', 2),
      kvt(3, 'X3,FKey3+Y3', 3),
    );
  });
});
