/**
 * A stand-in for a kasmctl run, for the child-process tests: takes the lock named by argv[2] (unless
 * "-"), starts argv[4..] through startChild, prints `{"child": pid}` and then, as argv[3] says,
 * waits ("wait": until killed) or exits at once ("exit").
 */
import {acquireLock} from '../../../src/lib/lock.js'
import {startChild} from '../../../src/lib/process/children.js'

const [lockPath, then, file, ...args] = process.argv.slice(2)
if (lockPath !== '-') await acquireLock(lockPath, {purpose: 'test holder'})
const child = startChild(file, file, args, {stdio: 'ignore'})
process.stdout.write(`${JSON.stringify({child: child.process.pid})}\n`)
if (then === 'exit') process.exit(0)
setInterval(() => undefined, 60_000)
