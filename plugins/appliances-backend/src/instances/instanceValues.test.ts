import { SecretBox } from '../hosts/SecretBox';
import {
  openVariables,
  resolveInstanceValues,
  sealVariables,
} from './instanceValues';

const database = {
  label: 'Redis',
  variables: [
    {
      name: 'REDIS_PASSWORD',
      description: 'AUTH password',
      required: true,
      secret: true,
    },
    {
      name: 'MAXMEMORY',
      description: 'Memory limit',
      required: false,
      secret: false,
      default: '64mb',
    },
    { name: 'NOTE', description: '', required: false, secret: false },
  ],
};

describe('resolveInstanceValues', () => {
  it('fills in defaults and keeps secret variables apart', () => {
    expect(
      resolveInstanceValues(database, {
        domain: 'lab.example.com',
        sshAuthorizedKeys: [' ssh-ed25519 AAAAC3Nza me@host\n'],
        variables: { REDIS_PASSWORD: 'hunter2' },
      }),
    ).toEqual({
      domain: 'lab.example.com',
      sshAuthorizedKeys: ['ssh-ed25519 AAAAC3Nza me@host'],
      variables: { MAXMEMORY: '64mb' },
      secretVariables: { REDIS_PASSWORD: 'hunter2' },
    });
  });

  it('refuses, all at once, what the guest could not take', () => {
    expect(() =>
      resolveInstanceValues(database, {
        domain: 'Lab..example',
        sshAuthorizedKeys: ['ssh-rsa AAAA\nssh-rsa BBBB'],
        variables: { PATH: '/tmp', MAXMEMORY: 'a\0b' },
      }),
    ).toThrow(
      "The domain 'Lab..example' is not a DNS domain in lower case (such as lab.example.com); " +
        'SSH key 1 is not one OpenSSH public key line (type, key, optional comment); ' +
        'Redis has no variable PATH (it has REDIS_PASSWORD, MAXMEMORY, NOTE); ' +
        'the variable MAXMEMORY holds a NUL byte; ' +
        'Redis needs the variable REDIS_PASSWORD.',
    );
    expect(() =>
      resolveInstanceValues(
        { label: 'Web', variables: [] },
        { variables: { X: '1' } },
      ),
    ).toThrow('Web has no variable X (it declares none).');
  });
});

describe('sealVariables', () => {
  it('seals secret values for one instance only', () => {
    const box = new SecretBox('s'.repeat(32));
    const sealed = sealVariables(box, 'i-1', { REDIS_PASSWORD: 'hunter2' })!;
    expect(sealed.names).toEqual(['REDIS_PASSWORD']);
    expect(sealed.sealed).not.toContain('hunter2');
    expect(openVariables(box, 'i-1', sealed)).toEqual({
      REDIS_PASSWORD: 'hunter2',
    });
    expect(() => openVariables(box, 'i-2', sealed)).toThrow();
    expect(sealVariables(undefined, 'i-1', {})).toBeUndefined();
  });
});
