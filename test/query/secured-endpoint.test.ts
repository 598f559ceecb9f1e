import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Serdes, json, type KeyValueStore, type ValueAndTimestamp } from 'tributary';
import { AccessList, type Scope } from '../../src/http/access.ts';
import type { HttpSecurity } from '../../src/http/security.ts';
import type { AppHttp } from '../../src/query/api.ts';
import { partitionForKey } from '../../src/runtime/partitioner.ts';
import { Secret } from '../../src/security/secret.ts';
import { TestCertificates, type IssuedCertificate } from '../support/certificates.ts';
import { queryTopology, type Event } from './fixtures/topology.ts';
import { startCluster, stopCluster, storeFor, type FakeWorker } from './harness.ts';

const PARTITIONS = 4;
const long = Serdes.Long();
const tasks = [{ active: ['0_0', '0_1'] }, { active: ['0_2', '0_3'] }];
const keyOn = (worker: number) =>
  [1, 2, 3, 4, 5, 6, 7, 8].find(
    (k) => partitionForKey(long.serialize(k), PARTITIONS) < 2 === (worker === 0),
  )!;

const FRONTEND = 'front-end-token-0123456789abcdef';
const OPERATOR = 'operator-token-0123456789abcdef';
const PEER = 'peer-token-0123456789abcdef0123';

const http: AppHttp = (routes, context) => {
  const latest = context.store<number, Event>('latest');
  routes.get('/v1/latest/:user', async (req) => {
    const value = await latest.get(Number(req.params.user));
    return value === undefined ? json(404, { error: 'none' }) : json(200, value);
  });
};

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** A GET over HTTPS trusting the test CA, with an optional token and client certificate. */
function get(
  url: string,
  options: { token?: string; client?: IssuedCertificate; ca: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: options.ca,
        cert: options.client?.cert,
        key: options.client?.key,
        headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the HTTP endpoint over HTTPS, with tokens, scopes and client certificates', () => {
  const certs = new TestCertificates();
  const otherCa = new TestCertificates('Another CA');
  const workerCerts = ['worker-a', 'worker-b'].map((name) => certs.issue(name, ['IP:127.0.0.1']));
  const operatorCert = certs.issue('operator');
  const strangerCert = certs.issue('stranger');
  const intruderCert = otherCa.issue('operator');
  const access = AccessList.parse(
    [
      '# front end: the application routes only',
      `${FRONTEND} app`,
      `${OPERATOR} queries,metrics`,
      `${PEER} queries`,
      'cert:operator queries,metrics',
      'cert:worker-a *',
      'cert:worker-b *',
    ].join('\n'),
    'test access list',
  );
  const security = (index: number, peerToken: string | undefined): HttpSecurity => ({
    tls: { ...workerCerts[index]!, caFile: certs.caFile },
    access: { list: access, publicScopes: new Set<Scope>(), clientCertificates: true },
    ...(peerToken ? { peerToken: new Secret(peerToken, 'test') } : {}),
  });
  let workers: FakeWorker[];
  let a: FakeWorker;

  beforeAll(async () => {
    workers = await startCluster({
      applicationId: 'secured',
      topology: queryTopology,
      partitions: PARTITIONS,
      tasks,
      http,
      security: (i) => security(i, PEER),
    });
    a = workers[0]!;
    for (const key of [keyOn(0), keyOn(1)])
      storeFor<KeyValueStore<number, ValueAndTimestamp<Event>>>(
        workers,
        'latest',
        long.serialize(key),
        PARTITIONS,
      ).put(key, { value: { n: key }, timestamp: 1 });
  });
  afterAll(async () => {
    await stopCluster(workers);
    certs.close();
    otherCa.close();
  });

  it('serves HTTPS under its own certificate', () => {
    expect(a.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers 401 with a Bearer challenge without a token or with a wrong one', async () => {
    const url = `${a.url}/stores/latest/keys/${keyOn(0)}`;
    const none = await get(url, { ca: certs.ca });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="tributary"');
    expect(JSON.parse(none.text).error).toMatch(/needs credentials \(scope "queries"\)/);
    const wrong = await get(url, { ca: certs.ca, token: `${OPERATOR}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    const malformed = await get(url, { ca: certs.ca, token: 'short' });
    expect(malformed.status).toBe(401);
  });

  it('answers 403 to a token of another scope, and serves each scope to its tokens', async () => {
    const store = `${a.url}/stores/latest/keys/${keyOn(0)}`;
    const route = `${a.url}/v1/latest/${keyOn(0)}`;
    expect((await get(store, { ca: certs.ca, token: FRONTEND })).status).toBe(403);
    expect((await get(route, { ca: certs.ca, token: OPERATOR })).status).toBe(403);
    expect((await get(`${a.url}/metrics`, { ca: certs.ca, token: FRONTEND })).status).toBe(403);

    const read = await get(store, { ca: certs.ca, token: OPERATOR });
    expect(read.status).toBe(200);
    expect(JSON.parse(read.text)).toMatchObject({ value: { n: keyOn(0) } });
    const viaRoute = await get(route, { ca: certs.ca, token: FRONTEND });
    expect(viaRoute.status).toBe(200);
    expect(JSON.parse(viaRoute.text)).toEqual({ n: keyOn(0) });
  });

  it('leaves health checks open, and never shows a token in /metrics', async () => {
    expect((await get(`${a.url}/health`, { ca: certs.ca })).status).toBe(200);
    const metrics = await get(`${a.url}/metrics`, { ca: certs.ca, token: OPERATOR });
    expect(metrics.status).toBe(200);
    // Refused requests are counted, by status, without what they carried.
    expect(metrics.text).toMatch(/status="401"/);
    for (const token of [FRONTEND, OPERATOR, PEER]) expect(metrics.text).not.toContain(token);
  });

  it('forwards a key owned by the other worker over HTTPS with its own token, for queries and routes', async () => {
    const remote = keyOn(1);
    const read = await get(`${a.url}/stores/latest/keys/${remote}`, { ca: certs.ca, token: OPERATOR });
    expect(read.status).toBe(200);
    expect(JSON.parse(read.text)).toMatchObject({ value: { n: remote } });
    const viaRoute = await get(`${a.url}/v1/latest/${remote}`, { ca: certs.ca, token: FRONTEND });
    expect(viaRoute.status).toBe(200);
    expect(JSON.parse(viaRoute.text)).toEqual({ n: remote });
  });

  it('takes a client certificate from its CA in place of a token, with the scopes listed for its name', async () => {
    const store = `${a.url}/stores/latest/keys/${keyOn(0)}`;
    expect((await get(store, { ca: certs.ca, client: operatorCert })).status).toBe(200);
    expect((await get(`${a.url}/v1/latest/${keyOn(0)}`, { ca: certs.ca, client: operatorCert })).status).toBe(
      403,
    );
    // From the CA but not listed: known, but granted nothing.
    expect((await get(store, { ca: certs.ca, client: strangerCert })).status).toBe(403);
    // The same name from another CA proves nothing.
    expect((await get(store, { ca: certs.ca, client: intruderCert })).status).toBe(401);
  });

  it('says which setting to fix when another worker refuses a forwarded request', async () => {
    const untrusted = await startCluster({
      applicationId: 'no-peer-token',
      topology: queryTopology,
      partitions: PARTITIONS,
      tasks,
      // Worker A has no token to forward with, and worker B asks for tokens (no certificates listed
      // for workers, so A's certificate does not help either).
      security: (i) => ({
        tls: { ...workerCerts[i]!, caFile: certs.caFile },
        access: {
          list: AccessList.parse(`${OPERATOR} queries\ncert:operator queries`, 'test'),
          publicScopes: new Set<Scope>(),
          clientCertificates: true,
        },
      }),
    });
    try {
      const answer = await get(`${untrusted[0]!.url}/stores/latest/keys/${keyOn(1)}`, {
        ca: certs.ca,
        token: OPERATOR,
      });
      expect(answer.status).toBe(502);
      expect(JSON.parse(answer.text).error).toMatch(
        /worker 127\.0\.0\.1:\d+ refused the request this worker forwarded to it \(HTTP 403\).*TRIBUTARY_HTTP_PEER_TOKEN/,
      );
    } finally {
      await stopCluster(untrusted);
    }
  });

  it('serves a public scope without credentials, and the others still with', async () => {
    const open = await startCluster({
      applicationId: 'public-app',
      topology: queryTopology,
      partitions: PARTITIONS,
      tasks: [{ active: ['0_0', '0_1', '0_2', '0_3'] }],
      http,
      security: () => ({
        tls: { ...workerCerts[0]!, caFile: certs.caFile },
        access: { list: access, publicScopes: new Set<Scope>(['app']), clientCertificates: true },
      }),
    });
    try {
      expect((await get(`${open[0]!.url}/v1/latest/1`, { ca: certs.ca })).status).toBe(404);
      expect((await get(`${open[0]!.url}/stores`, { ca: certs.ca })).status).toBe(401);
    } finally {
      await stopCluster(open);
    }
  });
});
