import createClient, { Client } from 'openapi-fetch';
import type { components, paths } from '../generated/appliancesApi';

export type Summary = components['schemas']['Summary'];
export type Channel = components['schemas']['Channel'];
export type ChannelInput = components['schemas']['ChannelInput'];

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
            ? (req: Request) => this.options.fetchApi!.fetch(req)
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
}

function unwrap<T>(data: T | undefined, error: unknown, response: Response): T {
  if (data !== undefined && response.ok) return data;
  const message =
    (error as { error?: { message?: string } } | undefined)?.error?.message ??
    `Request failed with ${response.status} ${response.statusText}`;
  throw new AppliancesApiError(response.status, message, error);
}
