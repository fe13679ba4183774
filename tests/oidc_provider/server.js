// An OpenID provider configured like ProConnect, for the tests only, on 127.0.0.1.
//
// The certified `oidc-provider` package (npm ci from package-lock.json: nothing is fetched at
// run time). Like ProConnect: scopes and claims given_name, usual_name, email, uid, siret,
// idp_id; an `acr` (eidas1); the ID token signed RS256; userinfo answered as a signed JWT
// (application/jwt); RP-initiated logout (end_session with id_token_hint, state and
// post_logout_redirect_uri). The login interaction is a one-field form (an address among
// ACCOUNTS) with a button that refuses consent; logout asks nothing (auto-submitted form).
//
// Started by tests/oidc_provider.py: configuration from the environment; the server listens on
// a free port and prints one line "OIDC_PROVIDER_READY <issuer>" once it answers.
//   OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URIS, OIDC_POST_LOGOUT_REDIRECT_URIS
//   (comma separated), OIDC_PORT (0: any free port).
import { createServer } from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import Provider from 'oidc-provider';

const env = (name, fallback) => process.env[name] ?? fallback;
const list = (value) => value.split(',').map((item) => item.trim()).filter(Boolean);

// The test agents, as ProConnect's identity providers describe them. Each has a sub per
// provider (idp_id), as ProConnect gives one sub per service x identity provider pair.
const ACCOUNTS = {
  'agent.proconnect@ac-test.fr': {
    sub: 'c7a1f2e0-4b1d-4a55-9d6e-agent000001',
    email: 'agent.proconnect@ac-test.fr',
    given_name: 'Camille Anne',
    usual_name: 'Dupont',
    uid: 'cdupont',
    siret: '13002526500013',
    idp_id: 'fia1v2',
  },
};

const ACR = 'eidas1';

const page = (title, body) => `<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>${title}</title></head>
<body><main><h1>${title}</h1>${body}</main></body></html>`;

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res, status, html) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}

let provider;

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;
  if (prompt.name === 'login') {
    if (req.method === 'GET') {
      send(res, 200, page('Fournisseur d’identité de test', `
        <form method="post" action="/interaction/${uid}">
          <label for="login">Adresse électronique</label>
          <input id="login" name="login" type="email" autocomplete="username" value="">
          <button type="submit" name="action" value="login">Se connecter</button>
          <button type="submit" name="action" value="refuse">Refuser</button>
        </form>`));
      return;
    }
    const form = await readForm(req);
    if (form.get('action') === 'refuse') {
      await provider.interactionFinished(req, res, {
        error: 'access_denied',
        error_description: 'The agent refused to share their identity',
      });
      return;
    }
    const account = ACCOUNTS[(form.get('login') || '').trim().toLowerCase()];
    if (!account) {
      send(res, 200, page('Fournisseur d’identité de test', '<p role="alert">Compte inconnu.</p>'));
      return;
    }
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: account.email, acr: ACR, amr: ['pwd'] } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  // Consent: granted at once for what the client asked (ProConnect asks the agent nothing more).
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
  const missing = prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  if (missing.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const server = createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((error) => {
      send(res, 400, page('Erreur', `<p>${escapeHtml(error.message)}</p>`));
    });
    return;
  }
  provider.callback()(req, res);
});

server.listen(Number(env('OIDC_PORT', '0')), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };
  provider = new Provider(issuer, {
    clients: [
      {
        client_id: env('OIDC_CLIENT_ID', 'entrepairs'),
        client_secret: env('OIDC_CLIENT_SECRET', 'entrepairs-secret'),
        redirect_uris: list(env('OIDC_REDIRECT_URIS', 'http://testserver/comptes/oidc/retour/')),
        post_logout_redirect_uris: list(env('OIDC_POST_LOGOUT_REDIRECT_URIS', 'http://testserver/comptes/oidc/deconnexion/')),
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
        id_token_signed_response_alg: 'RS256',
        userinfo_signed_response_alg: 'RS256',
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomUUID()] },
    scopes: ['openid', 'email', 'given_name', 'usual_name', 'uid', 'siret', 'idp_id'],
    claims: {
      acr: null,
      amr: null,
      email: ['email'],
      given_name: ['given_name'],
      usual_name: ['usual_name'],
      uid: ['uid'],
      siret: ['siret'],
      idp_id: ['idp_id'],
    },
    acrValues: [ACR],
    pkce: { required: () => false },
    async findAccount(ctx, id) {
      const account = ACCOUNTS[id];
      if (!account) return undefined;
      return { accountId: id, async claims() { return { ...account } } };
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      jwtUserinfo: { enabled: true },
      claimsParameter: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // ProConnect asks nothing when the id_token_hint is valid: the form submits itself.
        async logoutSource(ctx, form) {
          ctx.body = page('Déconnexion', `${form.replace('</form>', '<input type="hidden" name="logout" value="yes"></form>')}
            <noscript><button type="submit" form="op.logoutForm">Se déconnecter</button></noscript>
            <script>document.getElementById('op.logoutForm').submit()</script>`);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('Déconnecté', '<p>Vous êtes déconnecté du fournisseur d’identité.</p>');
        },
      },
    },
    ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 60, AuthorizationCode: 30, IdToken: 3600 },
  });
  provider.proxy = false;
  // Whatever the provider logs (deprecations, server errors) goes to stderr for the test output.
  provider.on('server_error', (ctx, error) => console.error('server_error', error));
  process.stdout.write(`OIDC_PROVIDER_READY ${issuer}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
