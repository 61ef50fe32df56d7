import { validateName, validateVersion } from './names';
import { assertInside, resolveInside } from './dataPath';

describe('validateName', () => {
  it.each(['web', 'a', 'mail-01', '0abc', 'x'.repeat(63)])('accepts %s', n => {
    expect(validateName(n)).toBe(n);
  });
  it.each([
    '',
    '-a',
    'A',
    'a/b',
    '../x',
    'a;rm -rf',
    'a b',
    '$(x)',
    'x'.repeat(64),
    'a.b',
    'a\nb',
  ])('rejects %j with INVALID_NAME', n => {
    expect(() => validateName(n)).toThrow(
      expect.objectContaining({ code: 'INVALID_NAME' }),
    );
  });
  it('accepts channel versions and rejects separators', () => {
    expect(validateVersion('1.0.0-0')).toBe('1.0.0-0');
    expect(() => validateVersion('../1')).toThrow(
      expect.objectContaining({ code: 'INVALID_NAME' }),
    );
    expect(() => validateVersion('1/2')).toThrow(
      expect.objectContaining({ code: 'INVALID_NAME' }),
    );
  });
});

describe('resolveInside', () => {
  it('keeps paths inside the root', () => {
    expect(resolveInside('/data', 'images', 'x.qcow2')).toBe(
      '/data/images/x.qcow2',
    );
    expect(() => resolveInside('/data', '..', 'etc')).toThrow(
      expect.objectContaining({ code: 'INVALID_PATH' }),
    );
    expect(() => resolveInside('/data', '/etc/passwd')).toThrow(
      expect.objectContaining({ code: 'INVALID_PATH' }),
    );
    expect(() => assertInside('/data', '/data2/x')).toThrow(
      expect.objectContaining({ code: 'INVALID_PATH' }),
    );
    expect(() => assertInside('/data', 'rel/x')).toThrow(
      expect.objectContaining({ code: 'INVALID_PATH' }),
    );
  });
});
