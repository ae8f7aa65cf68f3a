/** Host access, locally or over OpenSSH: run commands and read/write files on the hosts of a context. */
export {copyHostFile, type HostFileStat, readHostFile, resolveHostPath, statHostFile, writeHostFile} from './files.js'
export {type CommandResult, describeHost, HostUnreachableError, isRemoteHost, runOnHost, runOnHostChecked, type RunOptions} from './run.js'
export {shellJoin, shellQuote} from './shell.js'
