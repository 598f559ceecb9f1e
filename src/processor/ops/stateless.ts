import type { KeyValue, StreamRecord } from '../record.ts';
import { withKey, withKeyValue, withValue } from '../record.ts';
import type { Processor, ProcessorContext, ProcessorSupplier } from '../api.ts';
import type { Fn } from '../../common/functions.ts';

type AnyProcessor = Processor<unknown, unknown, unknown, unknown>;
type AnySupplier = ProcessorSupplier<unknown, unknown, unknown, unknown>;

/** A processor that only transforms and forwards: it needs nothing from its context but `forward`. */
function forwarding(
  process: (
    record: StreamRecord<unknown, unknown>,
    forward: (r: StreamRecord<unknown, unknown>) => void,
  ) => void,
): AnySupplier {
  return () => {
    let context: ProcessorContext<unknown, unknown>;
    const forward = (r: StreamRecord<unknown, unknown>) => context.forward(r);
    const processor: AnyProcessor = {
      init: (c) => {
        context = c;
      },
      process: (record) => process(record, forward),
    };
    return processor;
  };
}

export function filterProcessor(predicate: Fn, negate: boolean): AnySupplier {
  return forwarding((record, forward) => {
    if (Boolean(predicate(record.key, record.value)) !== negate) forward(record);
  });
}

export function mapProcessor(mapper: Fn): AnySupplier {
  return forwarding((record, forward) => {
    const result = mapper(record.key, record.value) as KeyValue<unknown, unknown>;
    forward(withKeyValue(record, result.key, result.value));
  });
}

export function mapValuesProcessor(mapper: Fn): AnySupplier {
  return forwarding((record, forward) => forward(withValue(record, mapper(record.value, record.key))));
}

export function flatMapProcessor(mapper: Fn): AnySupplier {
  return forwarding((record, forward) => {
    for (const result of mapper(record.key, record.value) as Iterable<KeyValue<unknown, unknown>>) {
      forward(withKeyValue(record, result.key, result.value));
    }
  });
}

export function flatMapValuesProcessor(mapper: Fn): AnySupplier {
  return forwarding((record, forward) => {
    for (const value of mapper(record.value, record.key) as Iterable<unknown>)
      forward(withValue(record, value));
  });
}

export function selectKeyProcessor(mapper: Fn): AnySupplier {
  return forwarding((record, forward) => forward(withKey(record, mapper(record.key, record.value))));
}

/** peek forwards after the action; foreach is terminal and forwards nothing. */
export function peekProcessor(action: Fn, terminal: boolean): AnySupplier {
  return forwarding((record, forward) => {
    action(record.key, record.value);
    if (!terminal) forward(record);
  });
}

export function passThroughProcessor(): AnySupplier {
  return forwarding((record, forward) => forward(record));
}

/** Sends each record to the first branch whose predicate holds; a branch without predicate takes the rest. */
export function splitProcessor(
  branches: readonly { childName: string; predicate: Fn | undefined }[],
): AnySupplier {
  return () => {
    let context: ProcessorContext<unknown, unknown>;
    return {
      init: (c) => {
        context = c;
      },
      process: (record) => {
        for (const branch of branches) {
          if (!branch.predicate || branch.predicate(record.key, record.value)) {
            context.forward(record, branch.childName);
            return;
          }
        }
      },
    };
  };
}
