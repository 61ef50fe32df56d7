import { ApplianceKey } from '../database/ApplianceStore';
import { ApplianceIndex } from './ApplianceIndex';

function key(
  channelId: string,
  provides: string,
  version: string,
  signatureState: ApplianceKey['signatureState'] = 'verified',
): ApplianceKey {
  return {
    id: `${channelId}.${provides}.${version}`,
    channelId,
    provides,
    version,
    signatureState,
  };
}

// The trusted sample channel: a signed DNS the signed mail relay depends on.
const sample = [
  key('sample', 'dns', '1.2'),
  key('sample', 'dns', '1.0'),
  key('sample', 'mailrelay', '1.0'),
];

describe('ApplianceIndex', () => {
  it('does not let a new unsigned channel take over a trusted dependency or its latest', () => {
    const index = new ApplianceIndex([
      ...sample,
      key('newcomer', 'dns', '99.0', 'unsigned'),
    ]);
    const mailrelay = sample[2];
    expect(index.resolve({ name: 'dns' }, mailrelay)?.id).toBe(
      'sample.dns.1.2',
    );
    expect(index.resolve({ name: 'dns', version: '1.1' }, mailrelay)?.id).toBe(
      'sample.dns.1.2',
    );
    expect(index.isLatest(sample[0])).toBe(true);
    expect(index.isLatest(sample[1])).toBe(false);
    // The newcomer's own item is the latest of its channel.
    expect(index.isLatest(key('newcomer', 'dns', '99.0', 'unsigned'))).toBe(
      true,
    );
  });

  it('takes a version only another channel has, and only one that is new enough', () => {
    const index = new ApplianceIndex([...sample, key('other', 'dns', '2.0')]);
    const mailrelay = sample[2];
    expect(index.resolve({ name: 'dns', version: '2.0' }, mailrelay)?.id).toBe(
      'other.dns.2.0',
    );
    expect(
      index.resolve({ name: 'dns', version: '3.0' }, mailrelay),
    ).toBeUndefined();
  });

  it('prefers a signed appliance from another channel to a newer unsigned one', () => {
    const index = new ApplianceIndex([
      key('signed', 'ldap', '1.0'),
      key('unsigned', 'ldap', '5.0', 'unsigned'),
    ]);
    const dependent = key('third', 'mail', '1.0');
    expect(index.resolve({ name: 'ldap' }, dependent)?.id).toBe(
      'signed.ldap.1.0',
    );
    // With nothing signed left, the unsigned one still resolves.
    expect(
      new ApplianceIndex([key('unsigned', 'ldap', '5.0', 'unsigned')]).resolve(
        { name: 'ldap' },
        dependent,
      )?.id,
    ).toBe('unsigned.ldap.5.0');
  });

  it('puts a signed appliance before an unsigned one at the same version', () => {
    const index = new ApplianceIndex([
      key('a-unsigned', 'dns', '1.0', 'unsigned'),
      key('z-signed', 'dns', '1.0', 'trusted-signer'),
    ]);
    expect(index.versionsOf('dns').map(k => k.id)).toEqual([
      'z-signed.dns.1.0',
      'a-unsigned.dns.1.0',
    ]);
    expect(index.resolve({ name: 'dns' }, key('third', 'mail', '1'))?.id).toBe(
      'z-signed.dns.1.0',
    );
  });
});
