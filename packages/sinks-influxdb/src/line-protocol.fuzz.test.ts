import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InfluxdbServer, createSeededRandom, startInfluxdb } from '@vigil/test-utils';
import http from 'node:http';
import { encodePoint, integerField, normalizedFieldKey, normalizedMeasurement, normalizedTag } from './line-protocol.js';

/*
 * Property test of the escaping rules against influxd's own parser: random strings full of the
 * characters line protocol treats specially are written as measurement, tag key, tag value,
 * field key and string field value, then queried back through InfluxQL and compared with what
 * the encoder documents (the string itself, or its normalisation for newlines and trailing
 * backslashes). A seeded generator makes every run reproducible; a failure prints the input.
 */

const SEED = Number(process.env.VIGIL_FUZZ_SEED ?? 20_260_101);
const POINTS = 600;
const BATCH = 150;
const special = [',', '=', ' ', '"', '\\', '\n', '\t', "'", '#', '\r', '\u00e9', '\u{1F600}', '\u0000', 'a', 'Z', '0', '_', '-', '.', '/'];

function randomText(next: () => number, options: { readonly noBackslash?: boolean; readonly noNul?: boolean } = {}): string {
  const length = 1 + Math.floor(next() * 12);
  let text = '';
  while (text.length < length) {
    const character = special[Math.floor(next() * special.length)] as string;
    if (options.noBackslash && character === '\\') continue;
    if (options.noNul && character === '\u0000') continue;
    text += character;
  }
  return text;
}

/** POSTs with node:http: influxd echoes rejected lines, control characters included, in a header that fetch refuses to parse. */
function post(url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', insecureHTTPParser: true }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

interface Case {
  readonly id: string;
  readonly measurement: string;
  readonly tagKey: string;
  readonly tagValue: string;
  readonly fieldKey: string;
  readonly text: string;
  readonly number: number;
  readonly integer: number;
  readonly flag: boolean;
}

describe('line protocol escaping, round-tripped through influxd', () => {
  let influx: InfluxdbServer;
  beforeAll(async () => {
    influx = await startInfluxdb();
    await influx.createDatabase('fuzz');
  });
  afterAll(async () => {
    await influx?.close();
  });

  it(`reads back ${POINTS} random measurements, tags, field keys and strings exactly as documented (seed ${SEED})`, async () => {
    const next = createSeededRandom(SEED);
    const cases: Case[] = [];
    for (let index = 0; index < POINTS; index += 1) {
      cases.push({
        id: String(index),
        // Measurement names come from validated options: no backslash, no leading '#'.
        measurement: `m${randomText(next, { noBackslash: true })}`,
        // Prefixes keep random keys apart from `id`, `time` and each other.
        tagKey: `t${randomText(next)}`,
        tagValue: randomText(next),
        fieldKey: `f${randomText(next)}`,
        text: randomText(next) + randomText(next),
        number: (next() - 0.5) * 10 ** Math.floor(next() * 40 - 20),
        integer: Math.floor((next() - 0.5) * 2 ** 53),
        flag: next() < 0.5,
      });
    }
    for (let start = 0; start < cases.length; start += BATCH) {
      const lines = cases.slice(start, start + BATCH).map((entry, offset) =>
        encodePoint(
          {
            measurement: entry.measurement,
            tags: { id: entry.id, [entry.tagKey]: entry.tagValue },
            fields: { [entry.fieldKey]: entry.number, s: entry.text, n: integerField(entry.integer), b: entry.flag },
            timestamp: Date.UTC(2026, 0, 1) + start + offset,
          },
          'ms',
        ),
      );
      const response = await post(`${influx.url}/write?db=fuzz&precision=ms`, lines.join('\n'));
      expect(response.status, `write rejected: ${response.body}`).toBe(204);
    }
    const series = await influx.query('SELECT * FROM /.*/ GROUP BY *', { database: 'fuzz' });
    const byId = new Map(series.map((entry) => [entry.tags?.id, entry]));
    expect(byId.size).toBe(POINTS);
    for (const entry of cases) {
      const stored = byId.get(entry.id);
      const context = JSON.stringify(entry);
      expect(stored, context).toBeDefined();
      if (!stored) continue;
      expect(stored.name, context).toBe(normalizedMeasurement(entry.measurement));
      expect(stored.tags?.[normalizedTag(entry.tagKey)], context).toBe(normalizedTag(entry.tagValue));
      // Each case has its own id tag, so its series holds exactly its one point.
      expect(stored.values, context).toHaveLength(1);
      const row = stored.values[0] ?? [];
      const column = (name: string): unknown => row[stored.columns.indexOf(name)];
      expect(column(normalizedFieldKey(entry.fieldKey)), context).toBe(entry.number);
      expect(column('s'), context).toBe(entry.text);
      expect(column('n'), context).toBe(entry.integer);
      expect(column('b'), context).toBe(entry.flag);
    }
  });
});
