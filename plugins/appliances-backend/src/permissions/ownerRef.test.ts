import { normalizeOwnerRef } from './ownerRef';

describe('normalizeOwnerRef', () => {
  it.each([
    ['group:default/tempest-admins', 'group:default/tempest-admins'],
    ['group:platform', 'group:default/platform'],
    ['user:default/Jane.Doe', 'user:default/Jane.Doe'],
    ['user:ops-team/j_doe', 'user:ops-team/j_doe'],
    ['group:default/a--b', 'group:default/a--b'],
  ])('accepts %s as %s', (ref, canonical) => {
    expect(normalizeOwnerRef(ref)).toBe(canonical);
  });

  it.each([
    ' ',
    '',
    'user:default/<script>',
    'component:default/web',
    'platform',
    'group:default/',
    'group:Default/platform',
    'group:default/-a',
    `group:default/${'a'.repeat(64)}`,
    'group:default/platform\n',
  ])('refuses %j', ref => {
    expect(normalizeOwnerRef(ref)).toBeUndefined();
  });
});
