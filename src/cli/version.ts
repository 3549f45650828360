// `flink-telemetry-agent version`: name and version from package.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function packageInfo(): { name: string; version: string } {
  // dist/src/cli/ → the package root, where package.json sits next to dist/.
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
}

export function versionCommand(): number {
  const { name, version } = packageInfo();
  process.stdout.write(`${name} ${version} (node ${process.versions.node})\n`);
  return 0;
}
