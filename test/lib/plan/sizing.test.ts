import {expect} from 'chai'

import {UsageError} from '../../../src/lib/errors.js'
import {parseBytes} from '../../../src/lib/output/units.js'
import {GiB} from '../../../src/lib/plan/guide.js'
import {parsePlanInputs, type RawPlanInputs} from '../../../src/lib/plan/inputs.js'
import {planSizing, type PlanRole, recommendedOverride, sessionsPerAgent} from '../../../src/lib/plan/sizing.js'

const plan = (raw: RawPlanInputs) => planSizing(parsePlanInputs(raw))
const role = (raw: RawPlanInputs, name: PlanRole) => plan(raw).roles.find((row) => row.role === name)!
const cited = (citations: Array<{section: string; text: string}>) => citations.map((c) => `${c.section}: ${c.text}`).join(' | ')

describe('plan: the sizing guide as rules', () => {
  describe('web apps', () => {
    it('gives 3 web apps for 200 remote-work sessions in a standard deployment (the guide\'s own example)', () => {
      const webapp = role({sessions: '200'}, 'webapp')
      expect(webapp.count).to.equal(3)
      expect(webapp.spec).to.deep.equal({cores: 4, disk: 80 * GiB, memory: 4 * GiB})
      // "With 3 API servers ... up to 450 concurrent users"; with one removed, 300: still above 200.
      expect(webapp.summary).to.equal('2 for 200 sessions at 150 per server (standard, remote-work: high end of 70-150), +1 for N+1 = 3')
      expect(cited(webapp.why)).to.include('70 to 150').and.include('N+1 redundancy')
    })

    it('puts gaming at the low end of the range (70 per standard server): 200 sessions need 3, +1', () => {
      expect(role({sessions: '200', 'use-case': 'gaming'}, 'webapp').count).to.equal(4)
    })

    it('uses the direct-to-agent row (300-500) for containers but the standard rate for RDP sessions', () => {
      expect(role({architecture: 'direct-to-agent', sessions: '1000'}, 'webapp').count).to.equal(3) // 1000/500 = 2, +1
      // 850/500 + 150/150 = 2.7 → 3, +1
      const mixed = role({architecture: 'direct-to-agent', 'rdp-sessions': '150', sessions: '1000'}, 'webapp')
      expect(mixed.count).to.equal(4)
      expect(cited(mixed.why)).to.include('does not apply to Servers connected to via RDP')
    })

    it('never plans fewer than one web app plus the N+1 spare', () => {
      expect(role({sessions: '1'}, 'webapp').count).to.equal(2)
    })
  })

  describe('database', () => {
    it('takes the tier whose band holds the sessions; shared ends go to the smaller tier', () => {
      expect(role({sessions: '50'}, 'database').spec).to.deep.equal({cores: 4, disk: 80 * GiB, memory: 4 * GiB})
      expect(role({sessions: '200'}, 'database').spec).to.deep.equal({cores: 4, disk: 80 * GiB, memory: 4 * GiB})
      expect(role({sessions: '201'}, 'database').spec).to.deep.equal({cores: 4, disk: 100 * GiB, memory: 8 * GiB})
      expect(role({sessions: '1000'}, 'database').spec).to.deep.equal({cores: 8, disk: 150 * GiB, memory: 8 * GiB})
    })

    it('beyond 1000 sessions gives no tier and a warning saying the table stops there, never a made-up figure', () => {
      const result = plan({sessions: '1001'})
      expect(result.roles.find((r) => r.role === 'database')!.spec).to.equal(null)
      expect(result.warnings.join('\n')).to.include('beyond the Database table (up to 1000 concurrent sessions): the guide gives no tier')
    })

    it('below the table\'s first band gives the guide\'s general minimum (2 CPUs, 4 GB) with a warning', () => {
      const result = plan({sessions: '20'})
      expect(result.roles.find((r) => r.role === 'database')!.spec).to.deep.equal({cores: 2, memory: 4 * GiB})
      expect(result.warnings.join('\n')).to.include('below the Database table\'s first band (50 to 200)')
    })

    it('advises a SIEM and log retention 0 from 50 sessions, built-in logging below', () => {
      expect(role({sessions: '49'}, 'database').notes.join('\n')).to.include('built-in logging is fine')
      expect(role({sessions: '50'}, 'database').notes.join('\n')).to.include('forward logs to a SIEM and set log_retention to 0')
    })
  })

  describe('agents', () => {
    it('fits 8 sessions of 2 CPUs/4 GB on a 16 CPU/64 GB agent, 16 with the CPUs overridden to 32 (the guide\'s first example)', () => {
      expect(sessionsPerAgent({cores: 16, memory: 64 * GiB}, {cores: 2, memory: 4 * GiB})).to.equal(8)
      expect(recommendedOverride({cores: 16, memory: 64 * GiB}, {cores: 2, memory: 4 * GiB}, 'remote-work')).to.deep.equal({cores: 32, memory: 64 * GiB})
      const [workspace] = plan({sessions: '160'}).workspaces
      expect(workspace).to.include({agents: 20, agentsWithOverride: 10, perAgent: 8, perAgentWithOverride: 16})
    })

    it('evaluates the table\'s other overrides: 4c4g gives 4 → 20 per 16c64g agent (96c80g) and 8 → 48 per 32c128g agent (192c192g)', () => {
      const row2 = plan({'agent-override': '96c80g', 'agent-size': '16c64g', sessions: '100', workspace: ['4c4g']}).workspaces[0]
      expect(row2).to.include({agents: 25, agentsWithOverride: 5, perAgent: 4, perAgentWithOverride: 20})
      const row3 = plan({'agent-override': '192c192g', 'agent-size': '32c128g', sessions: '96', workspace: ['4c4g']}).workspaces[0]
      expect(row3).to.include({agents: 12, agentsWithOverride: 2, perAgent: 8, perAgentWithOverride: 48})
      expect(cited(role({'agent-override': '96c80g', sessions: '100', workspace: ['4c4g']}, 'agent').why)).to.include('Agent Role table, row 2')
    })

    it('recommends no override for gaming, nor when memory is already the limit', () => {
      expect(plan({sessions: '100', 'use-case': 'gaming'}).workspaces[0].override).to.equal(null)
      expect(recommendedOverride({cores: 16, memory: 16 * GiB}, {cores: 2, memory: 4 * GiB}, 'remote-work')).to.equal(null)
    })

    it('keeps N+2 static agents, and no spares when they autoscale', () => {
      expect(role({sessions: '200'}, 'agent').count).to.equal(27) // 200 / 8 = 25, +2
      expect(role({autoscale: true, sessions: '200'}, 'agent').count).to.equal(25)
    })

    it('adds one CPU per workspace for session recording', () => {
      expect(plan({recording: true, sessions: '50'}).workspaces[0]).to.include({perAgent: 5}) // 16 / 3
    })

    it('sizes /var/lib/docker as 80 GB + sessions on the agent × per-user disk', () => {
      const [workspace] = plan({'per-user-disk': '5GiB', sessions: '160'}).workspaces
      expect(workspace.disk).to.equal(80 * GiB + 8 * 5 * GiB)
      expect(workspace.diskWithOverride).to.equal(80 * GiB + 16 * 5 * GiB)
    })

    it('splits the container sessions by workspace share and sizes agents per workspace', () => {
      const result = plan({'rdp-sessions': '100', sessions: '300', workspace: ['2c4g:75%', '4c8g']})
      expect(result.workspaces.map((w) => [w.workspace, w.sessions, w.perAgent, w.agents])).to.deep.equal([
        ['2c4g:75%', 150, 8, 19],
        ['4c8g', 50, 4, 13],
      ])
      expect(result.roles.find((r) => r.role === 'agent')!.count).to.equal(19 + 13 + 2)
    })
  })

  describe('connection proxies', () => {
    it('are needed only with RDP/VNC/SSH sessions, then at least two', () => {
      expect(role({sessions: '100'}, 'connection-proxy').count).to.equal(0)
      const cpx = role({'rdp-sessions': '40', sessions: '100'}, 'connection-proxy')
      expect(cpx.count).to.equal(2)
      expect(cpx.spec).to.deep.equal({cores: 8, disk: 80 * GiB, memory: 4 * GiB})
      expect(cpx.notes.join('\n')).to.include('50 CPU cores') // 40 × 1.25
    })

    it('with recording take the larger spec, 1 GB of disk per session and a queue length of half the cores', () => {
      const cpx = role({recording: true, 'rdp-sessions': '40', sessions: '100'}, 'connection-proxy')
      expect(cpx.spec).to.deep.equal({cores: 16, disk: 112 * GiB, memory: 8 * GiB})
      expect(cpx.notes.join('\n')).to.include('at least 40.0 GiB of disk').and.include('Queue Length 8')
    })
  })

  describe('inputs', () => {
    it('marks the inputs that took their default', () => {
      expect(parsePlanInputs({sessions: '10'}).defaulted).to.deep.equal(['use-case', 'architecture', 'workspace', 'agent-size', 'rdp-sessions'])
    })

    const bad: Array<[RawPlanInputs, string]> = [
      [{sessions: '0'}, '--sessions "0" is not a session count: use a whole number from 1 to 1,000,000'],
      [{sessions: '2.5'}, 'is not a session count'],
      [{}, '--sessions is required'],
      [{sessions: '10', workspace: ['3x']}, '--workspace "3x" is not a workspace: use CPUs then memory, e.g. 16c64g'],
      [{sessions: '10', 'use-case': 'trading'}, '--use-case "trading" is not one the sizing guide covers: use remote-work, browser-isolation or gaming'],
      [{architecture: 'mesh', sessions: '10'}, 'use standard or direct-to-agent'],
      [{'agent-size': '16', sessions: '10'}, '--agent-size "16" is not a size'],
      [{'per-user-disk': 'lots', sessions: '10'}, '--per-user-disk "lots" is not a size'],
      [{'rdp-sessions': '11', sessions: '10'}, '--rdp-sessions 11 is more than --sessions 10'],
      [{sessions: '10', workspace: ['2c4g:70%', '4c8g:40%']}, 'shares add up to 110%'],
      [{sessions: '10', workspace: ['2c4g:70%']}, 'shares add up to 70%'],
      [{sessions: '10', workspace: ['2c4g:0%']}, 'share "0%" is not a percentage'],
      [{sessions: '99999999999'}, '--sessions "99999999999" is not a session count: use a whole number from 1 to 1,000,000'],
      [{'per-user-disk': '99999999999999999999GiB', sessions: '10'}, '--per-user-disk "99999999999999999999GiB" is more than 1 PiB a session'],
      [{'agent-size': '5000c64g', sessions: '10'}, '--agent-size "5000c64g" is beyond one server: at most 1024 CPUs'],
      [{sessions: '10', workspace: ['2c99999999999999999999g']}, '--workspace "2c99999999999999999999g" is not a workspace'],
    ]
    for (const [raw, message] of bad) {
      it(`rejects ${JSON.stringify(raw)} naming the valid forms`, () => {
        expect(() => parsePlanInputs(raw)).to.throw(UsageError, message)
      })
    }

    it('with --live takes only the inputs the deployment does not answer', () => {
      expect(parsePlanInputs({autoscale: true, sessions: '400', 'use-case': 'gaming'}, {live: true})).to.include({agents: 'autoscale', sessions: 400, useCase: 'gaming'})
      expect(parsePlanInputs({}, {live: true}).sessions).to.equal(0)
      expect(() => parsePlanInputs({'agent-size': '8c16g', workspace: ['2c4g']}, {live: true})).to.throw(
        UsageError,
        '--workspace, --agent-size only shape the offline plan: --live reads agents, images and sessions from the deployment',
      )
    })

    it('rejects a workspace that cannot fit on the agent', () => {
      expect(() => plan({'agent-size': '4c8g', sessions: '10', workspace: ['8c4g']})).to.throw(UsageError, 'does not fit on a 4c8g agent')
    })

    it('reads sizes as docker does: g and GiB binary, GB decimal', () => {
      for (const text of ['2GiB', '2g', '2G', '2048m', '2 GiB']) expect(parseBytes(text), text).to.equal(2 * GiB)
      expect(parseBytes('2GB')).to.equal(2e9)
      expect(parseBytes('512')).to.equal(512)
      for (const text of ['', 'GiB', '2x', '-1g']) expect(parseBytes(text), text).to.equal(undefined)
    })
  })
})
