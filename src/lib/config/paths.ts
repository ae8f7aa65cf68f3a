import {homedir} from 'node:os'
import {join} from 'node:path'

/** `$KASMCTL_CONFIG`, else `$XDG_CONFIG_HOME/kasmctl/config.yaml`, else `~/.config/kasmctl/config.yaml`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KASMCTL_CONFIG) return env.KASMCTL_CONFIG
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config')
  return join(base, 'kasmctl', 'config.yaml')
}

/** `$XDG_DATA_HOME/kasmctl`, else `~/.local/share/kasmctl`: journals, state files, the sandbox. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME || join(homedir(), '.local', 'share')
  return join(base, 'kasmctl')
}
