import type { AppConfigService } from '@app/config';

import type { JobLeaseRepository } from './job-lease.repository';
import { JobLeases } from './job-leases.service';

/** A lease table where this process wins unless told another instance holds the lease. */
function leases(heldElsewhere = false) {
  const repository = {
    acquire: jest.fn(async () => !heldElsewhere),
    release: jest.fn(async () => undefined),
    renew: jest.fn(async () => true),
  } as unknown as JobLeaseRepository;
  const config = { instances: { jobLeaseMs: 10_000 } } as unknown as AppConfigService;
  return { jobLeases: new JobLeases(repository, config), repository };
}

describe('JobLeases.periodic', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('ticks only once the app has booted, and stops at shutdown', async () => {
    const { jobLeases } = leases();
    const work = jest.fn(async () => 'done');
    jobLeases.periodic('job', 1000, work);
    await jest.advanceTimersByTimeAsync(3000);
    expect(work).not.toHaveBeenCalled();
    jobLeases.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(3000);
    expect(work).toHaveBeenCalledTimes(3);
    jobLeases.onApplicationShutdown();
    await jest.advanceTimersByTimeAsync(3000);
    expect(work).toHaveBeenCalledTimes(3);
  });

  it('shares a pass already running here, and answers undefined when another instance holds the lease', async () => {
    const { jobLeases } = leases();
    let finish: (value: string) => void = () => undefined;
    const work = jest.fn(() => new Promise<string>((resolve) => (finish = resolve)));
    const job = jobLeases.periodic('job', 0, work);
    const first = job.run();
    const second = job.run();
    await jest.advanceTimersByTimeAsync(0);
    finish('once');
    expect(await Promise.all([first, second])).toEqual(['once', 'once']);
    expect(work).toHaveBeenCalledTimes(1);

    const elsewhere = leases(true).jobLeases.periodic('job', 0, work);
    expect(await elsewhere.run()).toBeUndefined();
    expect(work).toHaveBeenCalledTimes(1);
  });
});
