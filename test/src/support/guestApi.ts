/** The appliances API as the embedded default's guest: fetch JSON with its token. */
export async function guestApi(backendUrl: string) {
  const refresh = await fetch(`${backendUrl}/api/auth/guest/refresh`, {
    headers: { 'X-Requested-With': 'XMLHttpRequest' },
  });
  const headers = {
    'content-type': 'application/json',
    authorization: `Bearer ${(await refresh.json()).backstageIdentity.token}`,
  };
  const api = `${backendUrl}/api/appliances`;
  return {
    get: async (path: string) =>
      (await fetch(`${api}${path}`, { headers })).json(),
    post: (path: string, body: unknown) =>
      fetch(`${api}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      }),
  };
}
