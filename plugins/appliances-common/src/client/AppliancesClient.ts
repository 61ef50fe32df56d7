import createClient, { Client } from 'openapi-fetch';
import type { components, paths } from '../generated/appliancesApi';

export type Summary = components['schemas']['Summary'];
export type Channel = components['schemas']['Channel'];
export type ChannelInput = components['schemas']['ChannelInput'];
export type ChannelStatus = components['schemas']['ChannelStatus'];
export type ItemError = components['schemas']['ItemError'];
export type RefreshResult = components['schemas']['RefreshResult'];
export type Appliance = components['schemas']['Appliance'];
export type ApplianceDetail = components['schemas']['ApplianceDetail'];
export type SignatureState = components['schemas']['SignatureState'];
export type ApplianceQuery = NonNullable<
  paths['/appliances']['get']['parameters']['query']
>;
export type AppliancePage = {
  items: Appliance[];
  totalCount: number;
  offset: number;
  limit: number;
};
export type ApplianceFacets = {
  ostypes: string[];
  provides: string[];
  channels: string[];
};

/** Where the backend lives and how to call it (Backstage's discovery and fetch APIs fit). */
export interface AppliancesClientOptions {
  discoveryApi: { getBaseUrl(pluginId: string): Promise<string> };
  fetchApi?: { fetch: typeof fetch };
}

/** An error answer from the appliances backend. */
export class AppliancesApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'AppliancesApiError';
  }
}

/** The typed client over the appliances backend's OpenAPI spec. */
export class AppliancesClient {
  private client?: Promise<Client<paths>>;

  constructor(private readonly options: AppliancesClientOptions) {}

  private async api(): Promise<Client<paths>> {
    this.client ??= this.options.discoveryApi
      .getBaseUrl('appliances')
      .then(baseUrl =>
        createClient<paths>({
          baseUrl,
          fetch: this.options.fetchApi
            ? async (req: Request) =>
                this.options.fetchApi!.fetch(req.url, await initOf(req))
            : undefined,
        }),
      );
    return this.client;
  }

  async getSummary(): Promise<Summary> {
    const { data, error, response } = await (await this.api()).GET('/summary');
    return unwrap(data, error, response);
  }

  async listChannels(): Promise<Channel[]> {
    const { data, error, response } = await (await this.api()).GET('/channels');
    return unwrap(data, error, response).items;
  }

  async createChannel(input: ChannelInput): Promise<Channel> {
    const { data, error, response } = await (
      await this.api()
    ).POST('/channels', { body: input });
    return unwrap(data, error, response);
  }

  async deleteChannel(id: string): Promise<void> {
    const { error, response } = await (
      await this.api()
    ).DELETE('/channels/{id}', {
      params: { path: { id } },
    });
    if (!response.ok) unwrap(undefined, error, response);
  }

  async refreshChannel(
    id: string,
    options: { force?: boolean } = {},
  ): Promise<RefreshResult> {
    const { data, error, response } = await (
      await this.api()
    ).POST('/channels/{id}/refresh', {
      params: { path: { id }, query: options.force ? { force: true } : {} },
    });
    return unwrap(data, error, response);
  }

  async listAppliances(query: ApplianceQuery = {}): Promise<AppliancePage> {
    const { data, error, response } = await (
      await this.api()
    ).GET('/appliances', {
      params: { query },
    });
    return unwrap(data, error, response);
  }

  /** Every appliance, page by page; throws if any page fails. */
  async listAllAppliances(pageSize = 1000): Promise<Appliance[]> {
    const all: Appliance[] = [];
    for (let offset = 0; ; offset += pageSize) {
      const page = await this.listAppliances({ offset, limit: pageSize });
      all.push(...page.items);
      if (page.items.length < pageSize || all.length >= page.totalCount)
        return all;
    }
  }

  async getAppliance(id: string): Promise<ApplianceDetail> {
    const { data, error, response } = await (
      await this.api()
    ).GET('/appliances/{id}', {
      params: { path: { id } },
    });
    return unwrap(data, error, response);
  }

  async getApplianceFacets(): Promise<ApplianceFacets> {
    const { data, error, response } = await (
      await this.api()
    ).GET('/appliance-facets');
    return unwrap(data, error, response);
  }
}

/**
 * A URL and init instead of the Request openapi-fetch built: Backstage's
 * fetchApi middleware builds Requests from its input more than once, and a
 * Request with a body can be read only once ("Request object that has
 * already been used").
 */
async function initOf(req: Request): Promise<RequestInit> {
  return {
    method: req.method,
    headers: req.headers,
    body: req.body ? await req.arrayBuffer() : undefined,
    signal: req.signal,
  };
}

function unwrap<T>(data: T | undefined, error: unknown, response: Response): T {
  if (data !== undefined && response.ok) return data;
  const message =
    (error as { error?: { message?: string } } | undefined)?.error?.message ??
    `Request failed with ${response.status} ${response.statusText}`;
  throw new AppliancesApiError(response.status, message, error);
}
