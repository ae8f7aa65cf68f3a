import {expect} from 'chai'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expandPlaceholders, patchArgv, runPatch, splitCommand} from '../../../src/lib/agents/patch.js'
import {UsageError} from '../../../src/lib/errors.js'

const vars = {agent_id: '5d2a'.repeat(8), host: "agent-1; rm -rf / 'x'"}

describe('patch command', () => {
  it('splits a command line on spaces, honouring quotes and backslashes, and nothing else', () => {
    expect(splitCommand(`ssh root@{host} "apt-get -y upgrade" it\\'s '$HOME' a\\ b`)).to.deep.equal(['ssh', 'root@{host}', 'apt-get -y upgrade', "it's", '$HOME', 'a b'])
    expect(splitCommand(`echo "" x`)).to.deep.equal(['echo', '', 'x'])
  })

  it('rejects an unclosed quote or an empty command', () => {
    expect(() => splitCommand('echo "oops')).to.throw(UsageError, /unclosed " quote/)
    expect(() => splitCommand('   ')).to.throw(UsageError, /needs a command/)
  })

  it('fills {host} and {agent_id} into single argv words without a shell', () => {
    expect(patchArgv({command: 'patch --host {host} --id {agent_id}', shell: false}, vars)).to.deep.equal(['patch', '--host', vars.host, '--id', vars.agent_id])
  })

  it('shell-quotes the values under --shell, so a hostname cannot inject a command', () => {
    const argv = patchArgv({command: 'echo {host} > /dev/null', shell: true}, vars)
    expect(argv.slice(0, 2)).to.deep.equal(['sh', '-c'])
    expect(argv[2]).to.equal(`echo 'agent-1; rm -rf / '\\''x'\\''' > /dev/null`)
    expect(expandPlaceholders('{agent_id}', vars, true)).to.equal(vars.agent_id)
  })

  it('runs locally, streams its output and reports the exit code', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kasmctl-patch-'))
    try {
      const lines: string[] = []
      const ok = await runPatch({command: `sh -c 'echo patched {host} > ${dir}/out; echo done'`, shell: false}, {agent_id: 'x', host: 'agent-1'}, {onLine: (l) => lines.push(l)})
      expect(ok.exitCode).to.equal(0)
      expect(lines).to.deep.equal(['done'])
      expect(await readFile(join(dir, 'out'), 'utf8')).to.equal('patched agent-1\n')
      expect((await runPatch({command: 'sh -c "echo broken >&2; exit 3"', shell: false}, vars)).tail).to.deep.equal(['broken'])
      expect((await runPatch({command: 'exit 4', shell: true}, vars)).exitCode).to.equal(4)
      expect((await runPatch({command: 'no-such-command-kasmctl', shell: false}, vars)).exitCode).to.equal(127)
    } finally {
      await rm(dir, {force: true, recursive: true})
    }
  })
})
