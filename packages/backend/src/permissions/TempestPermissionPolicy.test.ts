import { ConfigReader } from '@backstage/config';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import { PolicyQueryUser } from '@backstage/plugin-permission-node';
import {
  channelManagePermission,
  hostManagePermission,
  instanceCreatePermission,
  instanceReadPermission,
  instanceUpdatePermission,
} from '@tempest/backstage-plugin-appliances-common';
import { TempestPermissionPolicy } from './TempestPermissionPolicy';
import { readTempestRoles } from './readTempestRoles';

const config = new ConfigReader({
  tempest: {
    roles: {
      admin: ['group:default/tempest-admins'],
      provider: ['tempest-providers'],
      buyer: ['group:default/tempest-buyers'],
    },
  },
});

function user(...ownershipEntityRefs: string[]): PolicyQueryUser {
  return {
    info: { userEntityRef: ownershipEntityRefs[0], ownershipEntityRefs },
  } as PolicyQueryUser;
}

describe('readTempestRoles', () => {
  it('normalises group refs', () => {
    expect(readTempestRoles(config)).toEqual({
      admin: ['group:default/tempest-admins'],
      provider: ['group:default/tempest-providers'],
      buyer: ['group:default/tempest-buyers'],
    });
  });

  it('names the key of a malformed ref', () => {
    const empty = new ConfigReader({ tempest: { roles: { admin: [''] } } });
    expect(() => readTempestRoles(empty)).toThrow(/tempest\.roles\.admin\[0\]/);
    const notAGroup = new ConfigReader({
      tempest: {
        roles: { provider: ['group:default/ok', 'component:default/web'] },
      },
    });
    expect(() => readTempestRoles(notAGroup)).toThrow(
      /tempest\.roles\.provider\[1\]/,
    );
  });

  it('names the key of a value of the wrong type', () => {
    const bad = new ConfigReader({
      tempest: { roles: { buyer: 'group:default/x' } },
    });
    expect(() => readTempestRoles(bad)).toThrow(/tempest\.roles\.buyer/);
  });
});

describe('TempestPermissionPolicy', () => {
  const policy = new TempestPermissionPolicy(readTempestRoles(config));

  it('lets admins manage channels', async () => {
    const decision = await policy.handle(
      { permission: channelManagePermission },
      user('user:default/ada', 'group:default/tempest-admins'),
    );
    expect(decision.result).toBe(AuthorizeResult.ALLOW);
  });

  it('refuses channel management to buyers and providers', async () => {
    for (const group of [
      'group:default/tempest-buyers',
      'group:default/tempest-providers',
    ]) {
      const decision = await policy.handle(
        { permission: channelManagePermission },
        user('user:default/bob', group),
      );
      expect(decision.result).toBe(AuthorizeResult.DENY);
    }
  });

  it('leaves other permissions to signed-in users', async () => {
    const other = createPermission({
      name: 'catalog.entity.read',
      attributes: { action: 'read' },
    });
    const decision = await policy.handle(
      { permission: other },
      user('user:default/bob'),
    );
    expect(decision.result).toBe(AuthorizeResult.ALLOW);
  });

  it('answers instance permissions with conditions on the ownership refs, never a plain allow for non-admins', async () => {
    const buyer = user(
      'user:default/ann',
      'group:default/team-a',
      'group:default/tempest-buyers',
    );
    const update = await policy.handle(
      { permission: instanceUpdatePermission },
      buyer,
    );
    expect(update).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'appliances',
      resourceType: 'appliance-instance',
      conditions: {
        rule: 'IS_OWNER',
        resourceType: 'appliance-instance',
        params: {
          owners: [
            'user:default/ann',
            'group:default/team-a',
            'group:default/tempest-buyers',
          ],
        },
      },
    });
    const provider = user(
      'user:default/pat',
      'group:default/tempest-providers',
    );
    const read = await policy.handle(
      { permission: instanceReadPermission },
      provider,
    );
    expect(read.result).toBe(AuthorizeResult.CONDITIONAL);
    expect((read as any).conditions.anyOf.map((c: any) => c.rule)).toEqual([
      'IS_OWNER',
      'IS_ON_HOST_OWNED_BY',
    ]);
  });

  it('lets buyers provision and providers manage hosts, not the other way round', async () => {
    const buyer = user('user:default/ann', 'group:default/tempest-buyers');
    const provider = user(
      'user:default/pat',
      'group:default/tempest-providers',
    );
    expect(
      (await policy.handle({ permission: instanceCreatePermission }, buyer))
        .result,
    ).toBe(AuthorizeResult.ALLOW);
    expect(
      (await policy.handle({ permission: instanceCreatePermission }, provider))
        .result,
    ).toBe(AuthorizeResult.DENY);
    expect(
      (await policy.handle({ permission: hostManagePermission }, provider))
        .result,
    ).toBe(AuthorizeResult.ALLOW);
    expect(
      (await policy.handle({ permission: hostManagePermission }, buyer)).result,
    ).toBe(AuthorizeResult.DENY);
  });
});
