export interface Config {
  tempest?: {
    signIn?: {
      /**
       * The sign-in providers the sign-in page offers: `guest` (the embedded
       * default) or `github` (configure auth.providers.github first).
       * @visibility frontend
       */
      providers?: Array<'guest' | 'github'>;
    };
  };
}
