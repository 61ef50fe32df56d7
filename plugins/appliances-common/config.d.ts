export interface Config {
  tempest?: {
    /**
     * The installation's one currency: an ISO 4217 code such as EUR, USD or
     * JPY (default EUR). Every amount Tempest stores is an integer number of
     * this currency's minor units; the portal formats them with
     * Intl.NumberFormat. The backend refuses to start on an unknown code.
     * @visibility frontend
     */
    currency?: string;
  };
}
