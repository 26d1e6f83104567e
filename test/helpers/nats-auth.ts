import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from '@nats-io/jwt';
import { createAccount, createOperator, createUser } from '@nats-io/nkeys';

/** A temporary folder for keys and certificates, removed by `remove()`. */
export interface SecretsDir {
  readonly path: string;
  file(name: string, content: string | Uint8Array): string;
  remove(): void;
}

export function secretsDir(): SecretsDir {
  const path = mkdtempSync(join(tmpdir(), 'sluice-secrets-'));
  return {
    path,
    file(name, content) {
      const target = join(path, name);
      writeFileSync(target, content, { mode: 0o600 });
      return target;
    },
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}

export interface Certificates {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A CA that signed nothing the server knows. */
  readonly otherCa: string;
  /** A client certificate signed by `otherCa`: the server refuses it. */
  readonly otherClientCert: string;
  readonly otherClientKey: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function authority(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`]);
}

function signed(dir: string, ca: string, name: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
}

/** A CA, a server certificate for 127.0.0.1, a client certificate, and a stranger's CA and client certificate. */
export function makeCertificates(dir: string): Certificates {
  authority(dir, 'ca');
  authority(dir, 'other-ca');
  signed(dir, 'ca', 'server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  signed(dir, 'ca', 'client', 'extendedKeyUsage=clientAuth\n');
  signed(dir, 'other-ca', 'other-client', 'extendedKeyUsage=clientAuth\n');
  const at = (name: string) => join(dir, name);
  return {
    ca: at('ca.pem'),
    serverCert: at('server.pem'),
    serverKey: at('server.key'),
    clientCert: at('client.pem'),
    clientKey: at('client.key'),
    otherCa: at('other-ca.pem'),
    otherClientCert: at('other-client.pem'),
    otherClientKey: at('other-client.key'),
  };
}

/** An NKey user: the public key goes in the server config, the seed to the client. */
export function nkeyUser(): { publicKey: string; seed: string } {
  const user = createUser();
  return { publicKey: user.getPublicKey(), seed: new TextDecoder().decode(user.getSeed()) };
}

export interface OperatorSetup {
  /** nats-server configuration: operator JWT, memory resolver preloaded with the accounts. */
  readonly serverConfig: string;
  /** A .creds file's content for a user of the JetStream-enabled account. */
  readonly creds: Uint8Array;
  /** A .creds file's content for a user signed by an account the server does not know. */
  readonly strangerCreds: Uint8Array;
}

const UNLIMITED = {
  subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1,
  mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1,
};

/** Operator mode (decentralized JWT auth) with a memory resolver, as a `.creds` user needs it. */
export async function operatorSetup(): Promise<OperatorSetup> {
  const operator = createOperator();
  const system = createAccount();
  const account = createAccount();
  const stranger = createAccount();
  const operatorJwt = await encodeOperator('sluice-test', operator, { system_account: system.getPublicKey() });
  const systemJwt = await encodeAccount('SYS', system, {}, { signer: operator });
  const accountJwt = await encodeAccount('APP', account, { limits: UNLIMITED }, { signer: operator });
  const user = createUser();
  const userJwt = await encodeUser('sluice', user, account);
  const strangerUser = createUser();
  const strangerJwt = await encodeUser('stranger', strangerUser, stranger);
  const serverConfig = [
    `operator: ${operatorJwt}`,
    `system_account: ${system.getPublicKey()}`,
    'resolver: MEMORY',
    'resolver_preload: {',
    `  ${system.getPublicKey()}: ${systemJwt}`,
    `  ${account.getPublicKey()}: ${accountJwt}`,
    '}',
    '',
  ].join('\n');
  return { serverConfig, creds: fmtCreds(userJwt, user), strangerCreds: fmtCreds(strangerJwt, strangerUser) };
}
