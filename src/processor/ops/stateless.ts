import type { KeyValue, StreamRecord } from '../record.ts';
import { withKey, withKeyValue, withValue } from '../record.ts';
import type { ProcessorContext, ProcessorSupplier } from '../api.ts';

/**
 * A processor that only transforms and forwards: it needs nothing from its context but `forward`.
 * Each operator below is typed as Kafka Streams' (`KStreamMapValues<K, V, VR>` is a processor of
 * `(K, V)` records forwarding `(K, VR)` ones); the compilers instantiate them with the graph's erased
 * types.
 */
function forwarding<KIn, VIn, KOut, VOut>(
  process: (record: StreamRecord<KIn, VIn>, forward: (r: StreamRecord<KOut, VOut>) => void) => void,
): ProcessorSupplier<KIn, VIn, KOut, VOut> {
  return () => {
    let context: ProcessorContext<KOut, VOut>;
    const forward = (r: StreamRecord<KOut, VOut>) => context.forward(r);
    return {
      init: (c) => {
        context = c;
      },
      process: (record) => process(record, forward),
    };
  };
}

/** `KStreamFilter`: keeps the records whose predicate holds (or does not, negated). */
export function filterProcessor<K, V>(
  predicate: (key: K, value: V) => unknown,
  negate: boolean,
): ProcessorSupplier<K, V, K, V> {
  return forwarding((record, forward) => {
    if (Boolean(predicate(record.key, record.value)) !== negate) forward(record);
  });
}

/** `KStreamMap`. */
export function mapProcessor<K, V, KR, VR>(
  mapper: (key: K, value: V) => KeyValue<KR, VR>,
): ProcessorSupplier<K, V, KR, VR> {
  return forwarding((record, forward) => {
    const result = mapper(record.key, record.value);
    forward(withKeyValue(record, result.key, result.value));
  });
}

/** `KStreamMapValues`. */
export function mapValuesProcessor<K, V, VR>(
  mapper: (value: V, key: K) => VR,
): ProcessorSupplier<K, V, K, VR> {
  return forwarding((record, forward) => forward(withValue(record, mapper(record.value, record.key))));
}

/** `KStreamFlatMap`. */
export function flatMapProcessor<K, V, KR, VR>(
  mapper: (key: K, value: V) => Iterable<KeyValue<KR, VR>>,
): ProcessorSupplier<K, V, KR, VR> {
  return forwarding((record, forward) => {
    for (const result of mapper(record.key, record.value)) {
      forward(withKeyValue(record, result.key, result.value));
    }
  });
}

/** `KStreamFlatMapValues`. */
export function flatMapValuesProcessor<K, V, VR>(
  mapper: (value: V, key: K) => Iterable<VR>,
): ProcessorSupplier<K, V, K, VR> {
  return forwarding((record, forward) => {
    for (const value of mapper(record.value, record.key)) forward(withValue(record, value));
  });
}

/** `selectKey`: a map of the key only. */
export function selectKeyProcessor<K, V, KR>(
  mapper: (key: K, value: V) => KR,
): ProcessorSupplier<K, V, KR, V> {
  return forwarding((record, forward) => forward(withKey(record, mapper(record.key, record.value))));
}

/** `KStreamPeek`: peek forwards after the action; foreach is terminal and forwards nothing. */
export function peekProcessor<K, V>(
  action: (key: K, value: V) => unknown,
  terminal: boolean,
): ProcessorSupplier<K, V, K, V> {
  return forwarding((record, forward) => {
    action(record.key, record.value);
    if (!terminal) forward(record);
  });
}

export function passThroughProcessor<K, V>(): ProcessorSupplier<K, V, K, V> {
  return forwarding((record, forward) => forward(record));
}

/** Sends each record to the first branch whose predicate holds; a branch without predicate takes the rest. */
export function splitProcessor<K, V>(
  branches: readonly { childName: string; predicate: ((key: K, value: V) => unknown) | undefined }[],
): ProcessorSupplier<K, V, K, V> {
  return () => {
    let context: ProcessorContext<K, V>;
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
