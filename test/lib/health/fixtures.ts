/**
 * Test fixtures for the health checks that the sandbox does not provide: certificates made with the
 * real openssl binary (a private CA; valid, expiring, expired and wrong-host leaf certificates; a
 * self-signed one), tiny HTTPS servers that answer Kasm's healthcheck with each of them, and
 * backups as `kasmctl backup create` leaves them (a stand-in file, its .sha256 and manifest).
 */
import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdir, readFile, utimes, writeFile} from 'node:fs/promises'
import {createServer, type Server} from 'node:https'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {writeChecksumFile} from '../../../src/lib/backup/checksum.js'
import {writeManifest} from '../../../src/lib/backup/manifest.js'
import {backupFileName} from '../../../src/lib/backup/naming.js'

const run = promisify(execFile)

export interface CertPair {
  cert: string
  key: string
}

export type CertName = 'critical' | 'expired' | 'expiring' | 'selfSigned' | 'valid' | 'wrongHost'

const CA_CONFIG = `[ca]
default_ca = test
[test]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = anything
copy_extensions = none
unique_subject = no
[anything]
commonName = supplied
`

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, {cwd: dir})
}

async function newKey(dir: string, name: string, subject: string): Promise<void> {
  await openssl(dir, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject])
}

/** Signs a leaf with the test CA; `dates` are openssl's YYYYMMDDHHMMSSZ or a number of days from now. */
async function sign(dir: string, name: string, san: string, dates: number | {end: string; start: string}): Promise<CertPair> {
  await writeFile(join(dir, `${name}.ext`), `basicConstraints=CA:FALSE\nsubjectAltName=${san}\n`)
  const validity = typeof dates === 'number' ? ['-days', String(dates)] : ['-startdate', dates.start, '-enddate', dates.end]
  await openssl(dir, ['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', `${name}.csr`, '-out', `${name}.pem`, '-extfile', `${name}.ext`, '-notext', ...validity])
  return {cert: await readFile(join(dir, `${name}.pem`), 'utf8'), key: await readFile(join(dir, `${name}.key`), 'utf8')}
}

/** A CA (its PEM at `caFile`) and one certificate per case, all for 127.0.0.1 except `wrongHost`. */
export async function makeCertificates(dir: string): Promise<{caFile: string; certs: Record<CertName, CertPair>}> {
  await mkdir(dir, {recursive: true})
  await writeFile(join(dir, 'ca.cnf'), CA_CONFIG)
  await writeFile(join(dir, 'index.txt'), '')
  await writeFile(join(dir, 'serial'), '1000\n')
  await openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650', '-subj', '/CN=kasmctl test CA'])
  const names: CertName[] = ['valid', 'expiring', 'critical', 'expired', 'wrongHost']
  for (const name of names) await newKey(dir, name, `/CN=${name === 'wrongHost' ? 'kasm.example.com' : '127.0.0.1'}`)
  // openssl ca updates one index file: sign one at a time.
  const certs = {} as Record<CertName, CertPair>
  certs.valid = await sign(dir, 'valid', 'IP:127.0.0.1', 365)
  certs.expiring = await sign(dir, 'expiring', 'IP:127.0.0.1', 14)
  certs.critical = await sign(dir, 'critical', 'IP:127.0.0.1', 3)
  certs.expired = await sign(dir, 'expired', 'IP:127.0.0.1', {end: '20200201000000Z', start: '20200101000000Z'})
  certs.wrongHost = await sign(dir, 'wrongHost', 'DNS:kasm.example.com', 365)
  await openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'self.key', '-out', 'self.pem',
    '-days', '365', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ])
  certs.selfSigned = {cert: await readFile(join(dir, 'self.pem'), 'utf8'), key: await readFile(join(dir, 'self.key'), 'utf8')}
  return {caFile: join(dir, 'ca.pem'), certs}
}

/** An HTTPS server answering GET /api/__healthcheck with Kasm's {"ok": true}. */
export async function serveHealthcheck(pair: CertPair): Promise<{url: string; server: Server}> {
  const server = createServer({cert: pair.cert, key: pair.key}, (req, res) => {
    const ok = req.url === '/api/__healthcheck'
    res.writeHead(ok ? 200 : 404, {'Content-Type': 'application/json'})
    res.end(ok ? '{"ok": true}' : '{}')
  })
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve)
  })
  return {server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`}
}

/** A backup of `context` made `hoursAgo` as `kasmctl backup create` leaves it: the file, its .sha256 and its manifest. */
export async function fakeBackup(dir: string, context: string, hoursAgo: number): Promise<string> {
  const createdAt = new Date(Date.now() - hoursAgo * 3_600_000)
  const path = join(dir, backupFileName(context, createdAt, 'tar', 'none'))
  const content = 'a stand-in for a pg_dump archive'
  const sha256 = createHash('sha256').update(content).digest('hex')
  await writeFile(path, content)
  await utimes(path, createdAt, createdAt) // written then, as kasmctl leaves it (mtime before the manifest's finishedAt)
  await writeChecksumFile(path, sha256)
  await writeManifest(path, {
    context,
    database: {name: 'kasm', serverVersion: '15.4', serverVersionNum: 150_004},
    durationMs: 1000,
    file: path,
    finishedAt: createdAt.toISOString(),
    kasmctlVersion: '0.1.0',
    manifestVersion: 1,
    options: {compression: 'none', excludeLogs: false, format: 'tar'},
    pgDumpVersion: '15.4',
    rowCounts: {},
    sha256,
    sizeBytes: Buffer.byteLength(content),
    startedAt: createdAt.toISOString(),
    via: 'local',
  })
  return path
}
