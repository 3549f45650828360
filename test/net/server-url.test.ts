// serverUrl: the `url` of every HTTP sink refuses credentials, which would otherwise be shown wherever the URL is
// (log lines, error reasons, /status); the auth options keep them out of sight.
import assert from 'node:assert/strict';
import { influxDbSchema } from '../../src/sinks/influxdb/schema';
import { openSearchSchema } from '../../src/sinks/opensearch/schema';
import { remoteWriteSchema } from '../../src/sinks/prometheus-remote-write/schema';

const SINKS = [
  ['opensearch', openSearchSchema, {}],
  ['influxdb', influxDbSchema, { database: 'flink' }],
  ['prometheus_remote_write', remoteWriteSchema, {}],
] as const;

describe('sink url', () => {
  for (const [type, schema, required] of SINKS) {
    it(`${type}: refuses a user or password in url, naming url and the auth options`, () => {
      for (const url of ['http://admin:secret@127.0.0.1:9200/api/v1/write', 'https://admin@search.example/x']) {
        const r = schema.safeParse({ type, inputs: ['a'], ...required, url });
        assert.equal(r.success, false, url);
        const issue = r.error!.issues[0]!;
        assert.deepEqual([issue.path, /auth options/.test(issue.message)], [['url'], true], issue.message);
      }
    });

    it(`${type}: takes a url with a path prefix and a port`, () => {
      assert.equal(schema.safeParse({ type, inputs: ['a'], ...required, url: 'https://proxy.example:8443/prefix/api/v1/write' }).success, true);
    });
  }
});
