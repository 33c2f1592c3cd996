// The dashboard's plots: one uPlot line chart per group of metrics, fed from the server's
// metrics history (GET /api/metrics/history, columnar: timestamps_ms and one column per
// series). The page keeps one window of rows and appends what is new at each sample.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const ACCENT = "#ff4f6d";
const BLUE = "#5cb8ff";
const MUTED = "#9aa3b2";
const GRID = "#262a33";
const PLOT_HEIGHT = 190;

const count = (v) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en") : +v.toFixed(2));
const fixed = (digits) => (v) => v.toFixed(digits);

// Each group is one chart. `factor` converts the stored unit to the shown one; a series with
// `scale` gets its own axis on the right (deliveries outnumber messages by the room's size).
export const GROUPS = [
  {
    id: "audience", title: "Audience", unit: "people", whole: true,
    series: [
      { name: "webrtc_viewers", label: "Viewers (WebRTC)", colour: ACCENT, format: count },
      { name: "chat_occupants", label: "Chat occupants", colour: BLUE, format: count },
    ],
  },
  {
    id: "chat", title: "Chat traffic", unit: "messages/s",
    series: [
      { name: "chat_messages_per_second", label: "Messages", colour: ACCENT, format: count,
        unit: "/s" },
      { name: "chat_deliveries_per_second", label: "Deliveries", colour: BLUE, format: count,
        unit: "/s", scale: "deliveries", axisLabel: "deliveries/s" },
    ],
  },
  {
    id: "cpu", title: "CPU", unit: "% of one core",
    series: [{ name: "cpu_percent", label: "throng", colour: ACCENT, format: fixed(1), unit: "%" }],
  },
  {
    id: "memory", title: "Memory", unit: "MiB",
    series: [{ name: "rss_bytes", label: "Resident (RSS)", colour: BLUE, factor: 1 / 1048576,
               format: fixed(1), unit: " MiB" }],
  },
  {
    id: "lag", title: "Event-loop lag", unit: "ms",
    series: [{ name: "loop_lag_max_ms", label: "Slowest worker", colour: ACCENT, format: fixed(1),
               unit: " ms" }],
  },
  {
    id: "bitrate", title: "Bitrate out (WebRTC)", unit: "Mbit/s",
    series: [{ name: "webrtc_bits_per_second", label: "To viewers", colour: BLUE, factor: 1e-6,
               format: fixed(2), unit: " Mbit/s" }],
  },
];

const SERIES_NAMES = GROUPS.flatMap((g) => g.series.map((s) => s.name));

function axis(label, extra = {}) {
  return {
    label,
    stroke: MUTED,
    labelFont: "600 12px system-ui, sans-serif",
    font: "12px system-ui, sans-serif",
    grid: { stroke: GRID, width: 1 },
    ticks: { stroke: GRID, width: 1 },
    ...extra,
  };
}

// Time ticks on one line (uPlot's default adds a second line with the date, which a small
// chart clips): hours and minutes, with seconds when the chart spans ten minutes or less.
const clock = (seconds) => new Intl.DateTimeFormat(undefined, {
  hour: "2-digit", minute: "2-digit", second: seconds ? "2-digit" : undefined, hourCycle: "h23",
});
const [hms, hm] = [clock(true), clock(false)];
const timeTicks = (u, splits) => {
  const format = u.scales.x.max - u.scales.x.min <= 600 ? hms : hm;
  return splits.map((t) => format.format(new Date(t * 1000)));
};

// Tick steps for counts of people: no "1.5 viewers".
const WHOLE_STEPS = [1, 2, 5].flatMap((m) => [1, 10, 100, 1000, 10000, 100000].map((p) => m * p))
  .sort((a, b) => a - b);

// Values never go below zero here; a flat zero line still gets a visible range.
const fromZero = (u, min, max) => [0, max > 0 ? max * 1.15 : 1];

function makeChart(group, target) {
  const scales = { x: { time: true }, y: { range: fromZero } };
  const axes = [axis(null, { size: 32, values: timeTicks, space: 70 }), axis(group.unit, {
    size: 60,
    ...(group.whole ? { incrs: WHOLE_STEPS } : {}),
    values: (u, splits) => splits.map((v) => group.series[0].format(v)),
  })];
  for (const s of group.series) {
    if (!s.scale) continue;
    scales[s.scale] = { range: fromZero };
    axes.push(axis(s.axisLabel, {
      scale: s.scale, side: 1, size: 60, grid: { show: false },
      values: (u, splits) => splits.map((v) => s.format(v)),
    }));
  }
  const series = [{ label: "Time", value: "{HH}:{mm}:{ss}" }, ...group.series.map((s) => ({
    label: s.label,
    stroke: s.colour,
    width: 2,
    fill: `${s.colour}1f`,
    scale: s.scale ?? "y",
    points: { show: false },
    spanGaps: false,
    value: (u, v) => (v == null ? "–" : `${s.format(v)}${s.unit ?? ""}`),
  }))];
  const width = Math.max(240, target.clientWidth);
  const empty = [[], ...group.series.map(() => [])];
  return new uPlot({
    width, height: PLOT_HEIGHT, scales, axes, series,
    cursor: { drag: { x: false, y: false, setScale: false } },
    legend: { live: true },
  }, empty, target);
}

// The history window kept in the page: rows in time order, one column per series.
class Rows {
  constructor() { this.clear(); }
  clear() {
    this.ts = [];
    this.columns = new Map(SERIES_NAMES.map((n) => [n, []]));
  }
  get last() { return this.ts.length ? this.ts[this.ts.length - 1] : null; }
  append(history) {
    const index = new Map(history.series.map((name, i) => [name, i]));
    history.timestamps_ms.forEach((t, row) => {
      if (this.last !== null && t <= this.last) return;  // already have it
      this.ts.push(t);
      for (const [name, column] of this.columns) {
        const i = index.get(name);
        column.push(i === undefined ? null : history.values[i][row]);
      }
    });
  }
  trim(oldest) {
    let drop = 0;
    while (drop < this.ts.length && this.ts[drop] < oldest) drop++;
    if (drop === 0) return;
    this.ts.splice(0, drop);
    for (const column of this.columns.values()) column.splice(0, drop);
  }
}

export class Plots {
  // `container`: the element the charts go in; `api(path)`: an authorized GET returning JSON.
  constructor(container, api) {
    this.container = container;
    this.api = api;
    this.rows = new Rows();
    this.windowSeconds = 900;
    this.charts = new Map();  // group id → uPlot
    for (const group of GROUPS) {
      const figure = document.createElement("figure");
      figure.className = "plot";
      figure.dataset.group = group.id;
      const caption = document.createElement("figcaption");
      caption.textContent = group.title;
      const target = document.createElement("div");
      target.className = "plot-canvas";
      target.setAttribute("role", "img");
      target.setAttribute("aria-label", `${group.title} over time, in ${group.unit}`);
      figure.append(caption, target);
      container.append(figure);
      this.charts.set(group.id, makeChart(group, target));
    }
    // Charts follow their box's width (desktop grid, phone column).
    this.resizer = new ResizeObserver(() => this.resize());
    this.resizer.observe(container);
  }

  resize() {
    for (const chart of this.charts.values()) {
      const width = Math.max(240, chart.root.parentElement.clientWidth);
      if (Math.abs(width - chart.width) > 1) chart.setSize({ width, height: PLOT_HEIGHT });
    }
  }

  setWindow(seconds) {
    this.windowSeconds = seconds;
    this.rows.clear();
  }

  // Fetches what is new (everything in the window the first time) and redraws.
  async update() {
    const now = this.rows.last ?? Date.now();
    const since = this.rows.last !== null ? this.rows.last + 1 : now - this.windowSeconds * 1000;
    const query = new URLSearchParams({ since: String(Math.floor(since)),
                                        series: SERIES_NAMES.join(",") });
    const history = await this.api(`/api/metrics/history?${query}`);
    this.rows.append(history);
    if (this.rows.last !== null) this.rows.trim(this.rows.last - this.windowSeconds * 1000);
    this.draw();
    return history.timestamps_ms.length;
  }

  draw() {
    const xs = this.rows.ts.map((t) => t / 1000);
    for (const group of GROUPS) {
      const data = [xs, ...group.series.map((s) => {
        const column = this.rows.columns.get(s.name);
        return s.factor ? column.map((v) => (v == null ? null : v * s.factor)) : column;
      })];
      this.charts.get(group.id).setData(data);
    }
  }

  get size() { return this.rows.ts.length; }

  destroy() {
    this.resizer.disconnect();
    for (const chart of this.charts.values()) chart.destroy();
    this.charts.clear();
    this.container.replaceChildren();
  }
}
