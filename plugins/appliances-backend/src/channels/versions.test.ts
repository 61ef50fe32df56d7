import { compareVersions, parseDependency } from './versions';
import { applianceId } from './applianceId';

describe('compareVersions', () => {
  it.each([
    ['1.0.0-0', '1.0.0-1', -1],
    ['1.10.0-0', '1.9.9-9', 1],
    ['2.4.10-3', '2.4.10-3', 0],
    ['1.0', '1.0.1', -1],
    ['15.8-1', '15.0-1', 1],
    ['1.0.0-rc1', '1.0.0-1', -1],
    ['007', '7', 0],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
    expect(Math.sign(compareVersions(b, a))).toBe(-sign || 0);
  });
});

describe('parseDependency', () => {
  it('reads name and name:version', () => {
    expect(parseDependency('firewall')).toEqual({ name: 'firewall' });
    expect(parseDependency('emailserv:1.0.0-0')).toEqual({
      name: 'emailserv',
      version: '1.0.0-0',
    });
    expect(parseDependency('a:b:c')).toBeUndefined();
    expect(parseDependency('../x')).toBeUndefined();
  });
});

describe('applianceId', () => {
  it('is a valid entity name, stable, and distinct for distinct inputs', () => {
    expect(applianceId('sample', 'webserv', '1.0.0-0')).toBe(
      'sample.webserv.1.0.0-0',
    );
    const long = applianceId('a'.repeat(40), 'b'.repeat(40), '1.0');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^([a-zA-Z0-9]+[-_.])*[a-zA-Z0-9]+$/);
    expect(applianceId('s', 'x', '1.0+b1')).not.toBe(
      applianceId('s', 'x', '1.0-b1'),
    );
    expect(applianceId('s', 'x', '1.0+b1')).toMatch(
      /^([a-zA-Z0-9]+[-_.])*[a-zA-Z0-9]+$/,
    );
  });
});
