import { LOG_LEVELS_TEXT, SettingsTable, type SettingSpec } from '@utopia/shared/config';

/** SERVER_SETTINGS lists every server setting; `--help` and docs/configuration.md are built from it. */
export const SERVER_SETTINGS = [
  {
    key: 'host',
    env: 'UTOPIA_HOST',
    flag: '--host',
    defaultText: '0.0.0.0',
    description: 'Address the HTTP API listens on',
  },
  {
    key: 'port',
    env: 'UTOPIA_PORT',
    flag: '--port',
    defaultText: '8080',
    description: 'Port the HTTP API listens on (0 picks a free one)',
  },
  {
    key: 'dataDir',
    env: 'UTOPIA_DATA_DIR',
    flag: '--data-dir',
    defaultText: './data',
    description: 'Directory for the SQLite database and generated files',
  },
  {
    key: 'databaseUrl',
    env: 'UTOPIA_DATABASE_URL',
    flag: '--database-url',
    defaultText: '(SQLite file <dataDir>/utopia.db)',
    description: 'sqlite:///path/to/file.db or mysql://user:pass@host:3306/db',
  },
  {
    key: 'adminPassword',
    env: 'UTOPIA_ADMIN_PASSWORD',
    flag: '--admin-password',
    defaultText: '(generated and printed once)',
    description: "Password of the first 'admin' account, used only when no user exists",
  },
  {
    key: 'logLevel',
    env: 'UTOPIA_LOG_LEVEL',
    flag: '--log-level',
    defaultText: 'info',
    description: LOG_LEVELS_TEXT,
  },
  {
    key: 'jwtTtlSeconds',
    env: 'UTOPIA_JWT_TTL_SECONDS',
    flag: '--jwt-ttl-seconds',
    defaultText: '3600',
    description: 'Lifetime of login tokens (JWT), in seconds',
  },
  {
    key: 'bodyLimitBytes',
    env: 'UTOPIA_BODY_LIMIT_BYTES',
    flag: '--body-limit-bytes',
    defaultText: '1048576',
    description: 'Largest request body accepted',
  },
  {
    key: 'loginMaxFailures',
    env: 'UTOPIA_LOGIN_MAX_FAILURES',
    flag: '--login-max-failures',
    defaultText: '5',
    description:
      'Failed logins of one username from one client address before each further try waits (1 s, doubling, up to 15 min)',
  },
  {
    key: 'loginMaxPerAddress',
    env: 'UTOPIA_LOGIN_MAX_PER_ADDRESS',
    flag: '--login-max-per-address',
    defaultText: '30',
    description: 'Failed logins from one client address (any username) per window before 429',
  },
  {
    key: 'loginWindowSeconds',
    env: 'UTOPIA_LOGIN_WINDOW_SECONDS',
    flag: '--login-window-seconds',
    defaultText: '900',
    description:
      'Window of the per-address limit; a quiet (username, address) pair is forgotten after it, in seconds',
  },
  {
    key: 'schedulingPolicy',
    env: 'UTOPIA_SCHEDULING_POLICY',
    flag: '--scheduling-policy',
    defaultText: 'best-fit',
    description: 'best-fit (keep big holes for big claims) or first-fit',
  },
  {
    key: 'proxyListen',
    env: 'UTOPIA_PROXY_LISTEN',
    flag: '--proxy-listen',
    defaultText: 'off',
    description:
      "host:port of the HTTP proxy to claims' ports (/proxy/claims/<id>/<port>/): a listener of its own, so proxied pages never share the API's origin",
  },
  {
    key: 'proxyPublicUrl',
    env: 'UTOPIA_PROXY_PUBLIC_URL',
    flag: '--proxy-public-url',
    defaultText: '(http://<proxyListen>)',
    description:
      'Base URL users reach the proxy at (e.g. https://proxy.gpu.example.org); it must be another origin than the API and UI',
  },
  {
    key: 'bootstrapJoinToken',
    env: 'UTOPIA_BOOTSTRAP_JOIN_TOKEN',
    flag: '--bootstrap-join-token',
    defaultText: 'none',
    description:
      'A join token (utj_<id>.<secret>) made by a launcher for an agent it starts too: accepted once, for an hour (npm start uses it)',
  },
  {
    key: 'reconcileConcurrency',
    env: 'UTOPIA_RECONCILE_CONCURRENCY',
    flag: '--reconcile-concurrency',
    defaultText: '32',
    description: 'Claims reconciled at once by the controller',
  },
  {
    key: 'resyncIntervalMs',
    env: 'UTOPIA_RESYNC_INTERVAL_MS',
    flag: '--resync-interval-ms',
    defaultText: '30000',
    description:
      'Period of the resync that catches anything an event missed (Running claims only when a deletion or reschedule was asked or their node is not Online)',
  },
  {
    key: 'runningCheckMs',
    env: 'UTOPIA_RUNNING_CHECK_MS',
    flag: '--running-check-ms',
    defaultText: '300000',
    description:
      "How often a Running claim's reconcile asks the agent for its container: a backstop, since each node's poll wakes a claim whose container stopped or vanished",
  },
  {
    key: 'restartBackoffMs',
    env: 'UTOPIA_RESTART_BACKOFF_MS',
    flag: '--restart-backoff-ms',
    defaultText: '1000',
    description:
      'First delay before restarting an exited container; doubles per restart, up to 5 minutes',
  },
  {
    key: 'agentTimeoutMs',
    env: 'UTOPIA_AGENT_TIMEOUT_MS',
    flag: '--agent-timeout-ms',
    defaultText: '10000',
    description: 'Timeout of each call to a node agent',
  },
  {
    key: 'nodePollIntervalMs',
    env: 'UTOPIA_NODE_POLL_INTERVAL_MS',
    flag: '--node-poll-interval-ms',
    defaultText: '5000',
    description: 'How often each node agent is polled for health and containers',
  },
  {
    key: 'maxInFlightRequests',
    env: 'UTOPIA_MAX_IN_FLIGHT_REQUESTS',
    flag: '--max-in-flight-requests',
    defaultText: '1024',
    description:
      'Past this many API requests in progress, answer 503 with Retry-After (streams do not count)',
  },
  {
    key: 'nodePollConcurrency',
    env: 'UTOPIA_NODE_POLL_CONCURRENCY',
    flag: '--node-poll-concurrency',
    defaultText: '64',
    description: 'At most this many node agents are polled at once',
  },
  {
    key: 'nodeGraceMs',
    env: 'UTOPIA_NODE_GRACE_MS',
    flag: '--node-grace-ms',
    defaultText: '30000',
    description: 'How long a node may fail polls before it is Offline and its claims move',
  },
  {
    key: 'leaseDurationMs',
    env: 'UTOPIA_LEASE_DURATION_MS',
    flag: '--lease-duration-ms',
    defaultText: '15000',
    description:
      'Controller lease: another replica takes over this long after the leader stops renewing',
  },
  {
    key: 'watchPollMs',
    env: 'UTOPIA_WATCH_POLL_MS',
    flag: '--watch-poll-ms',
    defaultText: '200',
    description:
      'How often watch streams read the change log (at once, too, when this replica commits)',
  },
  {
    key: 'watchHeartbeatMs',
    env: 'UTOPIA_WATCH_HEARTBEAT_MS',
    flag: '--watch-heartbeat-ms',
    defaultText: '15000',
    description: 'Period of the heartbeat on idle watch streams (keeps proxies from closing them)',
  },
  {
    key: 'watchSettleMs',
    env: 'UTOPIA_WATCH_SETTLE_MS',
    flag: '--watch-settle-ms',
    defaultText: '2000',
    description:
      'How long a hole in the change log is waited for before it is taken as a rolled-back write (MySQL)',
  },
  {
    key: 'watchMaxMs',
    env: 'UTOPIA_WATCH_MAX_MS',
    flag: '--watch-max-ms',
    defaultText: '1800000',
    description:
      'A watch stream ends after this long (clients resume with Last-Event-ID), as Kubernetes ends watches',
  },
  {
    key: 'watchStallMs',
    env: 'UTOPIA_WATCH_STALL_MS',
    flag: '--watch-stall-ms',
    defaultText: '30000',
    description: 'A watch client that takes no data for this long is disconnected (it resumes)',
  },
  {
    key: 'watchRetentionSeconds',
    env: 'UTOPIA_WATCH_RETENTION_SECONDS',
    flag: '--watch-retention-seconds',
    defaultText: '3600',
    description: 'How long changes stay resumable; an older Last-Event-ID gets a RESYNC',
  },
  {
    key: 'watchMaxChanges',
    env: 'UTOPIA_WATCH_MAX_CHANGES',
    flag: '--watch-max-changes',
    defaultText: '100000',
    description: 'Most changes kept in the change log, whatever their age',
  },
  {
    key: 'frpMode',
    env: 'UTOPIA_FRP_MODE',
    flag: '--frp-mode',
    defaultText: 'off',
    description:
      'frp tunnel for nodes behind NAT: off (direct mode only), supervised (the server runs frps) or external (an frps you run, see UTOPIA_FRPS_ADMIN_URL)',
  },
  {
    key: 'frpBindPort',
    env: 'UTOPIA_FRP_BIND_PORT',
    flag: '--frp-bind-port',
    defaultText: '7000',
    description: 'Port frps listens on for agents (supervised mode; 0 picks a free one)',
  },
  {
    key: 'frpAllowPorts',
    env: 'UTOPIA_FRP_ALLOW_PORTS',
    flag: '--frp-allow-ports',
    defaultText: '20000-20999',
    description: 'Ports frps may give tunnels, always bound to 127.0.0.1 (supervised mode)',
  },
  {
    key: 'frpsBin',
    env: 'UTOPIA_FRPS_BIN',
    flag: '--frps-bin',
    defaultText: '(the pinned build of scripts/build-frp.sh)',
    description: 'Path of the frps binary, e.g. one from an frp release',
  },
  {
    key: 'frpsAdminUrl',
    env: 'UTOPIA_FRPS_ADMIN_URL',
    flag: '--frps-admin-url',
    defaultText: '(none)',
    description:
      'External mode: URL of your frps admin API (webServer), e.g. http://127.0.0.1:7500',
  },
  {
    key: 'frpsAdminUser',
    env: 'UTOPIA_FRPS_ADMIN_USER',
    flag: '--frps-admin-user',
    defaultText: 'admin',
    description: 'External mode: frps webServer user',
  },
  {
    key: 'frpsAdminPassword',
    env: 'UTOPIA_FRPS_ADMIN_PASSWORD',
    flag: '--frps-admin-password',
    defaultText: '(none)',
    description: 'External mode: frps webServer password',
  },
  {
    key: 'frpToken',
    env: 'UTOPIA_FRP_TOKEN',
    flag: '--frp-token',
    defaultText: '(generated; external mode: your frps auth.token)',
    description: 'frps auth token handed to agents at registration',
  },
] as const satisfies readonly SettingSpec[];

/** SettingKey is used to name one server setting. */
export type SettingKey = (typeof SERVER_SETTINGS)[number]['key'];

/** SERVER_SETTINGS_TABLE is used to load the server's settings and render its `--help`. */
export const SERVER_SETTINGS_TABLE = new SettingsTable<SettingKey>(SERVER_SETTINGS, {
  program: 'utopia-server',
  configEnv: 'UTOPIA_CONFIG',
});

/** renderHelp is used to print `utopia-server --help`. */
export function renderHelp(): string {
  return SERVER_SETTINGS_TABLE.renderHelp(
    [
      'Each setting is read from, lowest precedence first: its default, the config file',
      '(--config FILE or UTOPIA_CONFIG; YAML or JSON with the keys below), the environment',
      'variable, then the command-line flag.',
    ],
    ['--help, -h'],
  );
}
