import { useEffect, useRef } from 'react';
import { SignInPage } from '@backstage/core-components';
import type { SignInPageProps } from '@backstage/core-plugin-api';

/**
 * The guest sign-in of the embedded default. Pressing Enter anywhere on the
 * page signs in, as the Enter button does.
 */
export function GuestSignInPage(props: SignInPageProps) {
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
        providers={['guest']}
      />
    </div>
  );
}
