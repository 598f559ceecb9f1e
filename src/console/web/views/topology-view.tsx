/** The topology of an application, drawn as a graph; a node's details beside it. */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ApplicationOverview } from '../../api-types.ts';
import { layoutTopology, type GraphLayout, type GraphNode } from '../graph-model.ts';
import { navigate } from '../hooks.ts';
import { ConsoleError } from '../console-error.ts';

const canvas = textMeasuring();

function textMeasuring(): CanvasRenderingContext2D {
  const context = document.createElement('canvas').getContext('2d');
  if (!context)
    throw new ConsoleError('this browser has no 2D canvas to measure the labels of the graph with');
  return context;
}

function measure(text: string, bold: boolean): number {
  canvas.font = `${bold ? 600 : 400} 13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`;
  return canvas.measureText(text).width;
}

const MIN_ZOOM = 0.4;
const SMALLEST_FIT = 0.75;

export function TopologyView({
  applications,
  selected,
}: {
  applications: readonly ApplicationOverview[];
  selected: string | undefined;
}) {
  const app = applications.find((a) => a.application === selected) ?? applications[0];
  const [nodeId, setNodeId] = useState<string | undefined>();
  const [zoom, setZoom] = useState(1);
  const layout = useMemo(() => (app ? layoutTopology(app.topology, measure) : undefined), [app?.application]);
  const scroller = useRef<HTMLDivElement>(null);
  // A new graph starts fitted to the width it has, unless that would make its labels too small to read.
  useEffect(() => {
    const width = scroller.current?.clientWidth;
    if (layout && width)
      setZoom(Math.round(Math.max(SMALLEST_FIT, Math.min(1, (width - 2) / layout.width)) * 100) / 100);
  }, [layout]);
  if (!app || !layout) return <p class="empty">This worker runs no application.</p>;
  const node = layout.nodes.find((n) => n.id === nodeId);
  const counts = {
    sub: app.topology.subtopologies.length,
    stores: app.topology.stores.length,
    topics: layout.nodes.filter((n) => n.kind === 'topic').length,
  };
  return (
    <div class="split">
      <nav class="side" aria-label="Applications">
        <h2 class="side-title">Applications</h2>
        <ul class="side-list">
          {applications.map((a) => (
            <li key={a.application}>
              <a
                href={`#/topology/${encodeURIComponent(a.application)}`}
                aria-current={a.application === app.application ? 'page' : undefined}
                onClick={() => setNodeId(undefined)}
              >
                <span>{a.application}</span>
                <span class={`dot state-${a.state}`} title={a.state} />
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <section class="main-pane" aria-labelledby="topology-title">
        <header class="pane-head">
          <div>
            <h1 id="topology-title">{app.application}</h1>
            <p class="sub">
              {counts.sub} sub-topolog{counts.sub === 1 ? 'y' : 'ies'} · {counts.stores} store
              {counts.stores === 1 ? '' : 's'} · {counts.topics} topic{counts.topics === 1 ? '' : 's'} · state{' '}
              <span class={`badge state-${app.state}`}>{app.state}</span>
            </p>
          </div>
          <div class="toolbar" role="group" aria-label="Zoom">
            <button
              type="button"
              onClick={() => setZoom((z) => Math.max(MIN_ZOOM, z - 0.2))}
              aria-label="Zoom out"
            >
              −
            </button>
            <button type="button" onClick={() => setZoom(1)} aria-label="Actual size">
              {Math.round(zoom * 100)}%
            </button>
            <button type="button" onClick={() => setZoom((z) => Math.min(2, z + 0.2))} aria-label="Zoom in">
              +
            </button>
          </div>
        </header>
        <Legend />
        <div class="graph-scroll" ref={scroller}>
          <Graph layout={layout} zoom={zoom} selected={nodeId} onSelect={setNodeId} />
        </div>
      </section>
      <aside class="details" aria-label="Node details">
        {node ? <NodeDetails node={node} onStores={() => navigate('stores')} /> : <DetailsHint />}
      </aside>
    </div>
  );
}

function Legend() {
  const kinds: [string, string][] = [
    ['topic', 'topic'],
    ['source', 'source'],
    ['processor', 'processor'],
    ['sink', 'sink'],
    ['store', 'state store'],
  ];
  return (
    <ul class="legend" aria-label="Legend">
      {kinds.map(([kind, label]) => (
        <li key={kind}>
          <span class={`swatch kind-${kind}`} aria-hidden="true" />
          {label}
        </li>
      ))}
    </ul>
  );
}

function DetailsHint() {
  return (
    <div class="hint">
      <h2>Details</h2>
      <p>
        Select a node (click it, or Tab to it and press Enter) to see its serdes, stores, windows and topics.
      </p>
    </div>
  );
}

function NodeDetails({ node, onStores }: { node: GraphNode; onStores: () => void }) {
  return (
    <div>
      <h2 class="details-title">
        <span class={`swatch kind-${node.kind}`} aria-hidden="true" />
        {node.name}
      </h2>
      <dl class="facts">
        {node.details.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {node.kind === 'store' && (
        <a class="button" href={`#/stores/${encodeURIComponent(node.name)}`} onClick={onStores}>
          Browse this store
        </a>
      )}
    </div>
  );
}

function Graph({
  layout,
  zoom,
  selected,
  onSelect,
}: {
  layout: GraphLayout;
  zoom: number;
  selected: string | undefined;
  onSelect: (id: string) => void;
}) {
  const path = (points: readonly { x: number; y: number }[]) =>
    points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
  return (
    <svg
      class="graph"
      width={layout.width * zoom}
      height={layout.height * zoom}
      viewBox={`0 -14 ${layout.width} ${layout.height}`}
      role="group"
      aria-label="Topology graph"
    >
      <defs>
        <marker
          id="arrow"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto"
        >
          <path d="M0,0 L10,5 L0,10 z" fill="#6b7480" />
        </marker>
      </defs>
      {layout.clusters.map((c) => (
        <g key={c.id} class="cluster">
          <rect x={c.x} y={c.y} width={c.width} height={c.height} rx="10" />
          <text x={c.x + 10} y={c.y + 16}>
            {c.label}
          </text>
        </g>
      ))}
      {layout.edges.map((e) => (
        <path
          key={`${e.from}>${e.to}`}
          class={e.store ? 'edge edge-store' : 'edge'}
          d={path(e.points)}
          marker-end={e.store ? undefined : 'url(#arrow)'}
        />
      ))}
      {layout.nodes.map((n) => (
        <g
          key={n.id}
          class={`node kind-${n.kind}${n.id === selected ? ' selected' : ''}`}
          transform={`translate(${n.x},${n.y})`}
          // SVG elements take the attribute in lower case (preact sets SVG props as attributes).
          tabindex={0}
          role="button"
          aria-pressed={n.id === selected}
          aria-label={`${n.note} ${n.name}`}
          data-node={n.name}
          data-kind={n.kind}
          onClick={() => onSelect(n.id)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' || event.key === ' ') {
              event.preventDefault();
              onSelect(n.id);
            }
          }}
        >
          <rect
            width={n.width}
            height={n.height}
            rx={n.kind === 'topic' ? n.height / 2 : n.kind === 'store' ? 12 : 6}
          />
          <text x={n.width / 2} y="20" class="node-name">
            {n.name}
          </text>
          <text x={n.width / 2} y="36" class="node-note">
            {n.note}
          </text>
        </g>
      ))}
    </svg>
  );
}
