import { ConfigReader } from '@backstage/config';
import { readAppliancesConfig } from './readAppliancesConfig';

const channel = {
  id: 'sample',
  url: 'https://example.com/feed.xml',
  owner: 'group:default/a',
};
const read = (appliances: unknown) =>
  readAppliancesConfig(new ConfigReader({ appliances } as any));

describe('readAppliancesConfig', () => {
  it('has safe defaults', async () => {
    const config = await read(undefined);
    expect(config).toMatchObject({
      currency: 'EUR',
      allowUnsigned: false,
      channels: [],
      feedLimits: {
        maxBytes: 16 * 1024 * 1024,
        timeoutMs: 30_000,
        maxRedirects: 5,
      },
      schedule: { frequency: { seconds: 15 } },
    });
  });

  it('reads channels and the schedule', async () => {
    const config = await read({
      channels: [{ ...channel, refreshMinutes: 15 }],
      schedule: { frequency: { minutes: 5 }, timeout: { minutes: 2 } },
    });
    expect(config.channels).toEqual([
      { ...channel, refreshMinutes: 15, trustedKeys: [], source: 'config' },
    ]);
    expect(config.schedule.frequency).toEqual({ minutes: 5 });
  });

  it.each([
    [{ channels: [{ ...channel, id: 'Bad/Id' }] }, 'appliances.channels[0].id'],
    [{ channels: [channel, channel] }, 'appliances.channels[1].id'],
    [
      { channels: [{ ...channel, url: 'file:///etc/passwd' }] },
      'appliances.channels[0].url',
    ],
    [
      { channels: [{ ...channel, trustedKeys: ['not a key'] }] },
      'appliances.channels[0].trustedKeys[0]',
    ],
    [
      { channels: [{ ...channel, refreshMinutes: 0 }] },
      'appliances.channels[0].refreshMinutes',
    ],
    [{ fetch: { maxRedirects: 99 } }, 'appliances.fetch.maxRedirects'],
    [{ fetch: { concurrency: 0 } }, 'appliances.fetch.concurrency'],
  ])('names the key of a bad value: %j', async (value, key) => {
    await expect(read(value)).rejects.toThrow(`Invalid config at ${key}`);
  });

  it('names the key of an owner that is not a user or group ref', async () => {
    await expect(
      read({ channels: [{ ...channel, owner: 'user:default/<script>' }] }),
    ).rejects.toThrow(/appliances\.channels\[0\]\.owner/);
  });

  it('names the key of an empty owner', async () => {
    await expect(
      read({ channels: [{ ...channel, owner: '' }] }),
    ).rejects.toThrow(/appliances\.channels\[0\]\.owner/);
  });

  it('reads the installation currency and refuses one Intl does not know', async () => {
    const withCurrency = (currency: string) =>
      readAppliancesConfig(new ConfigReader({ tempest: { currency } }));
    await expect(withCurrency('JPY')).resolves.toMatchObject({
      currency: 'JPY',
    });
    await expect(withCurrency('euro')).rejects.toThrow(/tempest\.currency/);
  });
});
