/** A secret is never stored in argv. It is a reference (env var or file) or, if asked, a stored value. */
export interface SecretRef {
  /** Name of an environment variable holding the secret. */
  env?: string
  /** Path of a file holding the secret (first line, trimmed). */
  file?: string
  /** The secret itself, stored in the 0600 config file. */
  value?: string
}

export type AuthStyle = 'basic' | 'body' | 'headers'
export const AUTH_STYLES: readonly AuthStyle[] = ['body', 'basic', 'headers']

export type HostRole = 'agent' | 'connection-proxy' | 'db' | 'proxy' | 'webapp'
export const HOST_ROLES: readonly HostRole[] = ['webapp', 'agent', 'db', 'connection-proxy', 'proxy']

export interface HostEntry {
  name: string
  /** Address used to reach the host's services (IP or DNS name). */
  address?: string
  roles: HostRole[]
  /** `user@host` for OpenSSH; absent means the host is this machine (local access). */
  ssh?: string
  /** Extra OpenSSH options, e.g. ["-p", "2222", "-F", "/path/ssh_config"]. */
  sshOptions?: string[]
  /** Kasm install root on that host; default /opt/kasm. */
  kasmRoot?: string
  /** Web app base URL when it differs from https://<address> (e.g. the sandbox's http://127.0.0.1:port). */
  url?: string
}

export interface TlsOptions {
  /** PEM file with the CA that signed the server certificate. */
  caFile?: string
  /** Skip certificate verification. Warned about on every use. */
  insecure?: boolean
}

export interface DatabaseConfig {
  /** postgres://user@host:port/db?sslmode=require — no password in the URL. */
  url: string
  password?: SecretRef
  /** PEM CA for sslmode=verify-ca / verify-full. */
  caFile?: string
}

export interface BackupConfig {
  dir: string
  keep?: number
  keepDays?: number
  minKeep?: number
}

export interface ContextConfig {
  name: string
  api: {
    url: string
    key?: string
    secret?: SecretRef
    auth?: AuthStyle
    tls?: TlsOptions
    /** Request timeout in milliseconds (default 15000). */
    timeoutMs?: number
  }
  database?: DatabaseConfig
  hosts?: HostEntry[]
  /** Reverse proxy / load balancer URLs in front of the web apps. */
  proxies?: string[]
  backup?: BackupConfig
  /** Zone used by `zone set` and friends when no zone is named. */
  defaultZone?: string
  /** Zones that are security enclaves (zone lint). */
  enclaves?: string[]
  /** Marks a context that `kasmctl sandbox` created. */
  sandbox?: boolean
}

export interface ConfigFile {
  currentContext?: string
  contexts: ContextConfig[]
}
