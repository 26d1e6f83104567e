import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.js';
import { startNatsServer, uniqueNames, type NatsServer } from '../../test/helpers/nats.js';
import { eventually, http, startTestPipeline } from '../../test/helpers/pipeline.js';
import { makeCertificates, nkeyUser, operatorSetup, secretsDir, type Certificates, type SecretsDir } from '../../test/helpers/nats-auth.js';
import { runSluice } from '../../test/helpers/spawn-sluice.js';

// Each mechanism gets its own nats-server; the gateway must connect with the right secret
// (and a 202'd event must reach the database), and exit at once with one line on a wrong one.

let secrets: SecretsDir;
let certs: Certificates;
let db: TestDatabase;

before(async () => {
  secrets = secretsDir();
  certs = makeCertificates(secrets.path);
  db = await createTestDatabase();
});

after(async () => {
  secrets.remove();
  await db.drop();
});

async function withServer(config: string, body: (server: NatsServer) => Promise<void>): Promise<void> {
  const server = await startNatsServer({ config });
  try {
    await body(server);
  } finally {
    await server.destroy();
  }
}

/** A gateway and worker with these settings accept an event and persist it. */
async function acceptsAndPersists(server: NatsServer, env: Record<string, string>): Promise<void> {
  const pipeline = await startTestPipeline({ natsUrl: server.url, db, env });
  try {
    const answer = await http<{ id: string }>(`${pipeline.url}/events/secure.checked`, { body: { ok: true } });
    assert.equal(answer.status, 202);
    await eventually(async () => {
      const rows = await db.query<{ data: unknown }>('SELECT data FROM sluice.events WHERE id = $1', [answer.body.id]);
      return rows.length === 1 ? rows : undefined;
    }, 10_000, 'the event in sluice.events');
  } finally {
    await pipeline.stop();
  }
}

/** `sluice gateway` with these settings exits non-zero within a few seconds, with one line naming NATS and the cause. */
async function refusedWithOneLine(server: NatsServer, env: Record<string, string>, cause: RegExp): Promise<string> {
  const names = uniqueNames('sec');
  const result = await runSluice(['gateway'], {
    NATS_URL: server.url,
    NATS_STREAM: names.stream,
    NATS_SUBJECT_PREFIX: names.prefix,
    DATABASE_URL: db.url,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...env,
  });
  assert.notEqual(result.code, null, `still running after 15 s; stderr: ${result.stderr}`);
  assert.notEqual(result.code, 0);
  assert.ok(result.ms < 5_000, `took ${result.ms} ms to give up`);
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0]!, /NATS/);
  assert.match(lines[0]!, cause);
  assert.doesNotMatch(result.stdout, /retrying/i);
  return lines[0]!;
}

describe('NATS authentication and TLS', () => {
  test('user and password: the right pair connects, a wrong password exits with one line', async () => {
    await withServer('authorization { users = [ { user: sluice, password: "right-pass-1" } ] }', async (server) => {
      await acceptsAndPersists(server, { NATS_USER: 'sluice', NATS_PASSWORD: 'right-pass-1' });
      const line = await refusedWithOneLine(server, { NATS_USER: 'sluice', NATS_PASSWORD: 'wrong-pass-2' }, /authorization/i);
      assert.doesNotMatch(line, /wrong-pass-2/);
      await refusedWithOneLine(server, {}, /authorization/i);
    });
  });

  test('token: the right token connects, a wrong one exits with one line', async () => {
    await withServer('authorization { token: "right-token-1" }', async (server) => {
      await acceptsAndPersists(server, { NATS_TOKEN: 'right-token-1' });
      const line = await refusedWithOneLine(server, { NATS_TOKEN: 'wrong-token-2' }, /authorization/i);
      assert.doesNotMatch(line, /wrong-token-2/);
    });
  });

  test('NKey: a seed given inline or in a file connects, another user\'s seed exits with one line', async () => {
    const user = nkeyUser();
    const stranger = nkeyUser();
    await withServer(`authorization { users = [ { nkey: ${user.publicKey} } ] }`, async (server) => {
      await acceptsAndPersists(server, { NATS_NKEY_SEED: user.seed });
      await acceptsAndPersists(server, { NATS_NKEY_SEED: secrets.file('user.nk', `${user.seed}\n`) });
      const line = await refusedWithOneLine(server, { NATS_NKEY_SEED: stranger.seed }, /authorization/i);
      assert.doesNotMatch(line, new RegExp(stranger.seed));
    });
  });

  test('.creds in operator mode: a user of a known account connects, a stranger and a missing file exit with one line', async () => {
    const setup = await operatorSetup();
    await withServer(setup.serverConfig, async (server) => {
      await acceptsAndPersists(server, { NATS_CREDS: secrets.file('app.creds', setup.creds) });
      await refusedWithOneLine(server, { NATS_CREDS: secrets.file('stranger.creds', setup.strangerCreds) }, /authorization/i);
      await refusedWithOneLine(server, { NATS_CREDS: `${secrets.path}/missing.creds` }, /NATS_CREDS.*missing\.creds/);
    });
  });

  test('TLS: the server is verified against NATS_TLS_CA; a server the CA did not sign exits with one line', async () => {
    const config = `tls { cert_file: "${certs.serverCert}", key_file: "${certs.serverKey}" }`;
    await withServer(config, async (server) => {
      await acceptsAndPersists(server, { NATS_TLS_CA: certs.ca });
      await refusedWithOneLine(server, { NATS_TLS_CA: certs.otherCa }, /certificate/i);
      await refusedWithOneLine(server, {}, /certificate/i);
    });
  });

  test('mutual TLS: a client certificate the server trusts connects; a stranger\'s or none exits with one line', async () => {
    const config = `tls { cert_file: "${certs.serverCert}", key_file: "${certs.serverKey}", ca_file: "${certs.ca}", verify: true }`;
    await withServer(config, async (server) => {
      await acceptsAndPersists(server, { NATS_TLS_CA: certs.ca, NATS_TLS_CERT: certs.clientCert, NATS_TLS_KEY: certs.clientKey });
      await refusedWithOneLine(server, { NATS_TLS_CA: certs.ca, NATS_TLS_CERT: certs.otherClientCert, NATS_TLS_KEY: certs.otherClientKey }, /TLS|certificate/i);
      await refusedWithOneLine(server, { NATS_TLS_CA: certs.ca }, /TLS|certificate/i);
    });
  });
});
