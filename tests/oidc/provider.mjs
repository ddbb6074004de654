// A real OpenID Connect provider (the `oidc-provider` library) on 127.0.0.1 for lcgraph's sign-in tests.
// One client (lcgraph-test) and one user (ada); the provider's own development login and consent forms.
// Usage: PORT=... REDIRECT_URI=... CLIENT_SECRET=... node provider.mjs  (prints READY when listening)
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;

const USER = {
  sub: 'ada-0001',
  email: 'ada@example.org',
  email_verified: true,
  name: 'Ada Lovelace',
  preferred_username: 'ada',
};

const configuration = {
  clients: [
    {
      client_id: 'lcgraph-test',
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: [process.env.REDIRECT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  // The one test user signs in with the login name ada-0001 (the dev login form ignores the password).
  findAccount: async (_ctx, id) =>
    id === USER.sub ? { accountId: id, claims: async () => ({ ...USER }) } : undefined,
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['lcgraph-test-cookie-key-not-secret'] },
  pkce: { required: () => true },
};

const provider = new Provider(issuer, configuration);
provider.on('server_error', (_ctx, err) => console.error(err));
const server = provider.listen(port, '127.0.0.1', () => {
  console.log('READY');
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
