/* eslint-disable jest/no-export */ // a contract suite is exported for each driver's test file to run
import path from 'node:path';
import { agentErrorCode as code } from '../testing/agentErrorCode';
import { SeedBuilder } from './SeedBuilder';

export interface SeedFixture {
  builder: SeedBuilder;
  root: string;
}

/** The behaviour every SeedBuilder must share. */
export function seedContract(fixture: () => SeedFixture) {
  it('writes hostname, domain, SSH keys and appliance variables that read back unchanged', async () => {
    const { builder, root } = fixture();
    const config = {
      instanceId: 'web-1',
      hostname: 'web-1',
      domain: 'shop.example.com',
      sshAuthorizedKeys: [
        'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBx9 alice@laptop',
      ],
      variables: {
        ADMIN_EMAIL: "o'brien@example.com",
        PORT: '8080',
        MOTD: 'line1\nline2 $(not run)',
      },
    };
    const file = path.join(root, 'web-1', 'seed.iso');
    await builder.build(file, config);
    await expect(builder.read(file)).resolves.toEqual(config);
  });

  it('rebuilds a seed in place', async () => {
    const { builder, root } = fixture();
    const file = path.join(root, 'again', 'seed.iso');
    await builder.build(file, { instanceId: 'again', hostname: 'one' });
    await builder.build(file, { instanceId: 'again', hostname: 'two' });
    expect((await builder.read(file)).hostname).toBe('two');
  });

  it('refuses bad hostnames, keys and variable names before writing anything', async () => {
    const { builder, root } = fixture();
    const file = path.join(root, 'bad', 'seed.iso');
    expect(
      await code(builder.build(file, { instanceId: 'bad', hostname: 'a b' })),
    ).toBe('INVALID_NAME');
    expect(
      await code(
        builder.build(file, {
          instanceId: 'bad',
          hostname: 'h',
          domain: 'x;y',
        }),
      ),
    ).toBe('INVALID_NAME');
    expect(
      await code(
        builder.build(file, {
          instanceId: 'bad',
          hostname: 'h',
          sshAuthorizedKeys: ['ssh-rsa AAAA\nevil'],
        }),
      ),
    ).toBe('INVALID_REQUEST');
    expect(
      await code(
        builder.build(file, {
          instanceId: 'bad',
          hostname: 'h',
          variables: { 'A-B': 'x' },
        }),
      ),
    ).toBe('INVALID_NAME');
    expect(
      await code(
        builder.build('/tmp/outside-seed.iso', {
          instanceId: 'bad',
          hostname: 'h',
        }),
      ),
    ).toBe('INVALID_PATH');
    expect(await code(builder.read(path.join(root, 'bad', 'seed.iso')))).toBe(
      'UNKNOWN_DISK',
    );
  });
}
