import { SecretBox } from './SecretBox';

describe('SecretBox', () => {
  const box = new SecretBox('0123456789abcdef0123456789abcdef');

  it('round-trips and never contains the plaintext', () => {
    const sealed = box.seal('{"password":"hunter2"}', 'host-1');
    expect(sealed).not.toContain('hunter2');
    expect(box.open(sealed, 'host-1')).toBe('{"password":"hunter2"}');
    expect(box.seal('x', 'host-1')).not.toBe(box.seal('x', 'host-1'));
  });

  it('refuses another key, another context and tampering', () => {
    const sealed = box.seal('secret', 'host-1');
    expect(() =>
      new SecretBox('another key that is long enough!!').open(sealed, 'host-1'),
    ).toThrow();
    expect(() => box.open(sealed, 'host-2')).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('SECRET').toString('base64url');
    expect(() => box.open(parts.join('.'), 'host-1')).toThrow();
  });

  it('refuses short keys', () => {
    expect(() => new SecretBox('short')).toThrow(/at least 32/);
  });
});
