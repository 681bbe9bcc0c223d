const { uPlot } = window;
const KEEP = 300;
const columns = { t: [], rate: [], errors: [], p50: [], p95: [], p99: [] };
let charts = [];

function options(element, series, yLabel) {
  return {
    width: Math.max(280, element.clientWidth - 16),
    height: 190,
    scales: { x: { time: true } },
    series: [{}, ...series],
    axes: [{}, { label: yLabel, size: 50 }],
    legend: { live: false },
  };
}

function dataOf(keys) {
  return [columns.t, ...keys.map((k) => columns[k])];
}

const SPECS = [
  {
    id: 'chart-rate',
    keys: ['rate'],
    y: 'calls/s',
    series: [{ label: 'calls/s', stroke: '#2563eb', width: 2, fill: 'rgba(37,99,235,0.1)' }],
  },
  {
    id: 'chart-errors',
    keys: ['errors'],
    y: '%',
    series: [{ label: 'errors %', stroke: '#dc2626', width: 2, fill: 'rgba(220,38,38,0.1)' }],
  },
  {
    id: 'chart-latency',
    keys: ['p50', 'p95', 'p99'],
    y: 'ms',
    series: [
      { label: 'p50', stroke: '#16a34a', width: 2 },
      { label: 'p95', stroke: '#d97706', width: 2 },
      { label: 'p99', stroke: '#7c3aed', width: 2 },
    ],
  },
];

function push(sample) {
  columns.t.push(sample.at / 1000);
  columns.rate.push(sample.callRate);
  columns.errors.push(sample.calls === 0 ? null : Math.round(sample.errorRate * 1000) / 10);
  columns.p50.push(sample.p50);
  columns.p95.push(sample.p95);
  columns.p99.push(sample.p99);
  if (columns.t.length > KEEP) for (const list of Object.values(columns)) list.shift();
}

/** (Re)draws the three charts from a snapshot's samples. */
export function initCharts(samples) {
  for (const list of Object.values(columns)) list.length = 0;
  for (const sample of samples) push(sample);
  if (charts.length === 0) {
    charts = SPECS.map((spec) => {
      const element = document.getElementById(spec.id);
      return {
        spec,
        element,
        plot: new uPlot(options(element, spec.series, spec.y), dataOf(spec.keys), element),
      };
    });
    window.addEventListener('resize', () => {
      for (const { element, plot } of charts)
        plot.setSize({ width: Math.max(280, element.clientWidth - 16), height: 190 });
    });
  } else {
    redraw();
  }
  document.body.dataset.samples = String(columns.t.length);
}

/** Adds one sample to every chart. */
export function addSample(sample) {
  push(sample);
  redraw();
  document.body.dataset.samples = String(columns.t.length);
}

function redraw() {
  for (const { spec, plot } of charts) plot.setData(dataOf(spec.keys));
}
