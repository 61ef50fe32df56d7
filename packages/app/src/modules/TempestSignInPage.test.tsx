import { ConfigReader } from '@backstage/config';
import { signInProviders } from './TempestSignInPage';

describe('signInProviders', () => {
  it('offers the guest when nothing is configured (the embedded default)', () => {
    expect(signInProviders(new ConfigReader({}))).toEqual(['guest']);
  });

  it('offers GitHub and no guest when the configuration names only GitHub (production)', () => {
    expect(
      signInProviders(
        new ConfigReader({ tempest: { signIn: { providers: ['github'] } } }),
      ),
    ).toEqual([expect.objectContaining({ id: 'github-auth-provider' })]);
  });
});
