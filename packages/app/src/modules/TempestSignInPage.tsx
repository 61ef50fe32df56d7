import { useEffect, useRef } from 'react';
import type { Config } from '@backstage/config';
import {
  SignInPage,
  type IdentityProviders,
  type SignInProviderConfig,
} from '@backstage/core-components';
import {
  configApiRef,
  githubAuthApiRef,
  useApi,
  type SignInPageProps,
} from '@backstage/core-plugin-api';

const GITHUB: SignInProviderConfig = {
  id: 'github-auth-provider',
  title: 'GitHub',
  message: 'Sign in with your GitHub account',
  apiRef: githubAuthApiRef,
};

/** The sign-in providers `tempest.signIn.providers` names (default: the guest). */
export function signInProviders(
  config: Pick<Config, 'getOptionalStringArray'>,
): IdentityProviders {
  const names = config.getOptionalStringArray('tempest.signIn.providers') ?? [
    'guest',
  ];
  return names.map(name => (name === 'github' ? GITHUB : 'guest'));
}

/**
 * The sign-in page offers the providers `tempest.signIn.providers` names:
 * the embedded default's guest, or GitHub in production. With the guest,
 * pressing Enter anywhere on the page signs in, as the Enter button does.
 */
export function TempestSignInPage(props: SignInPageProps) {
  const providers = signInProviders(useApi(configApiRef));
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Enter' || event.defaultPrevented) return;
      const enter = Array.from(
        root.current?.querySelectorAll('button') ?? [],
      ).find(button => button.textContent?.trim().toLowerCase() === 'enter');
      if (enter && document.activeElement !== enter) {
        event.preventDefault();
        enter.click();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div ref={root}>
      <SignInPage
        {...props}
        title="Tempest"
        align="center"
        providers={providers}
      />
    </div>
  );
}
