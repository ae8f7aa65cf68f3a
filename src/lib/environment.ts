/**
 * Every KASMCTL_* environment variable kasmctl reads, for the ENVIRONMENT section of --help.
 * test/commands/conventions.test.ts fails when the sources read one that is not listed here.
 */
export const ENVIRONMENT: ReadonlyArray<readonly [name: string, meaning: string]> = [
  ['KASMCTL_CONTEXT', 'context to use when --context is not given'],
  ['KASMCTL_CONFIG', 'config file (default: $XDG_CONFIG_HOME/kasmctl/config.yaml)'],
  ['KASMCTL_API_URL', 'Kasm URL for a context from the environment alone (CI), with:'],
  ['KASMCTL_API_KEY', '  its API key'],
  ['KASMCTL_API_SECRET', '  its API secret'],
  ['KASMCTL_AUTH_STYLE', '  how the key is sent: body, basic or headers'],
  ['KASMCTL_CA_FILE', '  PEM CA for its certificate'],
  ['KASMCTL_DATABASE_URL', '  its database URL (no password), and'],
  ['KASMCTL_DATABASE_PASSWORD', '  the database password'],
  ['KASMCTL_TARGET_PASSWORD', 'password for `backup verify --target-url` (never a flag)'],
  ['KASMCTL_DEBUG', '1: debug output on stderr, like --verbose'],
  ['KASMCTL_SANDBOX_DIR', 'sandbox directory (default: $XDG_DATA_HOME/kasmctl/sandbox)'],
  ['KASMCTL_PG_BIN', "PostgreSQL's bin directory for the sandbox"],
  ['KASMCTL_SANDBOX_DAEMON', 'internal: set by `sandbox up` for its daemon process'],
  ['KASMCTL_LAUNCHER', 'internal: set by the bin/kasmctl launcher of the self-contained archives'],
  ['KASMCTL_DEBUG_PAUSE_AT', 'debugging aid: host:step at which `host zone-name` waits (docs/ARCHITECTURE.md)'],
]
