// A strict reader of the Prometheus text exposition format (0.0.4), enough to tell that
// what /metrics writes is what a Prometheus server would accept: HELP/TYPE lines, names,
// label syntax and escapes, values; a series given twice or a family split in two throws.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
  /** The one sample of `name` with exactly `labels`; throws when there is none. */
  value(name: string, labels?: Record<string, string>): number;
  /** The values of label `label` among the samples of `name`. */
  labelValues(name: string, label: string): string[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

function parseNumber(text: string, line: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`bad value "${text}" in: ${line}`);
  return Number(text);
}

/** Labels from just after `{`; returns them and the rest of the line after `}`. */
function parseLabels(text: string, line: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 0;
  for (;;) {
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const name = LABEL_NAME.exec(text.slice(i))?.[0];
    if (!name) throw new Error(`bad label name in: ${line}`);
    i += name.length;
    if (text[i] !== '=' || text[i + 1] !== '"') throw new Error(`expected ="  after ${name} in: ${line}`);
    i += 2;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (c === '"') break;
      if (c === '\\') {
        const next = text[i + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else throw new Error(`bad escape \\${next ?? ''} in: ${line}`);
        i += 2;
      } else {
        value += c;
        i += 1;
      }
    }
    i += 1; // closing quote
    if (name in labels) throw new Error(`label ${name} twice in: ${line}`);
    labels[name] = value;
    if (text[i] === ',') i += 1;
    else if (text[i] !== '}') throw new Error(`expected , or } in: ${line}`);
  }
}

const seriesKey = (name: string, labels: Record<string, string>): string =>
  `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;

export function parseExposition(text: string): Exposition {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the text must end with a newline');
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  const series = new Map<string, number>();
  const done = new Set<string>(); // families whose samples are over: one more is a split family
  let current: string | undefined;
  const enter = (name: string): void => {
    if (name === current) return;
    if (current !== undefined) done.add(current);
    if (done.has(name)) throw new Error(`family ${name} is split`);
    current = name;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([^ ]+) ?(.*)$/.exec(line);
      if (!m) continue; // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!METRIC_NAME.test(name) || METRIC_NAME.exec(name)![0] !== name) throw new Error(`bad metric name in: ${line}`);
      enter(name);
      if (kind === 'HELP') {
        if (help.has(name)) throw new Error(`HELP twice for ${name}`);
        help.set(name, unescapeHelp(rest));
      } else {
        if (types.has(name)) throw new Error(`TYPE twice for ${name}`);
        if (!TYPES.has(rest)) throw new Error(`bad type in: ${line}`);
        if (samples.some((s) => s.name === name)) throw new Error(`TYPE after samples of ${name}`);
        types.set(name, rest);
      }
      continue;
    }
    const name = METRIC_NAME.exec(line)?.[0];
    if (!name) throw new Error(`bad sample line: ${line}`);
    enter(name);
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest.slice(1), line));
    const fields = rest.trim().split(/\s+/);
    if (!rest.startsWith(' ') || fields.length < 1 || fields.length > 2) throw new Error(`bad sample line: ${line}`);
    if (fields[1] !== undefined && !/^-?\d+$/.test(fields[1])) throw new Error(`bad timestamp in: ${line}`);
    const value = parseNumber(fields[0]!, line);
    const key = seriesKey(name, labels);
    if (series.has(key)) throw new Error(`series given twice: ${line}`);
    series.set(key, value);
    samples.push({ name, labels, value });
  }
  return {
    types,
    help,
    samples,
    value(name, labels = {}) {
      const v = series.get(seriesKey(name, labels));
      if (v === undefined) throw new Error(`no sample ${name}${JSON.stringify(labels)}`);
      return v;
    },
    labelValues(name, label) {
      return samples.filter((s) => s.name === name && label in s.labels).map((s) => s.labels[label]!);
    },
  };
}
