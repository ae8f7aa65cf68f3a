import {spawnSync} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))

/**
 * kasmctl on a real terminal (a detached tmux session, 120×30), driven as a person would: read the
 * screen, press keys. Its stdin and stdout are a TTY, so prompts, colours and listr2 redraws run as
 * they do for an operator. After kasmctl exits the screen shows `exit=<code>` and stays readable.
 */
export class Terminal {
  private constructor(
    private readonly session: string,
    private readonly dir: string,
  ) {}

  static async open(name: string): Promise<Terminal> {
    return new Terminal(`kasmctl-${name}-${process.pid}`, await mkdtemp(join(tmpdir(), 'kasmctl-tty-')))
  }

  /** Runs `kasmctl ARGS` (a shell word list) with exactly `env`, replacing whatever ran before. */
  async run(args: string, env: NodeJS.ProcessEnv): Promise<void> {
    const bin = resolve(ROOT, process.env.KASMCTL_TEST_BIN ?? 'bin/run.js')
    const node = `${process.execPath}${bin.endsWith('dev.js') ? ' --import tsx' : ''}`
    // The trap keeps this shell alive when Ctrl-C goes to kasmctl (the whole foreground group gets it),
    // so that it prints kasmctl's exit code; a trap with an action is not inherited by kasmctl.
    await this.start(["trap 'true' INT", `${node} ${bin} ${args}; echo "exit=$?"; sleep 60`], env)
  }

  /** Runs shell command lines (e.g. an interactive `zsh -i`) in ROOT with exactly `env`, replacing whatever ran before. */
  async start(commands: string[], env: NodeJS.ProcessEnv): Promise<void> {
    this.kill()
    const exports = Object.entries(env)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `export ${key}='${value!.replaceAll("'", "'\\''")}'`)
    const script = join(this.dir, 'run.sh')
    const lines = [...exports, `cd '${ROOT}'`, ...commands]
    await writeFile(script, lines.join('\n'), {mode: 0o700})
    spawnSync('tmux', ['new-session', '-d', '-s', this.session, '-x', '120', '-y', '30', `env -i TERM="$TERM" sh ${script}`])
  }

  screen(): string {
    return spawnSync('tmux', ['capture-pane', '-p', '-J', '-t', this.session], {encoding: 'utf8'}).stdout
  }

  /** The screen once it shows `expected` (text, a pattern, or a test of the whole screen); fails with the screen after 30 s. */
  async waitFor(expected: string | RegExp | ((screen: string) => boolean)): Promise<string> {
    const deadline = Date.now() + 30_000
    const shows = (screen: string): boolean =>
      typeof expected === 'string' ? screen.includes(expected) : expected instanceof RegExp ? expected.test(screen) : expected(screen)
    while (Date.now() < deadline) {
      const screen = this.screen()
      if (shows(screen)) return screen
      await new Promise((r) => setTimeout(r, 100))
    }

    throw new Error(`${String(expected)} never appeared on the terminal:\n${this.screen()}`)
  }

  /** Presses keys by tmux name (Enter, Down, C-c). */
  keys(...names: string[]): void {
    for (const name of names) spawnSync('tmux', ['send-keys', '-t', this.session, name])
  }

  /** Types text literally. */
  type(text: string): void {
    spawnSync('tmux', ['send-keys', '-t', this.session, '-l', text])
  }

  kill(): void {
    spawnSync('tmux', ['kill-session', '-t', this.session], {stdio: 'ignore'})
  }

  async close(): Promise<void> {
    this.kill()
    await rm(this.dir, {force: true, recursive: true})
  }
}
