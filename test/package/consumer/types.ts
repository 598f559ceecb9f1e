// Checked by `tsc`, never run: the package's declarations carry the types of the data through.
import type { KStream, StreamsBuilder } from 'tributary';
import { pageViews } from './topologies/page-view-counts.ts';

export function typesOfPageViews(builder: StreamsBuilder): KStream<string, { page: string }> {
  // @ts-expect-error: the values of page-views are page views, not numbers
  const numbers: KStream<string, number> = builder.stream(pageViews);
  void numbers;
  return builder.stream(pageViews);
}
