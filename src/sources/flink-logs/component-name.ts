// Which Flink process wrote a file (or a journald unit): from the daemon names flink-daemon.sh puts in file names
// (`flink-<user>-standalonesession-0-<host>.log`, `…-taskexecutor-…`) and the usual unit names.
const RULES: Array<[RegExp, string]> = [
  [/standalonesession|jobmanager|standalonejob|job-?manager|(^|[-_.])jm([-_.]|$)/, 'jobmanager'],
  [/taskexecutor|taskmanager|task-?manager|(^|[-_.])tm([-_.]|$)/, 'taskmanager'],
  [/historyserver|history-server/, 'historyserver'],
  [/sql-?gateway/, 'sql-gateway'],
  [/sql-?client|(^|[-_.])client([-_.]|$)/, 'client'],
];

export function componentFromName(name: string): string | undefined {
  const base = name.slice(name.lastIndexOf('/') + 1).toLowerCase();
  for (const [re, component] of RULES) if (re.test(base)) return component;
  return undefined;
}
