"""Relying services: an OpenID Connect provider's steps — clients, authorization, tokens, userinfo and
the citizen's connected services. The HTTP shapes live at the web edge (``kabinet.web.oidc``)."""
