import {execFile} from 'node:child_process'
import {access, chmod, mkdir, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {UnavailableError} from '../errors.js'
import type {SandboxState} from './contract.js'

const run = promisify(execFile)

/**
 * The sandbox's own CA and a server certificate for 127.0.0.1 / localhost, made with the openssl
 * binary (P-256 keys: fast to generate). Used by the HTTPS reverse proxy and PostgreSQL (ssl=on).
 * Kept across `sandbox up` runs so contexts that trust the CA stay valid.
 */
export async function ensureCertificates(dir: string): Promise<SandboxState['tls']> {
  const tlsDir = join(dir, 'tls')
  const files = {caFile: join(tlsDir, 'ca.pem'), certFile: join(tlsDir, 'server.pem'), keyFile: join(tlsDir, 'server.key')}
  if (await allExist(Object.values(files))) return files

  await mkdir(tlsDir, {mode: 0o700, recursive: true})
  const caKey = join(tlsDir, 'ca.key')
  const csr = join(tlsDir, 'server.csr')
  const ext = join(tlsDir, 'server.ext')
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  await writeFile(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n')
  await Promise.all([
    openssl(['req', '-x509', ...ec, '-keyout', caKey, '-out', files.caFile, '-days', '3650', '-subj', '/CN=kasmctl sandbox CA']),
    openssl(['req', ...ec, '-keyout', files.keyFile, '-out', csr, '-subj', '/CN=localhost']),
  ])
  await openssl([
    'x509', '-req', '-in', csr, '-CA', files.caFile, '-CAkey', caKey, '-CAcreateserial',
    '-out', files.certFile, '-days', '825', '-extfile', ext,
  ])
  await Promise.all([rm(csr), rm(ext), rm(join(tlsDir, 'ca.srl'), {force: true})])
  await Promise.all([chmod(caKey, 0o600), chmod(files.keyFile, 0o600), chmod(files.caFile, 0o644), chmod(files.certFile, 0o644)])
  return files
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args)
  } catch (error) {
    const {code, stderr} = error as NodeJS.ErrnoException & {stderr?: string}
    throw new UnavailableError(
      code === 'ENOENT' ? 'the openssl binary is not installed' : `openssl ${args[0]} failed: ${stderr?.trim() ?? (error as Error).message}`,
      {hint: 'install it with `apt-get install openssl`'},
    )
  }
}

async function allExist(paths: string[]): Promise<boolean> {
  try {
    await Promise.all(paths.map((p) => access(p)))
    return true
  } catch {
    return false
  }
}
