import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { maskSecrets, MASK } from '../../src/config/mask';
import { formatDuration, formatSize, renderEffectiveConfig } from '../../src/config/effective';
import { toJsonSchema } from '../../src/config/json-schema';
import { parseConfigWith } from '../../src/config/parse';
import { fakeSchema } from './fixtures';

describe('maskSecrets', () => {
  it('masks secret keys, secret-file values and URL passwords, and leaves the input alone', () => {
    const input = {
      auth: { username: 'u', password: 'p', bearer_token: 't', api_key: 'k' },
      tls: { key_file: '/etc/key.pem' },
      url: 'https://admin:hunter2@search:9200/x',
      dsn: 'from-file',
      list: [{ secret: 's' }],
    };
    assert.deepEqual(maskSecrets(input, ['dsn']), {
      auth: { username: 'u', password: MASK, bearer_token: MASK, api_key: MASK },
      tls: { key_file: '/etc/key.pem' },
      url: `https://admin:${MASK}@search:9200/x`,
      dsn: MASK,
      list: [{ secret: MASK }],
    });
    assert.equal(input.auth.password, 'p');
  });

  it('masks a URL password holding an unencoded @ or /, and secret query parameters', () => {
    const cases: Array<[string, string]> = [
      ['postgres://u:p@ss/w@h:5432/db', `postgres://u:${MASK}@h:5432/db`],
      ['postgres://u@h/db?sslmode=require&password=hunter2', `postgres://u@h/db?sslmode=require&password=${MASK}`],
      ['https://h/x?access_token=abc&a=1#f', `https://h/x?access_token=${MASK}&a=1#f`],
      ['https://u:p@h/x?q=a@b', `https://u:${MASK}@h/x?q=a@b`],
      ['not a url password=x', 'not a url password=x'],
    ];
    for (const [url, masked] of cases) assert.equal(maskSecrets({ url }).url, masked, url);
  });
});

describe('effective config', () => {
  it('formats durations and sizes back to units', () => {
    assert.deepEqual([0, 500, 15_000, 90_000, 3_600_000, 1.5].map(formatDuration), ['0s', '500ms', '15s', '1m30s', '1h', '1.5ms']);
    assert.deepEqual([268_435_456, 4 * 1024 * 1024, 1000, 1536].map(formatSize), ['256MiB', '4MiB', 1000, 1536]);
  });

  it('prints defaults, units and masked secrets, and reads back as the same config', () => {
    const text = 'sources:\n  prom:\n    type: scrape\n    url: http://127.0.0.1:9249/\n    interval: 90s\nsinks:\n  search:\n    type: search\n    url: http://127.0.0.1:9200\n    password: pw\n    inputs: [prom]\n';
    const loaded = parseConfigWith(text, 'a.yaml', {}, fakeSchema);
    const out = renderEffectiveConfig(loaded.config, toJsonSchema(fakeSchema), loaded.secretPaths);
    const back = parse(out);
    assert.equal(back.sources.prom.interval, '1m30s');
    assert.equal(back.sinks.search.buffer.max_size, '256MiB');
    assert.equal(back.sinks.search.password, MASK);
    assert.equal(back.agent.shutdown_grace, '10s');
    const again = parseConfigWith(out, 'b.yaml', {}, fakeSchema).config;
    assert.deepEqual({ ...again, sinks: {} }, { ...loaded.config, sinks: {} });
  });
});
