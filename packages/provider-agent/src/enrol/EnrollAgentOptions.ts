export interface EnrollAgentOptions {
  /** The backend's enrolment URL, as printed at registration (`POST` target). */
  url: string;
  /** The one-time enrolment token. */
  token: string;
  /** Agent data directory; certificates go into its `tls/` folder. */
  dataDir?: string;
  /** Where the backend reaches this agent (`https://host:port`); its host becomes a SAN. */
  agentUrl?: string;
  /** Agent config file to write (default `<dataDir>/agent.yaml`). */
  configFile?: string;
  /** Driver written into the config (default: the agent's default, libvirt). */
  driver?: 'libvirt' | 'simulated';
  /** Replace an existing enrolment's files. */
  force?: boolean;
  /** Request timeout (default 30 s). */
  timeoutMs?: number;
}
