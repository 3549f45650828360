// Mocha root hooks (.mocharc.json "require"): at the very end of the run, stop the services this test process
// started through ensureServices(), and only those. KEEP_ENV=1 leaves them running for the next run.
import { runEnv, startedByThisProcess } from './env';

export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    const mine = startedByThisProcess();
    if (!mine.length || process.env.KEEP_ENV === '1') return;
    this.timeout(180000);
    await runEnv(['down', '--only', mine.join(',')]);
  },
};
