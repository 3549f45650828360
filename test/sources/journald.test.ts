import assert from 'node:assert/strict';
import { journaldSource } from '../../src/sources/journald';
import { classifyFailure, journalctlArgs } from '../../src/sources/journald/journalctl';

const cfg = (extra: Record<string, unknown> = {}) => journaldSource.schema.parse({ type: 'journald', ...extra });

describe('journald source: journalctl arguments and failures', () => {
  const table: Array<[string, Record<string, unknown>, string | undefined, string[]]> = [
    ['follows only new entries by default', {}, undefined, ['-o', 'json', '--no-pager', '-f', '--lines=0']],
    ['reads from the oldest entry with start_at: beginning', { start_at: 'beginning' }, undefined, ['-o', 'json', '--no-pager', '-f', '--no-tail']],
    ['resumes after the saved cursor whatever start_at says', { start_at: 'beginning', units: ['flink-tm.service'] }, 's=1;i=2',
      ['-o', 'json', '--no-pager', '-f', '--unit=flink-tm.service', '--after-cursor=s=1;i=2']],
    ['uses since when no cursor is saved', { since: '-1h' }, undefined, ['-o', 'json', '--no-pager', '-f', '--since=-1h', '--no-tail']],
    ['reads given journal files and a directory', { files: ['/a.journal'], directory: '/j' }, undefined,
      ['-o', 'json', '--no-pager', '-f', '--directory=/j', '--file=/a.journal', '--lines=0']],
  ];
  for (const [name, extra, cursor, want] of table) it(name, () => assert.deepEqual(journalctlArgs(cfg(extra), cursor), want));

  it('explains missing journal access and how to grant it', () => {
    const f = classifyFailure('No journal files were opened due to insufficient permissions.\n', undefined, 'journalctl');
    assert.equal(f.kind, 'permission');
    assert.match(f.message, /systemd-journal group/);
    assert.match(f.message, /usermod -aG systemd-journal/);
  });

  it('recognises a refused cursor, a missing binary and anything else', () => {
    assert.equal(classifyFailure('Failed to seek to cursor: Invalid argument\n', undefined, 'journalctl').kind, 'bad-cursor');
    const missing = classifyFailure('', Object.assign(new Error('spawn x ENOENT'), { code: 'ENOENT' }), '/nope/journalctl');
    assert.equal(missing.kind, 'missing-binary');
    assert.match(missing.message, /\/nope\/journalctl.*journalctl_path/);
    assert.deepEqual(classifyFailure('Something odd\n', undefined, 'journalctl'), { kind: 'other', message: 'Something odd' });
  });

  it('rejects unknown options (strict schema)', () => {
    assert.equal(journaldSource.schema.safeParse({ type: 'journald', unit: 'x' }).success, false);
  });
});
