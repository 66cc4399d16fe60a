"""Sign-in with a school's Google Workspace or Microsoft Entra ID account.

An allauth OpenID Connect provider (``ekkyo_oidc``) with one app per identity
provider (``google``, ``microsoft``; settings from the environment). It
differs from allauth's generic ``openid_connect`` in two ways that matter for
schools: the ID token's signature is always checked against the provider's
keys, and Microsoft's multi-tenant issuer (``…/{tenantid}/v2.0``) is checked
against the token's own ``tid``. Who may sign in is decided afterwards by
``ekkyo.accounts.sso_services`` from the signed claims (docs/sso.md).
"""
