'use strict';
/**
 * The peer: Keycloak's server distribution from Maven Central, started in dev mode on
 * 127.0.0.1 with a fresh database each run, and set up through its admin REST API with a
 * realm, a confidential client with a service account, and an audience mapper (without it
 * Keycloak's introspection answers `active: false`).
 */
const { existsSync, readdirSync, rmSync, mkdirSync, renameSync } = require('node:fs');
const { homedir } = require('node:os');
const { join } = require('node:path');
const procs = require('./procs');
const { json, form, waitUntil, log } = require('./util');

const VERSION = process.env.KEYCLOAK_VERSION ?? '26.7.3';
const CACHE = join(homedir(), '.cache', 'keyhold-bench');
const REALM = 'bench';
const CLIENT_ID = 'bench-client';

/** The newest JDK under /usr/lib/jvm (Temurin 25 here), else the `java` on the PATH. */
const javaHome = () => {
  if (process.env.KEYCLOAK_JAVA_HOME) return process.env.KEYCLOAK_JAVA_HOME;
  try {
    const candidates = readdirSync('/usr/lib/jvm')
      .map((name) => ({ name, version: Number((/(\d+)/.exec(name.replace(/^java-1\./, 'java-')) ?? [0, 0])[1]) }))
      .filter(({ name }) => existsSync(join('/usr/lib/jvm', name, 'bin', 'java')))
      .sort((a, b) => b.version - a.version);
    return candidates.length ? join('/usr/lib/jvm', candidates[0].name) : null;
  } catch {
    return null;
  }
};

/** Fetches the distribution with Maven (once) and unpacks it under ~/.cache/keyhold-bench. */
const install = async () => {
  const home = join(CACHE, `keycloak-${VERSION}`);
  if (existsSync(join(home, 'bin', 'kc.sh'))) return home;
  const zip = join(homedir(), '.m2', 'repository', 'org', 'keycloak', 'keycloak-quarkus-dist', VERSION, `keycloak-quarkus-dist-${VERSION}.zip`);
  if (!existsSync(zip)) {
    log(`fetching org.keycloak:keycloak-quarkus-dist:${VERSION}:zip with Maven`);
    await procs.run('mvn', ['-B', '-q', 'dependency:get', `-Dartifact=org.keycloak:keycloak-quarkus-dist:${VERSION}:zip`, '-Dtransitive=false'], {
      name: 'mvn dependency:get keycloak',
    });
  }
  mkdirSync(CACHE, { recursive: true });
  const unpack = procs.tempDir('keycloak-unzip');
  await procs.run('unzip', ['-q', zip, '-d', unpack], { name: 'unzip keycloak' });
  renameSync(join(unpack, `keycloak-${VERSION}`), home);
  return home;
};

const adminToken = async (url) => {
  const { status, body } = await json(`${url}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form({ grant_type: 'password', client_id: 'admin-cli', username: 'admin', password: 'admin' }),
  });
  if (status !== 200) throw new Error(`Keycloak admin token: ${status} ${JSON.stringify(body)}`);
  return body.access_token;
};

const admin = async (url, token, method, path, body) => {
  const response = await json(`${url}/admin/realms${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (response.status >= 300) throw new Error(`Keycloak admin ${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  return response;
};

/** Starts Keycloak and sets it up; returns what the workloads need. */
const start = async ({ logDir, port }) => {
  const home = await install();
  rmSync(join(home, 'data'), { recursive: true, force: true }); // a fresh dev database each run
  const java = javaHome();
  const env = {
    PATH: `${java ? `${join(java, 'bin')}:` : ''}${process.env.PATH}`,
    HOME: process.env.HOME,
    ...(java ? { JAVA_HOME: java } : {}),
    KC_BOOTSTRAP_ADMIN_USERNAME: 'admin',
    KC_BOOTSTRAP_ADMIN_PASSWORD: 'admin',
  };
  const startedAt = Date.now();
  const handle = procs.start(
    join(home, 'bin', 'kc.sh'),
    ['start-dev', `--http-port=${port}`, '--http-host=127.0.0.1', '--hostname=http://127.0.0.1:' + port, '--log-level=warn'],
    { env, logFile: join(logDir, 'keycloak.log'), name: 'keycloak' },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitUntil('Keycloak ready', async () => (await json(`${url}/realms/master`, {}, 3000)).status === 200, {
    timeoutMs: 5 * 60_000,
    intervalMs: 500,
    alive: handle.alive,
  });
  const readyMs = Date.now() - startedAt;

  const token = await adminToken(url);
  await admin(url, token, 'POST', '', { realm: REALM, enabled: true, accessTokenLifespan: 24 * 3600 });
  await admin(url, token, 'POST', `/${REALM}/clients`, {
    clientId: CLIENT_ID,
    enabled: true,
    protocol: 'openid-connect',
    publicClient: false,
    clientAuthenticatorType: 'client-secret',
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
    directAccessGrantsEnabled: false,
  });
  const clients = await admin(url, token, 'GET', `/${REALM}/clients?clientId=${CLIENT_ID}`);
  const internalId = clients.body[0].id;
  const secret = (await admin(url, token, 'GET', `/${REALM}/clients/${internalId}/client-secret`)).body.value;
  await admin(url, token, 'POST', `/${REALM}/clients/${internalId}/protocol-mappers/models`, {
    name: 'audience',
    protocol: 'openid-connect',
    protocolMapper: 'oidc-audience-mapper',
    config: {
      'included.client.audience': CLIENT_ID,
      'id.token.claim': 'false',
      'access.token.claim': 'true',
      'introspection.token.claim': 'true',
    },
  });
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  const tokenUrl = `${url}/realms/${REALM}/protocol/openid-connect/token`;
  const introspectUrl = `${tokenUrl}/introspect`;

  const issue = async () => {
    const { status, body } = await json(tokenUrl, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: form({ grant_type: 'client_credentials' }),
    });
    if (status !== 200) throw new Error(`Keycloak client_credentials: ${status} ${JSON.stringify(body)}`);
    return body.access_token;
  };
  const tokens = [];
  for (let i = 0; i < 200; i += 1) tokens.push(await issue());
  const check = await json(introspectUrl, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: form({ token: tokens[0] }),
  });
  if (check.body?.active !== true) throw new Error(`Keycloak introspection does not answer active: ${JSON.stringify(check.body)}`);
  log(`Keycloak ${VERSION} ready in ${(readyMs / 1000).toFixed(1)} s on ${url} (JDK ${java ?? 'from PATH'}), realm set up`);
  return { handle, url, version: VERSION, java, readyMs, basic, tokenUrl, introspectUrl, tokens };
};

module.exports = { start, VERSION };
