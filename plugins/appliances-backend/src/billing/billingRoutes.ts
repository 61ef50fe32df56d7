import {
  AuditorService,
  HttpAuthService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  accountReadPermission,
  accountReversePermission,
  accountTopUpPermission,
  applianceReadPermission,
  currencyMinorDigits,
} from '@tempest/backstage-plugin-appliances-common';
import { Request, Response } from 'express';
import { audited } from '../service/audited';
import { authorize } from '../service/authorize';
import { callerScope } from '../service/callerScope';
import { AppliancesRouter } from '../service/types';
import { Account, AccountStore } from './AccountStore';
import { HostIncomeReader } from './HostIncomeReader';
import { LEDGER_CSV_HEADER, ledgerCsvLine } from './ledgerCsv';
import { LedgerReader } from './LedgerReader';
import { Reversals } from './Reversals';
import { TopUps } from './TopUps';
import { BillingConfig, refusesProvisioning } from './readBillingConfig';
import { MarketPrices } from './MarketPrices';
import { listOffers } from './offers';
import type { Billing } from './createBilling';

export type BillingRoutesOptions = {
  market: MarketPrices;
  offerHosts: Billing['offerHosts'];
  auditor: AuditorService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  userInfo: UserInfoService;
  accounts: AccountStore;
  topUps: TopUps;
  reversals: Reversals;
  ledger: LedgerReader;
  income: HostIncomeReader;
  config: BillingConfig;
};

const isEntity = (owner: string) =>
  owner.startsWith('user:') || owner.startsWith('group:');

/** GET /accounts, GET /accounts/:id, POST /accounts/:id/top-ups, GET /accounts/:id/ledger,
 * POST /accounts/:id/ledger/:transactionId/reversal, GET /accounts/:id/income-by-host. */
export function addBillingRoutes(
  router: AppliancesRouter,
  options: BillingRoutesOptions,
) {
  const { accounts, topUps, reversals, ledger, income, auditor, config } =
    options;

  const withSpend = async (list: Account[]) => {
    const spend = await accounts.spendPerHour(list.map(a => a.id));
    return list.map(a => ({
      ...a,
      spendPerHourMinor: spend.get(a.id) ?? 0,
      provisioningRefused:
        refusesProvisioning(config.zeroBalancePolicy) &&
        isEntity(a.owner) &&
        a.balanceMinor <= 0,
    }));
  };

  /** The account if the caller may see it; otherwise as if it did not exist. */
  const visibleAccount = async (req: Request<any, any, any, any>) => {
    const scope = await callerScope(
      options,
      req,
      accountReadPermission,
      'Not allowed to read accounts',
    );
    const account = await accounts.get(req.params.id);
    if (
      !account ||
      (!scope.all && !scope.ownershipRefs.includes(account.owner))
    )
      throw new NotFoundError(`No account '${req.params.id}'`);
    return account;
  };

  router.get('/accounts', async (req, res) => {
    const scope = await callerScope(
      options,
      req,
      accountReadPermission,
      'Not allowed to read accounts',
    );
    const list = await accounts.list(
      scope.all ? undefined : scope.ownershipRefs,
    );
    res.json({ items: await withSpend(list) });
  });

  router.get('/accounts/:id', async (req, res) => {
    const [account] = await withSpend([await visibleAccount(req)]);
    res.json(account);
  });

  router.post('/accounts/:id/top-ups', async (req, res) => {
    const result = await audited(
      auditor,
      req,
      'account-top-up',
      {
        accountId: req.params.id,
        amountMinor: req.body.amountMinor,
        reference: req.body.reference,
      },
      async () => {
        const credentials = await authorize(
          options,
          req,
          accountTopUpPermission,
          ['user'],
          'Only admins may top up accounts',
        );
        return topUps.topUp(req.params.id, {
          amountMinor: req.body.amountMinor,
          reference: req.body.reference,
          actor: (credentials.principal as { userEntityRef: string })
            .userEntityRef,
        });
      },
    );
    const [account] = await withSpend([result.account]);
    res.json({ ...result, account });
  });

  router.post(
    '/accounts/:id/ledger/:transactionId/reversal',
    async (req, res) => {
      const transactionId = Number(req.params.transactionId);
      const result = await audited(
        auditor,
        req,
        'account-ledger-reversal',
        { accountId: req.params.id, transactionId, reason: req.body.reason },
        async () => {
          const credentials = await authorize(
            options,
            req,
            accountReversePermission,
            ['user'],
            'Only admins may reverse ledger transactions',
          );
          return reversals.reverse(req.params.id, transactionId, {
            reason: req.body.reason,
            actor: (credentials.principal as { userEntityRef: string })
              .userEntityRef,
          });
        },
      );
      const [account] = await withSpend([result.account]);
      res.json({ ...result, account });
    },
  );

  const readMarket = (req: Request<any, any, any, any>) =>
    authorize(
      options,
      req,
      applianceReadPermission,
      ['user', 'service'],
      'Not allowed to read prices',
    );

  router.get('/market-prices', async (req, res) => {
    await readMarket(req);
    res.json({
      items: await options.market.list(req.query.applianceId),
    });
  });

  router.get('/offers', async (req, res) => {
    await readMarket(req);
    const { cpuCores, memoryMb, storageMb } = req.query;
    const demand =
      cpuCores !== undefined &&
      memoryMb !== undefined &&
      storageMb !== undefined
        ? {
            cpuCores: Number(cpuCores),
            memoryMb: Number(memoryMb),
            storageMb: Number(storageMb),
          }
        : undefined;
    if (!demand && (cpuCores ?? memoryMb ?? storageMb) !== undefined) {
      throw new InputError(
        'Give cpuCores, memoryMb and storageMb together, or none of them',
      );
    }
    const { hosts, providers } = await options.offerHosts();
    res.json({ items: listOffers(hosts, providers, demand) });
  });

  router.get('/accounts/:id/income-by-host', async (req, res) => {
    // Credited to an account the caller may see: a provider's own hosts, any for admins.
    const account = await visibleAccount(req);
    res.json({ items: await income.incomeByHost(account.id) });
  });

  router.get('/accounts/:id/ledger', async (req, res) => {
    const account = await visibleAccount(req);
    if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
      const digits = currencyMinorDigits(account.currency);
      const lines: string[] = [LEDGER_CSV_HEADER];
      let before: number | undefined;
      for (;;) {
        const page = await ledger.read(account.id, { limit: 1000, before });
        for (const l of page)
          lines.push(ledgerCsvLine(l, digits, account.currency));
        if (page.length < 1000) break;
        before = page[page.length - 1].transactionId;
      }
      // A CSV body is outside the router's JSON response types.
      (res as unknown as Response)
        .type('text/csv')
        .attachment(`ledger-${account.id}.csv`)
        .send(`${lines.join('\n')}\n`);
      return;
    }
    const limit = Number(req.query.limit ?? 50);
    const before =
      req.query.before === undefined ? undefined : Number(req.query.before);
    const items = await ledger.read(account.id, {
      limit: limit + 1,
      before,
    });
    const page = items.slice(0, limit);
    res.json({
      items: page,
      ...(items.length > limit
        ? { nextBefore: page[page.length - 1].transactionId }
        : {}),
    });
  });
}
