import {
  ACCOUNT_ID,
  HOST_ID,
  INSTANCE_ID,
  OPERATION_ID,
  Row,
  accountRead,
  instanceRead,
  same,
  signedIn,
} from './routeAccessCallers';

/** Every route of the appliances API: how to call it and what each caller should get. */
const pricing = {
  speedUnitMhz: 1000,
  speedPriceMinor: 2,
  memoryUnitMb: 1024,
  memoryPriceMinor: 1,
  runningPeriodSeconds: 3600,
  storageUnitMb: 10240,
  storagePriceMinor: 3,
  storagePeriodSeconds: 86400,
};
const provisionBody = {
  applianceId: 'no.such.appliance',
  hostname: 'web-9',
  size: { cpuCores: 1, memoryMb: 1024, storageMb: 10240 },
};

export const ROWS: Row[] = [
  {
    method: 'get',
    path: '/market-prices',
    url: () => '/market-prices',
    expect: signedIn(200),
  },
  {
    method: 'get',
    path: '/offers',
    url: () => '/offers?cpuCores=1&memoryMb=1024&storageMb=1024',
    expect: signedIn(200),
  },
  {
    method: 'get',
    path: '/accounts',
    url: () => '/accounts',
    expect: signedIn(200),
  },
  {
    method: 'get',
    path: '/accounts/{id}',
    url: () => `/accounts/${ACCOUNT_ID}`,
    expect: accountRead(200),
  },
  {
    method: 'get',
    path: '/accounts/{id}/ledger',
    url: () => `/accounts/${ACCOUNT_ID}/ledger`,
    expect: accountRead(200),
  },
  // Admins only; an admin passes the permission to a transaction the account does not have.
  {
    method: 'post',
    path: '/accounts/{id}/ledger/{transactionId}/reversal',
    url: () => `/accounts/${ACCOUNT_ID}/ledger/999999/reversal`,
    body: () => ({ reason: 'access table' }),
    expect: signedIn(403, 404),
  },
  {
    method: 'get',
    path: '/accounts/{id}/income-by-host',
    url: () => `/accounts/${ACCOUNT_ID}/income-by-host`,
    expect: accountRead(200),
  },
  {
    method: 'post',
    path: '/accounts/{id}/top-ups',
    url: () => `/accounts/${ACCOUNT_ID}/top-ups`,
    body: who => ({ amountMinor: 100, reference: `access-${who}` }),
    expect: signedIn(403, 200),
  },
  // Static files are served without sign-in only where configured; here they are not.
  { method: 'get', path: '/health', url: () => '/health', expect: same(200) },
  {
    method: 'get',
    path: '/summary',
    url: () => '/summary',
    expect: signedIn(200),
  },
  {
    method: 'get',
    path: '/static/channels/{channel}/{file}',
    url: () => '/static/channels/sample/feed.xml',
    expect: signedIn(404),
  },
  {
    method: 'get',
    path: '/channels',
    url: () => '/channels',
    expect: signedIn(200),
  },
  {
    method: 'post',
    path: '/channels',
    url: () => '/channels',
    body: who => ({
      id: `c-${who.toLowerCase()}`,
      url: 'http://127.0.0.1:9/feed.xml',
      owner: 'group:default/tempest-admins',
    }),
    expect: signedIn(403, 201),
  },
  {
    method: 'delete',
    path: '/channels/{id}',
    url: () => '/channels/nope',
    expect: signedIn(403, 404),
  },
  {
    method: 'post',
    path: '/channels/{id}/refresh',
    url: () => '/channels/nope/refresh',
    expect: signedIn(403, 404),
  },
  {
    method: 'get',
    path: '/appliances',
    url: () => '/appliances',
    expect: signedIn(200),
  },
  {
    method: 'get',
    path: '/appliances/{id}',
    url: () => '/appliances/nope',
    expect: signedIn(404),
  },
  {
    method: 'get',
    path: '/appliance-facets',
    url: () => '/appliance-facets',
    expect: signedIn(200),
  },
  {
    method: 'get',
    path: '/hosts',
    url: () => '/hosts',
    expect: {
      owner: { status: 200, items: 0 },
      otherBuyer: { status: 200, items: 0 },
      provider: { status: 200, items: 1 },
      admin: { status: 200, items: 1 },
      none: 401,
    },
  },
  {
    method: 'post',
    path: '/hosts',
    url: () => '/hosts',
    body: who => ({
      name: `new-${who.toLowerCase()}`,
      cpuModel: 'X',
      coreSpeedMhz: 2000,
      cpuCores: 8,
      memoryMb: 8192,
      storageMb: 100000,
      pricing,
      agentUrl: 'https://new.example:7443',
    }),
    expect: {
      owner: 403,
      otherBuyer: 403,
      provider: 201,
      admin: 201,
      none: 401,
    },
  },
  {
    method: 'get',
    path: '/hosts/{id}',
    url: () => `/hosts/${HOST_ID}`,
    expect: {
      owner: 404,
      otherBuyer: 404,
      provider: 200,
      admin: 200,
      none: 401,
    },
  },
  {
    method: 'put',
    path: '/hosts/{id}/pricing',
    url: () => `/hosts/${HOST_ID}/pricing`,
    body: () => pricing,
    expect: {
      owner: 403,
      otherBuyer: 403,
      provider: 200,
      admin: 200,
      none: 401,
    },
  },
  {
    method: 'put',
    path: '/hosts/{id}/maintenance',
    url: () => `/hosts/${HOST_ID}/maintenance`,
    body: () => ({ maintenance: false }),
    expect: {
      owner: 403,
      otherBuyer: 403,
      provider: 200,
      admin: 200,
      none: 401,
    },
  },
  {
    method: 'get',
    path: '/hosts/{id}/power',
    url: () => `/hosts/${HOST_ID}/power?hours=2`,
    expect: {
      owner: 404,
      otherBuyer: 404,
      provider: 200,
      admin: 200,
      none: 401,
    },
  },
  // The seeded host has no BMC: its provider and admins are told so.
  {
    method: 'post',
    path: '/hosts/{id}/power',
    url: () => `/hosts/${HOST_ID}/power`,
    body: () => ({ action: 'cycle' }),
    expect: {
      owner: 403,
      otherBuyer: 403,
      provider: 409,
      admin: 409,
      none: 401,
    },
  },
  {
    method: 'put',
    path: '/hosts/{id}/agent-url',
    url: () => `/hosts/${HOST_ID}/agent-url`,
    body: () => ({ agentUrl: 'https://rack1-moved.example:7443' }),
    expect: {
      owner: 403,
      otherBuyer: 403,
      provider: 200,
      admin: 200,
      none: 401,
    },
  },
  // The seeded host has enrolled already.
  {
    method: 'post',
    path: '/hosts/{id}/enrolment-token',
    url: () => `/hosts/${HOST_ID}/enrolment-token`,
    expect: {
      owner: 403,
      otherBuyer: 403,
      provider: 409,
      admin: 409,
      none: 401,
    },
  },
  // Agents authenticate with their own tokens, whoever else calls.
  {
    method: 'post',
    path: '/agent/enroll',
    url: () => '/agent/enroll',
    body: () => ({ token: 'not-a-valid-enrolment-token' }),
    expect: same(403),
  },
  {
    method: 'post',
    path: '/agent/heartbeat',
    url: () => '/agent/heartbeat',
    body: () => ({ name: 'x', sentAt: new Date().toISOString() }),
    expect: same(401),
  },
  {
    method: 'get',
    path: '/static/os-images/{file}',
    url: () => '/static/os-images/linux.img',
    expect: signedIn(404),
  },
  {
    method: 'get',
    path: '/instances',
    url: () => '/instances',
    expect: {
      owner: { status: 200, items: 1 },
      otherBuyer: { status: 200, items: 0 },
      provider: { status: 200, items: 1 },
      admin: { status: 200, items: 1 },
      none: 401,
    },
  },
  // Buyers and admins get past the permission to the unknown appliance (400); providers may not provision.
  {
    method: 'post',
    path: '/instances',
    url: () => '/instances',
    body: () => provisionBody,
    expect: {
      owner: 400,
      otherBuyer: 400,
      provider: 403,
      admin: 400,
      none: 401,
    },
  },
  {
    method: 'post',
    path: '/instances/estimate',
    url: () => '/instances/estimate',
    body: () => provisionBody,
    expect: {
      owner: 400,
      otherBuyer: 400,
      provider: 403,
      admin: 400,
      none: 401,
    },
  },
  {
    method: 'get',
    path: '/instances/{id}',
    url: () => `/instances/${INSTANCE_ID}`,
    expect: instanceRead(200),
  },
  {
    method: 'post',
    path: '/instances/{id}/actions',
    url: () => `/instances/${INSTANCE_ID}/actions`,
    // The instance is provisioning: an owner or admin passes the permission and meets the state (409);
    // the provider sees it but may not act (403); another buyer is told it does not exist.
    body: () => ({ action: 'start', expectedVersion: 1 }),
    expect: {
      owner: 409,
      otherBuyer: 404,
      provider: 403,
      admin: 409,
      none: 401,
    },
  },
  {
    method: 'get',
    path: '/instances/{id}/events',
    url: () => `/instances/${INSTANCE_ID}/events`,
    expect: instanceRead(200),
  },
  {
    method: 'get',
    path: '/instances/{id}/migration-targets',
    url: () => `/instances/${INSTANCE_ID}/migration-targets`,
    // Whoever may read the instance may see where it could move.
    expect: instanceRead(200),
  },
  {
    method: 'post',
    path: '/instances/{id}/console',
    url: () => `/instances/${INSTANCE_ID}/console`,
    // The instance is provisioning: the owner and admins may open its console but it has none yet (409);
    // the provider of its host sees it but may not open its console (403); another buyer is told it does not exist.
    expect: {
      owner: 409,
      otherBuyer: 404,
      provider: 403,
      admin: 409,
      none: 401,
    },
  },
  {
    method: 'get',
    path: '/instances/{id}/serial-log',
    url: () => `/instances/${INSTANCE_ID}/serial-log`,
    expect: {
      owner: 409,
      otherBuyer: 404,
      provider: 403,
      admin: 409,
      none: 401,
    },
  },
  {
    method: 'get',
    path: '/operations/{id}',
    url: () => `/operations/${OPERATION_ID}`,
    expect: instanceRead(200),
  },
];
