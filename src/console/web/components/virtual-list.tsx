/**
 * A list that renders only the rows in view (plus a few): thousands of rows cost what a screenful
 * costs. Rows have one fixed height.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

export interface VirtualListProps<T> {
  readonly items: readonly T[];
  readonly rowHeight: number;
  readonly height: number;
  readonly label: string;
  readonly row: (item: T, index: number) => ComponentChildren;
}

const OVERSCAN = 6;

export function VirtualList<T>({ items, rowHeight, height, label, row }: VirtualListProps<T>) {
  const [top, setTop] = useState(0);
  const first = Math.max(0, Math.floor(top / rowHeight) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((top + height) / rowHeight) + OVERSCAN);
  const rows = items.slice(first, last).map((item, offset) => {
    const i = first + offset;
    return (
      <div
        class="vrow"
        role="listitem"
        key={i}
        style={{ top: `${i * rowHeight}px`, height: `${rowHeight}px` }}
      >
        {row(item, i)}
      </div>
    );
  });
  return (
    <div
      class="vlist"
      role="list"
      aria-label={label}
      tabIndex={0}
      style={{ height: `${height}px` }}
      onScroll={(event) => setTop(event.currentTarget.scrollTop)}
    >
      <div style={{ height: `${items.length * rowHeight}px`, position: 'relative' }}>{rows}</div>
    </div>
  );
}
