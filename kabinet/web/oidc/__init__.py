"""The OpenID Connect provider's HTTP edge: discovery, JWKS, the authorization page (consent), the
token, userinfo, revocation and introspection endpoints. Routes parse the protocol's shapes and call one flow of
``kabinet.flows.relying`` each."""
