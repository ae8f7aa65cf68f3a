import {execFile} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

const run = promisify(execFile)

/**
 * A completion script loaded in a real bash, and TAB pressed at the end of a command line: the
 * completion function is called with COMP_WORDS and COMP_CWORD set as bash sets them (words split
 * at spaces and, bash's default COMP_WORDBREAKS, around "=": `--output=j` is `--output`, `=`, `j`).
 */
export class BashCompletion {
  private constructor(
    private readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** `env`: the shell's environment (default this process's), e.g. a PATH where the CLI is found for names. */
  static async load(script: string, env: NodeJS.ProcessEnv = process.env): Promise<BashCompletion> {
    const dir = await mkdtemp(join(tmpdir(), 'kasmctl-completion-'))
    await writeFile(join(dir, 'completion.bash'), script)
    return new BashCompletion(dir, env)
  }

  /** What TAB offers at the end of `line` (`'kasmctl zone '`: the words after `zone`). */
  async complete(line: string): Promise<string[]> {
    const words = line.split(' ').flatMap((word) => word.split(/(=)/).filter((part, _, parts) => part !== '' || parts.length === 1))
    const {stdout} = await this.bash(
      `COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE=${quote(line)}; COMP_POINT=\${#COMP_LINE}
      fn="$(complete -p "$1" | sed -n 's/.* -F \\([^ ]*\\) .*/\\1/p')"
      "$fn"; printf '%s\\n' "\${COMPREPLY[@]}"`,
      words,
    )
    return stdout.split('\n').filter(Boolean)
  }

  /** `complete -p BIN` after loading the script: how bash is told to complete BIN. */
  async registration(bin: string): Promise<string> {
    return (await this.bash(`complete -p ${quote(bin)}`, [])).stdout.trim()
  }

  async close(): Promise<void> {
    await rm(this.dir, {force: true, recursive: true})
  }

  private async bash(commands: string, args: string[]): Promise<{stdout: string}> {
    return run('bash', ['--norc', '-c', `source ${quote(join(this.dir, 'completion.bash'))}\n${commands}`, 'bash', ...args], {env: this.env})
  }
}

function quote(text: string): string {
  return `'${text.replaceAll("'", String.raw`'\''`)}'`
}
