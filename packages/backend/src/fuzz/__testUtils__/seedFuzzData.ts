import { Knex } from 'knex';

const pricing = {
  speed_unit_mhz: 1000,
  speed_price_minor: 2,
  memory_unit_mb: 1024,
  memory_price_minor: 1,
  running_period_seconds: 3600,
  storage_unit_mb: 10240,
  storage_price_minor: 3,
  storage_period_seconds: 86400,
};

/** The provisioning steps in the order the backend's OperationStore writes them. */
const PROVISION_STEPS = [
  'place',
  'reserve-capacity',
  'power-on',
  'install-images',
  'create-disk',
  'define',
  'start',
  'publish',
];

export const FUZZ_IDS = {
  providerHost: '11111111-1111-4111-8111-111111111111',
  otherHost: '11111111-1111-4111-8111-222222222222',
  pendingHost: '11111111-1111-4111-8111-333333333333',
  buyer1Instance: '22222222-2222-4222-8222-111111111111',
  buyer2Instance: '22222222-2222-4222-8222-222222222222',
  failedInstance: '22222222-2222-4222-8222-333333333333',
  buyer1Account: '44444444-4444-4444-8444-111111111111',
  buyer2Account: '44444444-4444-4444-8444-222222222222',
  topUpsAccount: '44444444-4444-4444-8444-333333333333',
};

/**
 * What the fuzzer acts on: a channel with a provisionable and an unsigned
 * appliance, hosts of the provider, of another provider and one waiting to
 * enrol (their agents unreachable), instances of each buyer in several
 * states, and each buyer's account with a top-up in its ledger. Answers the known values for each route's parameters and bodies.
 */
export async function seedFuzzData(
  knex: Knex,
  who: {
    admin: string;
    buyer1: string;
    buyer2Group: string;
    provider: string;
    channelFiles: string[];
    osImageFiles: string[];
  },
) {
  const now = new Date();
  await knex('channels').insert({
    id: 'fuzzed',
    url: 'http://127.0.0.1:9/feed.xml',
    owner: 'group:default/tempest-admins',
    trusted_keys: '[]',
    source: 'api',
    created_at: now,
    last_fetch_at: now,
    last_result: 'failed',
  } as any);
  const appliance = (id: string, provides: string, state: string) => ({
    id,
    channel_id: 'fuzzed',
    provides,
    version: '1.0',
    label: provides,
    description: `The ${provides} appliance`,
    size_mb: 512,
    image_url: `http://127.0.0.1:9/${provides}.img`,
    signature_url: `http://127.0.0.1:9/${provides}.img.asc`,
    signature_state: state,
    cpus: 1,
    memory_kib: 1048576,
    ostype: 'linux',
    disks: '[]',
    dependencies: '[]',
    definition_url: `http://127.0.0.1:9/${provides}.xml`,
    item_name: provides,
    ingested_at: now,
  });
  await knex('appliances').insert([
    appliance('fuzzed.web.1.0', 'web', 'verified'),
    appliance('fuzzed.dns.1.0', 'dns', 'unsigned'),
  ]);
  const host = (id: string, name: string, owner: string, state: string) => ({
    id,
    name,
    owner,
    cpu_model: 'X',
    core_speed_mhz: 2000,
    cpu_cores: 16,
    memory_mb: 65536,
    storage_mb: 1_000_000,
    ...pricing,
    agent_url: 'https://127.0.0.1:9',
    state,
    powered_on: true,
    used_cpu_cores: 1,
    used_memory_mb: 1024,
    used_storage_mb: 10240,
    enrolled_at: state === 'pending' ? null : now,
    enrolment_token_hash: state === 'pending' ? 'f'.repeat(64) : null,
    enrolment_expires_at:
      state === 'pending' ? new Date(now.getTime() + 3_600_000) : null,
    created_at: now,
    updated_at: now,
  });
  await knex('hosts').insert([
    host(FUZZ_IDS.providerHost, 'rack1', who.provider, 'online'),
    host(FUZZ_IDS.otherHost, 'rack2', 'user:default/someone-else', 'online'),
    host(FUZZ_IDS.pendingHost, 'rack3', who.provider, 'pending'),
  ] as any);
  const instance = (
    id: string,
    hostname: string,
    owner: string,
    state: string,
    hostId: string,
  ) => ({
    id,
    hostname,
    active_hostname: hostname,
    owner,
    appliance_id: 'fuzzed.web.1.0',
    host_id: hostId,
    cpu_cores: 1,
    memory_mb: 1024,
    storage_mb: 10240,
    state,
    version: 3,
    running_price_minor: 4,
    running_period_seconds: 3600,
    storage_price_minor: 3,
    storage_period_seconds: 86400,
    domain_name: `tempest-${hostname}`,
    operation_id: id.replace(/^2/, '3'),
    created_at: now,
    updated_at: now,
  });
  const instances = [
    instance(
      FUZZ_IDS.buyer1Instance,
      'web-ann',
      who.buyer1,
      'started',
      FUZZ_IDS.providerHost,
    ),
    instance(
      FUZZ_IDS.buyer2Instance,
      'web-bob',
      who.buyer2Group,
      'stopped',
      FUZZ_IDS.otherHost,
    ),
    instance(
      FUZZ_IDS.failedInstance,
      'web-err',
      who.buyer1,
      'error',
      FUZZ_IDS.providerHost,
    ),
  ];
  await knex('instances').insert(instances);
  await knex('operations').insert(
    instances.map(i => ({
      id: i.operation_id,
      kind: 'provision',
      instance_id: i.id,
      requested_by: i.owner,
      request_hash: 'h',
      request: '{}',
      state: i.state === 'error' ? 'failed' : 'succeeded',
      created_at: now,
      updated_at: now,
    })),
  );
  // Every operation has its steps, as OperationStore.create writes them:
  // succeeded ones all done, the failed one failed at placement.
  await knex('operation_steps').insert(
    instances.flatMap(i =>
      PROVISION_STEPS.map((name, position) => {
        const failed = i.state === 'error';
        if (!failed)
          return {
            operation_id: i.operation_id,
            position,
            name,
            state: 'done',
            progress: 1,
          };
        return {
          operation_id: i.operation_id,
          position,
          name,
          state: position === 0 ? 'failed' : 'pending',
          progress: 0,
          error:
            position === 0 ? 'place failed: no online host has room' : null,
        };
      }),
    ),
  );

  // Accounts with a top-up each: the ledger, reversal and income routes find something.
  const accounts = [
    [FUZZ_IDS.buyer1Account, who.buyer1],
    [FUZZ_IDS.buyer2Account, who.buyer2Group],
    [FUZZ_IDS.topUpsAccount, 'tempest:top-ups'],
  ];
  await knex('billing_accounts').insert(
    accounts.map(([id, owner]) => ({
      id,
      owner,
      currency: 'EUR',
      balance_minor: id === FUZZ_IDS.topUpsAccount ? -2000 : 1000,
      created_at_ms: now.getTime(),
    })),
  );
  const transactionIds: number[] = [];
  for (const [id] of accounts.slice(0, 2)) {
    const [tx] = await knex('billing_transactions')
      .insert({
        kind: 'top-up',
        amount_minor: 1000,
        fee_minor: 0,
        payer_account_id: FUZZ_IDS.topUpsAccount,
        payee_account_id: id,
        reference: `seed-${id}`,
        actor: who.admin,
        created_at_ms: now.getTime(),
      })
      .returning('id');
    const transactionId = Number(typeof tx === 'object' ? tx.id : tx);
    transactionIds.push(transactionId);
    await knex('billing_top_ups').insert({
      account_id: id,
      reference: `seed-${id}`,
      transaction_id: transactionId,
    });
    await knex('billing_postings').insert([
      {
        account_id: FUZZ_IDS.topUpsAccount,
        transaction_id: transactionId,
        line: 0,
        amount_minor: -1000,
      },
      {
        account_id: id,
        transaction_id: transactionId,
        line: 1,
        amount_minor: 1000,
      },
    ]);
  }
  const accountIds = accounts.map(([id]) => id);

  const instanceIds = instances.map(i => i.id);
  const operationIds = instances.map(i => i.operation_id);
  const hostIds = [
    FUZZ_IDS.providerHost,
    FUZZ_IDS.otherHost,
    FUZZ_IDS.pendingHost,
  ];
  const hostNames = ['rack1', 'rack2', 'rack3'];
  const byName: Record<string, readonly unknown[]> = {
    applianceId: ['fuzzed.web.1.0', 'fuzzed.dns.1.0'],
    hostId: [...hostIds, ...hostNames],
    hostname: ['web-ann', 'web-bob', 'web-err', 'web-new', 'db-1', 'mail-2'],
    owner: [
      who.buyer1,
      who.buyer2Group,
      who.provider,
      'group:default/tempest-admins',
    ],
    channel: ['fuzzed', 'sample'],
    provides: ['web', 'dns'],
    state: ['started', 'stopped', 'error'],
    expectedVersion: [1, 3, 4],
    name: [...hostNames, 'rack9'],
  };
  const byRoute: Record<string, Record<string, readonly unknown[]>> = {
    '/instances/{id}': { id: instanceIds },
    '/instances/{id}/actions': { id: instanceIds },
    '/instances/{id}/events': { id: instanceIds },
    '/operations/{id}': { id: operationIds },
    '/hosts/{id}': { id: [...hostIds, ...hostNames] },
    '/hosts/{id}/pricing': { id: hostIds },
    '/hosts/{id}/maintenance': { id: hostIds },
    '/hosts/{id}/enrolment-token': { id: hostIds },
    '/channels': { id: ['fuzzed', 'new-channel'] },
    '/channels/{id}': { id: ['fuzzed'] },
    '/channels/{id}/refresh': { id: ['fuzzed'] },
    '/appliances/{id}': { id: ['fuzzed.web.1.0', 'fuzzed.dns.1.0'] },
    '/static/channels/{channel}/{file}': {
      channel: ['sample'],
      file: who.channelFiles,
    },
    '/static/os-images/{file}': { file: who.osImageFiles },
    '/accounts/{id}': { id: accountIds },
    '/accounts/{id}/ledger': { id: accountIds },
    '/accounts/{id}/top-ups': { id: accountIds },
    '/accounts/{id}/income-by-host': { id: accountIds },
    '/accounts/{id}/ledger/{transactionId}/reversal': {
      id: accountIds,
      transactionId: transactionIds,
    },
  };
  return {
    values: (route: string, name: string) =>
      byRoute[route]?.[name] ?? byName[name],
  };
}
