import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A key pair and certificate, PEM. */
export interface Issued {
  readonly cert: string
  readonly key: string
}

/** The test PKI: a CA with a server and two client certificates, and another CA with a client certificate. */
export interface TestPki {
  readonly ca: Issued
  readonly server: Issued
  /** Signed by `ca`; its key is encrypted with `passphrase`. */
  readonly client: Issued
  readonly passphrase: string
  /** A second client of `ca` (another org's credential), key in clear. */
  readonly otherClient: Issued
  readonly rogueCa: Issued
  /** Signed by `rogueCa`: a certificate the server does not trust. */
  readonly rogueClient: Issued
  readonly dispose: () => void
}

const CURVE = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']

/** Makes the test PKI with the `openssl` CLI in a fresh temporary folder (removed by `dispose`). */
export const makeTestPki = (): TestPki => {
  const dir = mkdtempSync(join(tmpdir(), 'vip-pki-'))
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  }
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8')
  const makeCa = (name: string): Issued => {
    ssl('req', '-x509', ...CURVE, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
    return { cert: read(`${name}.crt`), key: read(`${name}.key`) }
  }
  const issue = (name: string, ca: string, cn: string, ext: string, passphrase?: string): Issued => {
    writeFileSync(join(dir, `${name}.ext`), ext)
    const keyArgs = passphrase === undefined ? ['-nodes'] : ['-passout', `pass:${passphrase}`]
    ssl('req', ...CURVE, ...keyArgs, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`)
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', `0x${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`,
      '-days', '2', '-out', `${name}.crt`, '-extfile', `${name}.ext`)
    return { cert: read(`${name}.crt`), key: read(`${name}.key`) }
  }
  try {
    const passphrase = 'vip certificate password'
    const ca = makeCa('test-vip-ca')
    const server = issue('server', 'test-vip-ca', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
    const client = issue('client', 'test-vip-ca', 'org-vip-client', 'extendedKeyUsage=clientAuth\n', passphrase)
    const otherClient = issue('other-client', 'test-vip-ca', 'other-org-vip-client', 'extendedKeyUsage=clientAuth\n')
    const rogueCa = makeCa('rogue-ca')
    const rogueClient = issue('rogue-client', 'rogue-ca', 'org-vip-client', 'extendedKeyUsage=clientAuth\n')
    // The chain is what the test means it to be (node:crypto reads the certificates).
    const caCert = new X509Certificate(ca.cert)
    for (const c of [server, client, otherClient]) if (!new X509Certificate(c.cert).verify(caCert.publicKey)) throw new Error('a test certificate is not signed by the test CA')
    if (new X509Certificate(rogueClient.cert).verify(caCert.publicKey)) throw new Error('the rogue certificate is signed by the test CA')
    if (!new X509Certificate(server.cert).checkIP('127.0.0.1')) throw new Error('the server certificate does not name 127.0.0.1')
    return { ca, server, client, passphrase, otherClient, rogueCa, rogueClient, dispose: () => rmSync(dir, { recursive: true, force: true }) }
  } catch (e) {
    rmSync(dir, { recursive: true, force: true })
    throw e
  }
}
