// The journalctl command line and what its failures mean. journalctl is the reader every peer relies on
// (Vector, OTel); the cursor we pass is the last one whose records every sink durably took.
import type { JournaldConfig } from './schema';

export function journalctlArgs(cfg: JournaldConfig, cursor: string | undefined): string[] {
  const args = ['-o', 'json', '--no-pager', '-f'];
  if (cfg.directory) args.push(`--directory=${cfg.directory}`);
  for (const f of cfg.files ?? []) args.push(`--file=${f}`);
  for (const u of cfg.units) args.push(`--unit=${u}`);
  if (cursor) args.push(`--after-cursor=${cursor}`);
  else if (cfg.since) args.push(`--since=${cfg.since}`, '--no-tail');
  // -f alone shows the last 10 entries; say exactly which start we want.
  else args.push(cfg.start_at === 'beginning' ? '--no-tail' : '--lines=0');
  return args;
}

export type JournalctlFailure =
  | { kind: 'permission'; message: string }
  | { kind: 'bad-cursor'; message: string }
  | { kind: 'missing-binary'; message: string }
  | { kind: 'other'; message: string };

/** Classifies journalctl's stderr (and a spawn error) into something an operator can act on. */
export function classifyFailure(stderr: string, spawnError: NodeJS.ErrnoException | undefined, binary: string): JournalctlFailure {
  if (spawnError?.code === 'ENOENT') {
    return { kind: 'missing-binary', message: `journalctl not found (${binary}): install systemd's journalctl or set journalctl_path` };
  }
  const first = stderr.split('\n').find((l) => l.trim()) ?? (spawnError ? spawnError.message : 'exited without a message');
  if (/insufficient permissions|Permission denied|not seeing messages from other users/i.test(stderr)) {
    return {
      kind: 'permission',
      message: `journalctl cannot read the journal ("${first.trim()}"): add the agent's user to the systemd-journal group ` +
        `(usermod -aG systemd-journal <user>, or SupplementaryGroups=systemd-journal in the agent's unit) and restart the agent`,
    };
  }
  if (/seek to cursor|cursor/i.test(stderr)) return { kind: 'bad-cursor', message: first.trim() };
  return { kind: 'other', message: first.trim() };
}
