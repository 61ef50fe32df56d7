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

  it('carries plain copies of the values for guests without cloud-init', async () => {
    const { builder, root } = fixture();
    const file = path.join(root, 'plain', 'seed.iso');
    await builder.build(file, {
      instanceId: 'plain',
      hostname: 'mx1',
      domain: 'example.com',
      sshAuthorizedKeys: [
        'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBx9 alice@laptop',
      ],
      variables: { RELAY_NETWORKS: '10.0.0.0/8', MOTD: "it's $(not run)" },
    });
    const files = await builder.files(file);
    expect(Object.keys(files).sort()).toEqual([
      'meta-data',
      'tempest/appliance-variables.json',
      'tempest/appliance.env',
      'tempest/authorized_keys',
      'tempest/fqdn',
      'tempest/hostname',
      'user-data',
    ]);
    expect(files['tempest/hostname']).toBe('mx1\n');
    expect(files['tempest/fqdn']).toBe('mx1.example.com\n');
    expect(files['tempest/authorized_keys']).toBe(
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBx9 alice@laptop\n',
    );
    // Shell-quoted: sourcing it sets the values and runs nothing.
    expect(files['tempest/appliance.env']).toBe(
      `RELAY_NETWORKS='10.0.0.0/8'\nMOTD='it'\\''s $(not run)'\n`,
    );
    expect(JSON.parse(files['tempest/appliance-variables.json'])).toEqual({
      RELAY_NETWORKS: '10.0.0.0/8',
      MOTD: "it's $(not run)",
    });
  });

  it('refuses variable names the guest shell gives meaning to', async () => {
    const { builder, root } = fixture();
    const file = path.join(root, 'reserved', 'seed.iso');
    for (const name of ['PATH', 'IFS', 'LD_PRELOAD']) {
      expect(
        await code(
          builder.build(file, {
            instanceId: 'reserved',
            hostname: 'r',
            variables: { [name]: 'x' },
          }),
        ),
      ).toBe('INVALID_NAME');
    }
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
