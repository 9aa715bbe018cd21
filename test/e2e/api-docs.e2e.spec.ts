import { KeyholdHarness } from '../support/keyhold-harness';

describe('API documentation', () => {
  let keyhold: KeyholdHarness;

  beforeAll(async () => {
    keyhold = await KeyholdHarness.start();
  });
  afterAll(() => keyhold.stop());

  it('serves Swagger UI at /docs, with its assets, pointed at the document', async () => {
    const page = await keyhold.get('/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).toContain('swagger-ui');

    const init = await keyhold.get('/docs/swagger-ui-init.js');
    expect(init.status).toBe(200);
    expect(init.text).toContain('"/v1/tokens"');

    const bundle = await keyhold.get('/docs/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
    expect(bundle.text.length).toBeGreaterThan(100_000);
  });

  it('serves the document as JSON and YAML without a credential', async () => {
    const json = await keyhold.get('/openapi.json');
    expect(json.status).toBe(200);
    expect(json.body.openapi).toMatch(/^3\./);
    const yaml = await keyhold.get('/openapi.yaml');
    expect(yaml.status).toBe(200);
    expect(yaml.text).toContain('/v1/tokens:');
  });
});
