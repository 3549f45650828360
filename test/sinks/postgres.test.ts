import assert from 'node:assert/strict';
import { Client } from 'pg';
import { parse } from 'yaml';
import { renderEffectiveConfig } from '../../src/config/effective';
import { parseConfigText } from '../../src/config/load';
import { MASK } from '../../src/config/mask';
import { agentJsonSchema } from '../../src/config/registered';
import { ConfigError, formatProblem } from '../../src/errors';
import { postgresSchema, type PostgresConfig } from '../../src/sinks/postgres/schema';
import { encodeBatch, jsonText, logsJson, MAX_LOG_ID_BYTES, MAX_SERIES_NAME_BYTES, StoredSeries } from '../../src/sinks/postgres/encode';
import { classifyPgError, poolConfig, sslOptions } from '../../src/sinks/postgres/client';
import { CopyBinaryWriter, int64Halves } from '../../src/sinks/postgres/copy-binary';
import { daysAhead, partitionName } from '../../src/sinks/postgres/migrations';
import { DAY_MS, formatDay, isExpiredDay, parseDay } from '../../src/sinks/shared/days';
import { seriesId64 } from '../../src/sinks/shared/series-id';
import type { TelemetryRecord } from '../../src/model';
import { logRecord, sample } from './opensearch.fixtures';

const cfg = (extra: Record<string, unknown> = {}) => postgresSchema.parse({ type: 'postgres', inputs: ['m'], ...extra });
const WHO = 'postgres sink "pg" (postgres@127.0.0.1:5432/db)';

describe('postgres sink: schema and connection options', () => {
  it('fills the documented defaults', () => {
    const c = cfg();
    assert.equal(c.schema, 'flink_telemetry');
    assert.equal(c.partitions_ahead, 2);
    assert.equal(c.sslmode, 'disable');
    assert.equal(c.pool_size, 4);
  });
  it('rejects a schema name that is not a plain identifier and an unknown sslmode', () => {
    assert.throws(() => cfg({ schema: 'x; DROP TABLE y' }), /schema/);
    assert.throws(() => cfg({ sslmode: 'prefer' }), /sslmode/);
  });
  it('maps sslmode the way libpq does', () => {
    assert.equal(sslOptions({ sslmode: 'disable' }, 'sinks.pg'), false);
    assert.deepEqual(sslOptions({ sslmode: 'require' }, 'sinks.pg'), { rejectUnauthorized: false });
    const verifyCa = sslOptions({ sslmode: 'verify-ca' }, 'sinks.pg') as { rejectUnauthorized: boolean; checkServerIdentity: () => unknown };
    assert.equal(verifyCa.rejectUnauthorized, true);
    assert.equal(verifyCa.checkServerIdentity(), undefined);
    assert.deepEqual(sslOptions({ sslmode: 'verify-full' }, 'sinks.pg'), { rejectUnauthorized: true });
    assert.throws(() => sslOptions({ sslmode: 'verify-full', ca_file: '/nonexistent/ca.pem' }, 'sinks.pg'), /sinks\.pg\.ca_file: cannot read "\/nonexistent\/ca.pem" \(ENOENT\)/);
  });
  it('sizes the pool', () => {
    assert.equal(poolConfig(cfg({ pool_size: 7 }), 'sinks.pg').max, 7);
  });
});

describe('postgres sink: connection_string', () => {
  /** What pg would connect with: a Client builds its connection parameters without connecting. */
  const target = (c: PostgresConfig) => {
    const client = new Client(poolConfig(c, 'sinks.pg'));
    return { host: client.host, port: client.port, user: client.user, database: client.database, password: client.password ?? undefined };
  };
  const server = (c: PostgresConfig) => ({ host: c.host, port: c.port, user: c.user, database: c.database, password: c.password });
  const sinkConfig = (connectionString: string, extra = '') =>
    `sources:\n  h:\n    type: host\nsinks:\n  pg:\n    type: postgres\n    inputs: [h]\n    connection_string: ${connectionString}\n${extra}`;
  const problems = (text: string): string[] => {
    try {
      parseConfigText(text, 'agent.yaml', {});
    } catch (err) {
      if (err instanceof ConfigError) return err.problems.map(formatProblem);
      throw err;
    }
    assert.fail('expected the config to be rejected');
  };

  it('puts its parts into host, port, user and database, which check prints and pg connects with', () => {
    const c = cfg({ connection_string: 'postgres://u@db.example.com:5433/telemetry' });
    assert.deepEqual(server(c), { host: 'db.example.com', port: 5433, user: 'u', database: 'telemetry', password: undefined });
    assert.deepEqual(target(c), server(c));
    assert.equal(poolConfig(c, 'sinks.pg').connectionString, undefined);
  });
  it('takes the parts it leaves out from the fields and their defaults, not from $PGUSER, $USER or pg defaults', () => {
    const c = cfg({ connection_string: 'postgresql://db.example.com/telemetry', user: 'flink_agent', port: 6432, password: 'pw' });
    assert.deepEqual(server(c), { host: 'db.example.com', port: 6432, user: 'flink_agent', database: 'telemetry', password: 'pw' });
    assert.deepEqual(target(c), server(c));
    const defaults = cfg({ connection_string: 'postgres://db.example.com' });
    assert.deepEqual(server(defaults), { host: 'db.example.com', port: 5432, user: 'postgres', database: 'postgres', password: undefined });
    assert.deepEqual(target(defaults), server(defaults));
  });
  it('reads a Unix socket directory, query parameters and a password as pg does, over the fields', () => {
    const socket = cfg({ connection_string: 'postgres:///telemetry?host=/var/run/postgresql&user=flink_agent', host: 'db.example.com', user: 'x' });
    assert.deepEqual(server(socket), { host: '/var/run/postgresql', port: 5432, user: 'flink_agent', database: 'telemetry', password: undefined });
    assert.deepEqual(target(socket), server(socket));
    const pw = cfg({ connection_string: 'postgres://u:p%40ss@[::1]:5433/my%20db', password: 'field' });
    assert.deepEqual(server(pw), { host: '::1', port: 5433, user: 'u', database: 'my db', password: 'p@ss' });
    assert.deepEqual(target(pw), server(pw));
  });
  it('still lets its other parameters win (sslmode, application_name), but not over the pool options', () => {
    const p = poolConfig(cfg({ connection_string: 'postgres://h/d?sslmode=disable&application_name=etl&max=1', sslmode: 'require', pool_size: 3 }), 'sinks.pg');
    assert.equal(p.ssl, false);
    assert.equal(p.application_name, 'etl');
    assert.equal(p.max, 3);
  });
  it('reads the ssl files it names when the pool is made, not when the config is checked', () => {
    const c = cfg({ connection_string: 'postgres://h/d?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem' });
    assert.equal(c.host, 'h');
    assert.throws(() => poolConfig(c, 'sinks.pg'), /^Error: sinks\.pg\.connection_string: ENOENT: no such file or directory, open '\/nonexistent\/ca\.pem'$/);
  });
  it('refuses a string pg would misread or fail on, naming the field and never quoting the string', () => {
    assert.deepEqual(
      ['db.example.com', 'host=db user=u password=secret', 'postgres://u:secret@db:99999/telemetry', 'postgres://db/telemetry?port=0'].map((s) => problems(sinkConfig(s))),
      [
        ['agent.yaml:8:24 sinks.pg.connection_string: is not a postgres:// URL; write postgres://user@host:5432/database (a Unix socket: postgres:///database?host=/var/run/postgresql; libpq key=value strings are not supported)'],
        ['agent.yaml:8:24 sinks.pg.connection_string: is not a postgres:// URL; write postgres://user@host:5432/database (a Unix socket: postgres:///database?host=/var/run/postgresql; libpq key=value strings are not supported)'],
        ['agent.yaml:8:24 sinks.pg.connection_string: is not a valid URL (Invalid URL); write postgres://user@host:5432/database, with characters such as @ : / in the password percent-encoded'],
        ['agent.yaml:8:24 sinks.pg.connection_string: has port "0"; a port is a number from 1 to 65535'],
      ],
    );
  });
  it('never prints its password in the effective config (check)', () => {
    const loaded = parseConfigText(sinkConfig('postgres://u:secret@h/db', '    password: other-secret\n'), 'agent.yaml', {});
    const out = renderEffectiveConfig(loaded.config, agentJsonSchema(), loaded.secretPaths);
    assert.doesNotMatch(out, /secret/);
    const pg = parse(out).sinks.pg;
    assert.deepEqual([pg.connection_string, pg.host, pg.user, pg.database, pg.password], [`postgres://u:${MASK}@h/db`, 'h', 'u', 'db', MASK]);
  });
});

describe('postgres sink: encode', () => {
  it('splits a batch into series, samples and logs columns, remembering each row\'s batch index', () => {
    const b = encodeBatch([sample(1), logRecord(2), sample(2, { value: Number.NaN }), sample(4)], new StoredSeries());
    assert.deepEqual(b.sampleIndex, [0, 2, 3]);
    assert.deepEqual(b.logIndex, [1]);
    assert.equal(b.series.id.length, 2); // tm-1, tm-2 (sample 4 is tm-1 again)
    assert.equal(b.samples.seriesId[0], seriesId64(sample(1).name, sample(1).labels));
    assert.ok(Number.isNaN(b.samples.value[1]));
    assert.equal(b.logs[0]!.cluster, 'c1');
    assert.equal(b.logs[0]!.node, 'n1');
    assert.deepEqual(b.logs[0]!.labels, { env: 'test' });
    assert.deepEqual(b.logs[0]!.attributes, logRecord(2).attributes);
    assert.equal(b.logs[0]!.exception, null);
    assert.equal(b.logs[0]!.ms, logRecord(2).timestampMs);
    assert.deepEqual([...b.logDays], [Date.UTC(2026, 10, 24)]);
  });
  it('refuses impossible timestamps and replaces NUL characters PostgreSQL cannot store', () => {
    const b = encodeBatch([logRecord(1, { timestampMs: Number.NaN, message: 'x' }), logRecord(2, { message: 'a\u0000b' })], new StoredSeries());
    assert.deepEqual(b.problems.map((p) => p.index), [0]);
    assert.match(b.problems[0]!.reason, /timestamp NaN/);
    const json = logsJson(b.logs);
    assert.equal(JSON.parse(json)[0].message, 'a\uFFFDb');
    const nested = JSON.parse(logsJson(encodeBatch([logRecord(3, { attributes: { k: 'x\u0000y' }, message: 'literal \\u0000 stays' })], new StoredSeries()).logs))[0];
    assert.equal(nested.attributes.k, 'x\uFFFDy');
    assert.equal(nested.message, 'literal \\u0000 stays');
  });
  it('writes a lone surrogate in JSON as \\ufffd (jsonb refuses \\ud800), leaving pairs and escaped backslashes alone', () => {
    const json = jsonText({ high: 'a\ud800', low: '\udfffb', ['key\udc00']: 'k', pair: '😀', literal: '\\ud800', twoHigh: '\ud800\ud800', mixed: '\\\ud83d' });
    assert.equal(json, '{"high":"a\\ufffd","low":"\\ufffdb","key\\ufffd":"k","pair":"😀","literal":"\\\\ud800","twoHigh":"\\ufffd\\ufffd","mixed":"\\\\\\ufffd"}');
  });
  it('gives a series the same id whatever the label order', () => {
    assert.equal(seriesId64('m', { a: '1', b: '2' }), seriesId64('m', { b: '2', a: '1' }));
    assert.notEqual(seriesId64('m', { a: '1' }), seriesId64('m', { a: '2' }));
    assert.match(seriesId64('m', {}), /^-?\d+$/);
  });
  it('sends a series row until a batch carrying it commits, and again after a rollback', () => {
    const cache = new StoredSeries();
    const first = encodeBatch([sample(1)], cache);
    assert.equal(first.series.id.length, 1);
    // A concurrent batch while the first is in flight does not carry it twice…
    assert.equal(encodeBatch([sample(1)], cache).series.id.length, 0);
    cache.settle(first.series.id, false);
    // …but after that batch rolled back, the next one does.
    const again = encodeBatch([sample(1)], cache);
    assert.equal(again.series.id.length, 1);
    cache.settle(again.series.id, true);
    assert.equal(encodeBatch([sample(1)], cache).series.id.length, 0);
  });
  it('stays bounded: past max distinct series it starts over, even when no batch ever committed', () => {
    const cache = new StoredSeries(2);
    const news: string[] = [];
    for (const tm of ['a', 'b', 'c', 'a']) cache.idOf('m', { tm }, (id) => news.push(id));
    // a and b are pending; c finds the bound reached and starts over, so a is new again afterwards.
    assert.equal(news.length, 4);
    assert.equal(news[3], news[0]);
  });
});

describe('postgres sink: values over an index entry limit', () => {
  // 'é' is 2 bytes of UTF-8, '😀' 4 (two UTF-16 code units): the limits count bytes, not characters.
  const ofBytes = (n: number, unit: string): string => {
    const size = Buffer.byteLength(unit);
    return 'x'.repeat(n % size) + unit.repeat(Math.floor(n / size));
  };
  const cases: Array<[string, number, (value: string) => TelemetryRecord, RegExp]> = [
    ['log id', MAX_LOG_ID_BYTES, (id) => logRecord(1, { id }), /^log id "x*é+…" is 2685 bytes; the logs primary key \(id, ts\) takes at most 2684 bytes of id .*2704 bytes per index entry\) — shorten the id/],
    ['metric name', MAX_SERIES_NAME_BYTES, (name) => sample(1, { name }), /^metric name "x*é+…" is 2693 bytes; the series index on name takes at most 2692 bytes .* — drop the metric with a filter transform \(metrics\.drop\)$/],
  ];
  for (const [field, max, record, reason] of cases) {
    it(`stores a ${field} of ${max} bytes of UTF-8 and dead-letters one of ${max + 1} by itself, naming field, size and limit`, () => {
      const b = encodeBatch([logRecord(7), record(ofBytes(max, 'é')), sample(7), record(ofBytes(max + 1, 'é'))], new StoredSeries());
      assert.deepEqual(b.problems.map((p) => p.index), [3]);
      assert.match(b.problems[0]!.reason, reason);
      assert.deepEqual([...b.logIndex, ...b.sampleIndex].sort(), [0, 1, 2]);
    });
  }
  it('counts characters outside the BMP as their 4 UTF-8 bytes, though they are 2 UTF-16 code units', () => {
    const b = encodeBatch([logRecord(1, { id: ofBytes(MAX_LOG_ID_BYTES, '😀') }), logRecord(2, { id: ofBytes(MAX_LOG_ID_BYTES + 1, '😀') })], new StoredSeries());
    assert.deepEqual(b.problems.map((p) => [p.index, /is 2685 bytes/.test(p.reason)]), [[1, true]]);
  });
  it('counts NUL as the 3 bytes of the U+FFFD that replaces it', () => {
    const b = encodeBatch([sample(1, { name: '\u0000'.repeat(897) }), sample(2, { name: '\u0000'.repeat(898) })], new StoredSeries());
    assert.deepEqual(b.problems.map((p) => [p.index, /is 2694 bytes/.test(p.reason)]), [[1, true]]);
  });
  it('does not mark the series of a refused sample as on its way, so it is not sent as a series row', () => {
    const b = encodeBatch([sample(1, { name: ofBytes(MAX_SERIES_NAME_BYTES + 1, 'a') })], new StoredSeries());
    assert.deepEqual([b.series.id.length, b.samples.seriesId.length, b.problems.length], [0, 0, 1]);
  });
  it('stores long values no index holds: a message, an attribute, a label (GIN hashes long keys and values)', () => {
    const long = 'ü'.repeat(100_000);
    const b = encodeBatch([logRecord(1, { message: long, attributes: { k: long }, labels: { cluster: 'c1', big: long } }), sample(1, { labels: { [long]: long } })], new StoredSeries());
    assert.deepEqual([b.problems, b.logIndex, b.sampleIndex], [[], [0], [1]]);
  });
});

describe('postgres sink: binary COPY body', () => {
  const halves: Array<[string, string]> = [['1', '0000000000000001'], ['-1', 'ffffffffffffffff'], ['-9223372036854775808', '8000000000000000'], ['4294967296', '0000000100000000']];
  for (const [decimal, hex] of halves) {
    it(`writes series id ${decimal} as the int64 ${hex}`, () => {
      const { hi, lo } = int64Halves(decimal);
      const b = Buffer.alloc(8);
      b.writeInt32BE(hi, 0);
      b.writeUInt32BE(lo, 4);
      assert.equal(b.toString('hex'), hex);
    });
  }

  it('lays out header, rows (bigint, µs since 2000-01-01, float8) and trailer as PostgreSQL reads them, growing past its size hint', () => {
    const w = new CopyBinaryWriter(1);
    const ms = [Date.UTC(2000, 0, 1, 0, 0, 1, 500), Date.UTC(1999, 11, 31, 23, 59, 59, 999), Date.UTC(2300, 0, 1)];
    ms.forEach((t, i) => {
      w.row(3);
      w.int64(int64Halves(String(-2 - i)));
      w.timestamptz(t);
      w.float8([1.5, Number.NaN, Number.NEGATIVE_INFINITY][i]!);
    });
    const body = w.finish();
    assert.equal(body.subarray(0, 19).toString('latin1'), 'PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0');
    assert.equal(body.length, 19 + 3 * 38 + 2);
    const rows = [0, 1, 2].map((i) => body.subarray(19 + i * 38, 19 + (i + 1) * 38));
    for (const [i, row] of rows.entries()) {
      assert.deepEqual([row.readInt16BE(0), row.readInt32BE(2), row.readInt32BE(14), row.readInt32BE(26)], [3, 8, 8, 8], `row ${i} field count and lengths`);
      assert.equal(row.readBigInt64BE(6), BigInt(-2 - i));
      assert.equal(row.readBigInt64BE(18), BigInt(ms[i]! - Date.UTC(2000, 0, 1)) * 1000n);
    }
    assert.deepEqual(rows.map((r) => r.readDoubleBE(30)), [1.5, Number.NaN, Number.NEGATIVE_INFINITY]);
    assert.equal(body.readInt16BE(body.length - 2), -1);
  });

  it('writes text as UTF-8, jsonb with its version byte, and NULL as length -1', () => {
    const w = new CopyBinaryWriter(1);
    w.row(4);
    w.text('größe 😀');
    w.text(null);
    w.jsonb('{"k":"ü"}');
    w.jsonb(null);
    const body = w.finish().subarray(19);
    const text = Buffer.from('größe 😀');
    const json = Buffer.from('{"k":"ü"}');
    const expected = Buffer.alloc(2 + 4 + text.length + 4 + 4 + 1 + json.length + 4 + 2);
    let o = expected.writeInt16BE(4, 0);
    o = expected.writeInt32BE(text.length, o);
    o += text.copy(expected, o);
    o = expected.writeInt32BE(-1, o);
    o = expected.writeInt32BE(json.length + 1, o);
    o = expected.writeUInt8(1, o);
    o += json.copy(expected, o);
    o = expected.writeInt32BE(-1, o);
    expected.writeInt16BE(-1, o);
    assert.equal(body.toString('hex'), expected.toString('hex'));
  });

  it('writes a lone surrogate in text as U+FFFD (EF BF BD), as PostgreSQL needs valid UTF-8', () => {
    const w = new CopyBinaryWriter(1);
    w.row(1);
    w.text('a\ud800b\udc00');
    assert.equal(w.finish().subarray(19).toString('hex'), '0001' + '00000008' + '61efbfbd62efbfbd' + 'ffff');
  });
});

describe('postgres sink: error classification by SQLSTATE', () => {
  const table: Array<[string | undefined, string, string, RegExp]> = [
    ['28P01', 'password authentication failed for user "agent"', 'retry', /authentication failed \(28P01.*check user and password/],
    ['3D000', 'database "nope" does not exist', 'retry', /does not exist \(3D000\).*check database/],
    ['57P01', 'terminating connection due to administrator command', 'retry', /57P01/],
    ['53300', 'sorry, too many clients already', 'retry', /53300/],
    ['40001', 'could not serialize access', 'retry', /40001/],
    ['40P01', 'deadlock detected', 'retry', /40P01/],
    ['08006', 'connection failure', 'retry', /08006/],
    ['22P02', 'invalid input syntax for type bigint', 'reject', /invalid input syntax.*22P02/],
    ['22021', 'invalid byte sequence for encoding "UTF8"', 'reject', /22021/],
    ['42601', 'syntax error at or near "x"', 'reject', /42601/],
    ['42501', 'permission denied for schema flink_telemetry', 'retry', /permission denied.*grant/],
    ['XX000', 'internal error', 'retry', /XX000/],
    ['54000', 'index row size 3016 exceeds btree version 4 maximum 2704 for index "logs_message"', 'too_large', /index row size 3016 .*"logs_message" \(54000\)$/],
    ['54023', 'cannot pass more than 100 arguments to a function', 'too_large', /54023/],
    [undefined, 'connect ECONNREFUSED 127.0.0.1:1', 'retry', /unreachable \(ECONNREFUSED/],
  ];
  for (const [code, message, kind, reason] of table) {
    it(`classifies ${code ?? 'a socket error'} (${message.slice(0, 30)}) as ${kind}`, () => {
      const err = Object.assign(new Error(message), code ? { code } : { code: message.includes('ECONNREFUSED') ? 'ECONNREFUSED' : undefined });
      const { result } = classifyPgError(err, WHO);
      assert.equal(result.kind, kind);
      const text = 'reason' in result ? result.reason : '';
      assert.ok(text.startsWith(WHO), text);
      assert.match(text, reason);
    });
  }
  it('asks to re-create a dropped schema or partition before retrying', () => {
    assert.equal(classifyPgError(Object.assign(new Error('relation "flink_telemetry.logs" does not exist'), { code: '42P01' }), WHO).stale, 'schema');
    const noPartition = classifyPgError(Object.assign(new Error('no partition of relation "samples" found for row'), { code: '23514' }), WHO);
    assert.equal(noPartition.stale, 'partitions');
    assert.equal(noPartition.result.kind, 'retry');
  });
});

describe('postgres sink: days and partitions', () => {
  it('names partitions by UTC day and creates today plus partitions_ahead days', () => {
    const now = Date.UTC(2026, 10, 24, 23, 59);
    assert.equal(partitionName('samples', now), 'samples_p20261124');
    assert.deepEqual(daysAhead(2, now).map((d) => formatDay(d, '')), ['20261124', '20261125', '20261126']);
  });
  it('parses only real days and keeps retention_days days including today', () => {
    assert.equal(parseDay('20261124', ''), Date.UTC(2026, 10, 24));
    assert.equal(parseDay('20261332', ''), undefined);
    assert.equal(parseDay('2026.02.30', '.'), undefined);
    const now = Date.UTC(2026, 10, 24, 12);
    assert.equal(isExpiredDay(Date.UTC(2026, 10, 18), 7, now), false);
    assert.equal(isExpiredDay(Date.UTC(2026, 10, 17), 7, now), true);
    assert.equal(isExpiredDay(now - 1000 * DAY_MS, 0, now), false);
  });
});
