// Mocha root hooks (.mocharc.json "require").
// beforeAll: when the run contains integration tests (*.int.test.js), start every service once, in parallel,
//   under a long timeout, so a cold start (apt install, Maven downloads) does not eat the per-test 120 s
//   timeout of whichever integration test happens to come first. A failure here is only reported: each
//   test's own ensureServices() then retries and fails just the tests that need the broken service.
//   ENV_PREWARM=0 turns it off.
// afterAll: stop the services this test process started, and only those. KEEP_ENV=1 leaves them running.
import { ensureServices, runEnv, startedByThisProcess, type ServiceName } from './env';

const ALL: ServiceName[] = ['opensearch', 'influxdb', 'prometheus', 'victoriametrics', 'postgres', 'flink'];

function hasIntegrationTests(suite: Mocha.Suite): boolean {
  return (suite.file ?? '').includes('.int.test.') || suite.suites.some(hasIntegrationTests);
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    const root = this.test?.parent;
    if (process.env.ENV_PREWARM === '0' || !root || !hasIntegrationTests(root)) return;
    this.timeout(20 * 60 * 1000);
    await ensureServices(ALL).catch((e: Error) => process.stderr.write(`[env] prewarm failed; the tests that need it will retry:\n${e.message}\n`));
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    const mine = startedByThisProcess();
    if (!mine.length || process.env.KEEP_ENV === '1') return;
    this.timeout(180000);
    await runEnv(['down', '--only', mine.join(',')]);
  },
};
