import { ConfigReader } from '@backstage/config';
import { readHostingConfig } from './readHostingConfig';

const read = (embeddedHosts: object) =>
  readHostingConfig(
    new ConfigReader({
      backend: { baseUrl: 'http://localhost:7007' },
      appliances: { dataDir: '/tmp/tempest-test', embeddedHosts },
    }),
  );

describe('readHostingConfig', () => {
  it('names the embedded hosts key it refuses, with its bounds', () => {
    expect(() => read({ count: 9 })).toThrow(
      'Invalid config at appliances.embeddedHosts.count: expected a whole number of at least 0 and at most 8',
    );
    expect(() => read({ count: 2, cpus: 0 })).toThrow(
      'Invalid config at appliances.embeddedHosts.cpus: expected a whole number of at least 1',
    );
  });
});
