/** A JSON value, indented and coloured by kind, for reading records and store values. */
import type { JSX } from 'preact';

export function JsonView({ value }: { value: unknown }) {
  return <pre class="json">{render(value, 0)}</pre>;
}

function render(value: unknown, depth: number): JSX.Element | string {
  if (value === null) return <span class="json-null">null</span>;
  if (typeof value === 'string') return <span class="json-string">{JSON.stringify(value)}</span>;
  if (typeof value === 'number' || typeof value === 'bigint')
    return <span class="json-number">{String(value)}</span>;
  if (typeof value === 'boolean') return <span class="json-boolean">{String(value)}</span>;
  const pad = '  '.repeat(depth + 1);
  const close = '  '.repeat(depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return (
      <>
        {'[\n'}
        {value.map((item, i) => (
          <>
            {pad}
            {render(item, depth + 1)}
            {i < value.length - 1 ? ',\n' : '\n'}
          </>
        ))}
        {close}]
      </>
    );
  }
  const entries: [string, unknown][] = Object.entries(value ?? {});
  if (entries.length === 0) return '{}';
  return (
    <>
      {'{\n'}
      {entries.map(([key, item], i) => (
        <>
          {pad}
          <span class="json-key">{JSON.stringify(key)}</span>: {render(item, depth + 1)}
          {i < entries.length - 1 ? ',\n' : '\n'}
        </>
      ))}
      {close}
      {'}'}
    </>
  );
}
