import { useMemo } from 'react';
import { configApiRef, useApi } from '@backstage/frontend-plugin-api';
import {
  formatMoney,
  formatPrice,
  readCurrency,
} from '@tempest/backstage-plugin-appliances-common';

/** The installation currency (`tempest.currency`, default EUR) and the one way to write money in it. */
export function useMoney() {
  const config = useApi(configApiRef);
  return useMemo(() => {
    const currency = readCurrency(config);
    return {
      currency,
      /** `1050` → `€10.50`. */
      format: (amountMinor: number) => formatMoney(amountMinor, currency),
      /** `10, 3600` → `€0.10 per hour`. */
      price: (amountMinor: number, periodSeconds: number) =>
        formatPrice(amountMinor, currency, periodSeconds),
    };
  }, [config]);
}
