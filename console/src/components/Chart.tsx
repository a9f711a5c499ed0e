/**
 * A line chart in plain SVG: a few series over shared x labels (time buckets). No chart library:
 * the console stays small, and this is all the pipeline's numbers need.
 */
export type ChartSeries = { name: string; values: number[] };

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];
const WIDTH = 760;
const HEIGHT = 240;
const PAD = { left: 48, right: 36, top: 12, bottom: 28 };

export function Chart({ labels, series, label }: { labels: string[]; series: ChartSeries[]; label: string }) {
  if (labels.length === 0 || series.length === 0) return <p className="muted">Nothing to chart in this range yet.</p>;
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const innerWidth = WIDTH - PAD.left - PAD.right;
  const innerHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (labels.length === 1 ? innerWidth / 2 : (i / (labels.length - 1)) * innerWidth);
  const y = (value: number) => PAD.top + innerHeight - (value / max) * innerHeight;
  const ticks = [0, max / 2, max];
  const labelAt = [0, Math.floor((labels.length - 1) / 2), labels.length - 1].filter((i, n, all) => all.indexOf(i) === n);
  return (
    <figure className="chart" data-testid="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={label}>
        {ticks.map((tick) => (
          <g key={tick}>
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} className="grid" />
            <text x={PAD.left - 6} y={y(tick) + 4} textAnchor="end" className="tick">
              {formatTick(tick)}
            </text>
          </g>
        ))}
        {labelAt.map((i) => (
          <text key={i} x={x(i)} y={HEIGHT - 8} textAnchor="middle" className="tick">
            {labels[i]}
          </text>
        ))}
        {series.map((s, n) => (
          <g key={s.name} data-series={s.name}>
            <polyline
              fill="none"
              stroke={PALETTE[n % PALETTE.length]}
              strokeWidth={2}
              points={s.values.map((v, i) => `${x(i)},${y(v)}`).join(' ')}
            />
            {s.values.map((v, i) => (
              <circle key={labels[i]} cx={x(i)} cy={y(v)} r={labels.length > 60 ? 1.5 : 3} fill={PALETTE[n % PALETTE.length]}>
                <title>{`${s.name} · ${labels[i]}: ${v}`}</title>
              </circle>
            ))}
          </g>
        ))}
      </svg>
      <figcaption className="legend">
        {series.map((s, n) => (
          <span key={s.name}>
            <i style={{ background: PALETTE[n % PALETTE.length] }} />
            {s.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

function formatTick(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
