// A local OpenID Connect provider for tests and `make run` (development only, never shipped).
//
// The certified `oidc-provider` package, configured as an installation's identity provider would be
// (Keycloak-style claims): one public client for the web pages (authorization code + PKCE S256,
// refresh tokens), JWT access tokens for the audience HADIR (resource indicators), and test users
// whose tokens carry `realm_access.roles`, `tenant`, `nip` and `unit`. Login is the package's
// development form (any password); consent is implied for the first-party client.
//
// Environment:
//   PORT                 port on 127.0.0.1 (default 9400); OIDC_ISSUER defaults to http://127.0.0.1:PORT
//   OIDC_CLIENT_ID       the pages' client (default hadir-web)
//   OIDC_AUDIENCE        the access tokens' audience (default hadir)
//   OIDC_REDIRECT_URIS   comma-separated redirect URIs (default: the pages of `make run`)
//   OIDC_TENANT          the users' tenant (default banten)
//   OIDC_USERS_FILE      JSON {"<login>": {claims...}} replacing the default users
//   OIDC_JWKS_FILE       JSON private JWKS to sign with (default: one new ES256 key)
//   OIDC_ACCESS_TOKEN_TTL seconds (default 600)
//
// POST /_admin/rotate (from the loopback interface only) makes a new signing key, publishes it
// first in the JWKS (the old key stays published) and answers {"kid": ...}: key rotation on
// demand, without restarting the process.
import http from 'node:http';
import fs from 'node:fs';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

const port = Number(process.env.PORT || 9400);
const issuer = process.env.OIDC_ISSUER || `http://127.0.0.1:${port}`;
const clientId = process.env.OIDC_CLIENT_ID || 'hadir-web';
const audience = process.env.OIDC_AUDIENCE || 'hadir';
const tenant = process.env.OIDC_TENANT || 'banten';
const accessTokenTTL = Number(process.env.OIDC_ACCESS_TOKEN_TTL || 600);
const redirectUris = (process.env.OIDC_REDIRECT_URIS
  || 'http://127.0.0.1:8001/app/,http://127.0.0.1:8004/dashboard/').split(',').map((s) => s.trim()).filter(Boolean);
const RESOURCE = `urn:${audience}`; // the resource indicator (an absolute URI) whose tokens name `audience`
const RESOURCE_SCOPE = 'hadir';

const defaultUsers = {
  pegawai: { name: 'Siti Rahmawati', nip: '198703152010011001', unit: 'bkd', realm_access: { roles: ['employee', 'offline_access'] } },
  kepala: { name: 'Budi Santoso', nip: '197501012000031005', unit: 'bkd', realm_access: { roles: ['unit_head', 'employee'] } },
  bkd: { name: 'Admin BKD', realm_access: { roles: ['tenant_admin'] } },
};
const users = process.env.OIDC_USERS_FILE ? JSON.parse(fs.readFileSync(process.env.OIDC_USERS_FILE, 'utf8')) : defaultUsers;
for (const claims of Object.values(users)) claims.tenant ??= tenant;

function newKey() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'ES256', use: 'sig' };
}
let keys = process.env.OIDC_JWKS_FILE ? JSON.parse(fs.readFileSync(process.env.OIDC_JWKS_FILE, 'utf8')).keys : [newKey()];
const cookieKeys = [randomBytes(32).toString('hex')];

function userClaims(accountId) {
  const claims = users[accountId];
  return claims ? { sub: accountId, ...claims } : undefined;
}

function makeProvider() {
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      token_endpoint_auth_method: 'none',
      application_type: 'web',
      id_token_signed_response_alg: 'ES256',
      redirect_uris: redirectUris,
      post_logout_redirect_uris: redirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    }],
    pkce: { required: () => true },
    // The pages call the token endpoint from the browser: their origins (those of the redirect URIs) may.
    clientBasedCORS: (ctx, origin, client) => client.redirectUris.some((uri) => new URL(uri).origin === origin),
    jwks: { keys },
    cookies: { keys: cookieKeys },
    claims: { openid: ['sub'], profile: ['name', 'tenant', 'nip', 'unit', 'realm_access'] },
    conformIdTokenClaims: false, // the ID token carries the profile claims too
    findAccount: async (ctx, id) => (users[id] ? { accountId: id, claims: async () => userClaims(id) } : undefined),
    extraTokenClaims: async (ctx, token) => {
      const claims = userClaims(token.accountId);
      if (!claims) return undefined;
      const { sub, ...rest } = claims; // eslint-disable-line no-unused-vars
      return rest;
    },
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: { AccessToken: accessTokenTTL, IdToken: accessTokenTTL, Session: 8 * 3600, Grant: 8 * 3600,
           Interaction: 600, AuthorizationCode: 60, RefreshToken: 8 * 3600 },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource) => {
          if (resource !== RESOURCE) throw new errors.InvalidTarget();
          return { scope: RESOURCE_SCOPE, audience, accessTokenTTL, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
        },
      },
    },
    // First-party client: consent is implied (no consent screen after the login form).
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        const found = await ctx.oidc.provider.Grant.find(grantId);
        if (found) return found;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid profile offline_access');
      grant.addOIDCClaims(['name', 'tenant', 'nip', 'unit', 'realm_access']);
      grant.addResourceScope(RESOURCE, RESOURCE_SCOPE);
      await grant.save();
      return grant;
    },
  });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  return provider;
}

let handler = makeProvider().callback();

function isLoopback(req) {
  const a = req.socket.remoteAddress || '';
  return a === '127.0.0.1' || a === '::1' || a === '::ffff:127.0.0.1';
}

const server = http.createServer((req, res) => {
  if (req.url === '/_admin/rotate') {
    if (req.method !== 'POST' || !isLoopback(req)) { res.writeHead(403).end(); return; }
    const key = newKey();
    keys = [key, ...keys].slice(0, 3); // the new key signs; the previous ones stay published
    handler = makeProvider().callback();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kid: key.kid }));
    return;
  }
  handler(req, res);
});
server.listen(port, '127.0.0.1', () => console.log(`oidc provider ${issuer} (client ${clientId}, audience ${audience})`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
