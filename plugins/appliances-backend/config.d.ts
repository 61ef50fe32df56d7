import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  /** Tempest appliances backend plugin. */
  appliances?: {
    /**
     * Provision appliances whose channel has no trusted keys or whose image
     * signature does not verify. Default false: such appliances are refused.
     */
    allowUnsigned?: boolean;

    /**
     * Channels subscribed from config. They are re-applied at every start:
     * added, updated, and removed when they leave the config.
     */
    channels?: Array<{
      /** Lower-case letters, digits and dashes; part of every appliance's id. */
      id: string;
      /** The channel's RSS 2.0 feed, http or https. */
      url: string;
      /** Entity ref owning the channel's appliances in the catalog, e.g. group:default/platform. */
      owner: string;
      /** Armored OpenPGP public keys trusted to sign the channel's images (`$file:` works). */
      trustedKeys?: string[];
      /** Minutes between fetches of this channel. Default 60. */
      refreshMinutes?: number;
    }>;

    /**
     * How often the refresh task looks for channels that are due (global
     * scope: one replica at a time). Default every 15 s, 15 minute timeout,
     * first run 5 s after start.
     */
    schedule?: SchedulerServiceTaskScheduleDefinitionConfig;

    /** Billing: accounts, the ledger and its scheduled task. */
    billing?: {
      /** Seconds between billing ticks (global scope). Default 15. */
      frequencySeconds?: number;
      /** Seconds between market price recomputations. Default 60. */
      marketPricesFrequencySeconds?: number;
      /** Percentage of every charge credited to the platform fee account. Default 0. */
      platformFeePercent?: number;
      /** Owners are told when their balance falls below this (minor units). Default 0. */
      lowBalanceThresholdMinor?: number;
      /**
       * At a balance of zero or less: 'refuse-provisioning' (default: no new
       * instances billed to the account), 'stop-after-grace' (that, and its
       * running instances are stopped, never deleted, once it has stayed at
       * zero for zeroBalanceGraceSeconds) or 'none'.
       */
      zeroBalancePolicy?: 'refuse-provisioning' | 'stop-after-grace' | 'none';
      /** 'stop-after-grace': seconds at zero before instances stop. Default 3600. */
      zeroBalanceGraceSeconds?: number;
      /** Given once (reference starting-balance) to these entities' accounts. */
      startingBalances?: Array<{ owner: string; amountMinor: number }>;
    };

    /** Limits on fetching feeds, definitions, signatures and images. */
    fetch?: {
      /** Whole request, headers and body. Default 30. */
      timeoutSeconds?: number;
      /** Largest feed accepted, counted while streaming. Default 16 MiB. */
      maxFeedBytes?: number;
      /** Largest appliance definition accepted. Default 256 KiB. */
      maxDefinitionBytes?: number;
      /** Redirects followed per request. Default 5. */
      maxRedirects?: number;
      /** Most items a feed may hold. Default 20000. */
      maxItems?: number;
      /** Definitions fetched at once. Default 16. */
      concurrency?: number;
      /**
       * Images up to this many bytes are downloaded and their signature
       * verified at ingest; larger ones are verified by the agent when it
       * installs them. 0 never downloads images at ingest. Default 8 MiB.
       */
      verifyImagesUpToBytes?: number;
      /**
       * Feeds, definitions, signatures and images are never fetched from
       * loopback, private, link-local (169.254.169.254) or other
       * special-purpose addresses, checked on the DNS answer connected to and
       * at every redirect, unless an address range here (CIDR, e.g.
       * `127.0.0.1/32`, `10.20.0.0/16`) covers it. The embedded default
       * allows loopback, where it serves its own sample channel. Default none.
       */
      allowedPrivateNetworks?: string[];
    };

    /**
     * Serve channels kept on disk (each a directory with a feed.xml) at
     * /api/appliances/static/channels/<channel>/<file>, without sign-in.
     * Used by the embedded default to serve catalog/channels.
     */
    /**
     * Where the backend keeps its agent CA (pki/ca.key, 0600), its client
     * certificate and, when secretKey is unset, a generated secret key.
     * Relative to the backend's working directory. Default `.tempest`.
     */
    dataDir?: string;

    /**
     * Key (at least 32 characters) that seals BMC credentials with
     * AES-256-GCM. Set it in production; when unset one is generated in dataDir.
     * @visibility secret
     */
    secretKey?: string;

    /** Host heartbeats and enrolment. */
    hosts?: {
      /** How often enrolled agents are told to heartbeat. Default 10. */
      heartbeatIntervalSeconds?: number;
      /** An online host with no heartbeat for this long goes offline. Default 45. */
      offlineAfterSeconds?: number;
      /** How long a one-time enrolment token stays valid. Default 60. */
      enrolmentTokenMinutes?: number;
    };

    /** Provisioning limits. */
    provisioning?: {
      /** Largest image the backend streams to work out its SHA-256. Default 8 GiB. */
      maxImageBytes?: number;
      /** Operations one backend replica drives at once; more wait their turn. Default 8. */
      concurrency?: number;
      /**
       * Seconds provisioning waits, once the domain runs, for the guest to take an
       * address before it tells the requester the instance is there; without one
       * by then it finishes and the address is recorded when the agent reports it. Default 120.
       */
      addressWaitSeconds?: number;
    };

    /** Instance lifecycle. */
    instances?: {
      /** Seconds a stop waits for the guest's ACPI shutdown before the agent destroys it. Default 60. */
      shutdownTimeoutSeconds?: number;
      /** Seconds between two reconciliations of recorded states with the agents' (at least 5). Default 60. */
      reconcileIntervalSeconds?: number;
      /** Seconds a console ticket stays valid before it opens a session (single use; at most 300). Default 30. */
      consoleTicketSeconds?: number;
    };

    /** Host power over IPMI: the BMC driver, the power loop and consolidation. */
    power?: {
      /** ipmitool (real BMCs; default) or simulated (the embedded default's hosts). */
      driver?: 'ipmitool' | 'simulated';
      ipmitool?: {
        /** One ipmitool call is killed after this long. Default 15. */
        timeoutSeconds?: number;
        /** The sensor reading the chassis' draw; default: the first SDR in Watts. */
        wattsSensor?: string;
      };
      /** Seconds between two runs of the power loop (read every BMC, then consolidate). Default 60. */
      intervalSeconds?: number;
      /** A soft (ACPI) power-off turns hard after this long. Default 120. */
      softOffTimeoutSeconds?: number;
      /** How long provisioning waits for a powered-on host's agent to heartbeat before trying the next host. Default 300. */
      powerOnTimeoutSeconds?: number;
      /** Power readings are kept this long. Default 48. */
      readingsRetentionHours?: number;
      /** Power decisions are kept this long. Default 30. */
      decisionsRetentionDays?: number;
      /**
       * Powering idle hosts off. The lower band must not exceed the reserve:
       * the gap between them keeps hosts from flapping.
       */
      consolidation?: {
        /** Default true. */
        enabled?: boolean;
        /** An empty host is powered off after being empty this long. Default 900. */
        graceSeconds?: number;
        /** Free cores on powered-on hosts that must remain after a power-off. Default 4. */
        reserveCores?: number;
        /** Free memory (MB) on powered-on hosts that must remain after a power-off. Default 16384. */
        reserveMemoryMb?: number;
        /** Below this many free cores one more host is powered on ahead of demand. Default 2. */
        lowerBandCores?: number;
        /** Below this much free memory (MB) one more host is powered on ahead of demand. Default 8192. */
        lowerBandMemoryMb?: number;
        /**
         * A host powered on stays on at least this long: consolidation neither switches it off
         * nor empties it before, so no host is power-cycled more than once in this time. Default 3600.
         */
        minOnSeconds?: number;
        /**
         * Move the stopped instances of a host where nothing runs onto busy hosts of the same
         * provider, after the grace period, so that it can be switched off. Default true.
         */
        drainStopped?: boolean;
        /**
         * Move running instances too (live migration), so that a host whose instances all fit
         * on the other powered-on hosts of its provider can be emptied and switched off. Each
         * move is a live migrate: the guest's memory and writable layers are copied while it
         * runs, then it pauses briefly at the switch-over (its network stays the same). Each move
         * touches a tenant's running guest: set false to move only stopped ones. Needs
         * drainStopped. Default true (false when drainStopped is false).
         */
        moveRunning?: boolean;
        /** A running instance started or moved this recently is not moved, and a host whose drain, or one of its moves, failed this recently is not drained again. Default 900. */
        moveHoldSeconds?: number;
        /** Moves in flight at once, at most, counting those already running; a host needing more is not emptied. Default 16. */
        maxMovesInFlight?: number;
      };
    };

    /**
     * OS substrate images appliances layer on, one per ostype. The agent
     * checks each against its SHA-256 (worked out by the backend when not
     * given) and its detached signature.
     */
    osImages?: Array<{
      /** The appliance ostype this image serves, e.g. linux. */
      ostype: string;
      /** Image name on the agent: lower-case letters, digits, dashes. */
      name: string;
      version: string;
      url: string;
      signatureUrl: string;
      /** Armored OpenPGP public keys (`$file:` works). */
      trustedKeys: string[];
      sha256?: string;
    }>;

    /** Serve OS images from this directory at /api/appliances/static/os-images/<file>, without sign-in. */
    osImageDirectory?: string;

    /**
     * Run simulated-driver agents inside the backend, registered and
     * enrolled as hosts. For the embedded default only.
     */
    embeddedHosts?: {
      /** How many (0 to 8). */
      count: number;
      /** Cores each reports. Default 16. */
      cpus?: number;
      /** Memory each reports. Default 65536. */
      memoryMiB?: number;
      /** Storage each reports. Default 1024. */
      diskGiB?: number;
      /** Their running period (billing). Default 3600. */
      runningPeriodSeconds?: number;
      /** Their storage period (billing). Default 86400. */
      storagePeriodSeconds?: number;
    };

    staticChannels?: {
      /** Directory holding one sub-directory per channel; relative to the backend's working directory. */
      directory: string;
    };
  };
}
