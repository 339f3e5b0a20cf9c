"""Bearer JWTs verified against a public key set, and the Principal every query is scoped by."""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from sqlalchemy import ColumnElement, and_, or_, true
from sqlalchemy.orm import QueryableAttribute

from servicekit.errors import Forbidden, Unauthorized
from servicekit.settings import ServiceSettings

ALGORITHMS = ["ES256", "RS256", "EdDSA"]


class Role(StrEnum):
    ADMIN = "admin"
    EXECUTIVE = "executive"
    BRANCH_MANAGER = "branch_manager"
    SALES_REP = "sales_rep"
    SERVICE_AGENT = "service_agent"
    MARKETING = "marketing"
    INTEGRATOR = "integrator"
    PORTAL = "portal"


GLOBAL_ROLES = frozenset({Role.ADMIN, Role.EXECUTIVE})
# Marketing segments the whole customer base; integrators feed company-wide systems.
TENANT_WIDE_ROLES = GLOBAL_ROLES | {Role.MARKETING, Role.INTEGRATOR}
MANAGER_ROLES = frozenset({Role.ADMIN, Role.EXECUTIVE, Role.BRANCH_MANAGER})


# A table column or an ORM model's mapped attribute (`CustomerRow.branch_id`).
Column = ColumnElement[Any] | QueryableAttribute[Any]


class Scope(StrEnum):
    ALL = "all"  # every branch of the tenant
    BRANCH = "branch"  # the principal's branch
    OWN = "own"  # records the principal owns (plus unowned ones where that applies)


@dataclass(frozen=True)
class Principal:
    user_id: str
    tenant: str
    branch: str | None
    roles: frozenset[Role]
    customer_id: str | None = None  # portal contacts are bound to one customer

    def has_any(self, roles: frozenset[Role] | set[Role]) -> bool:
        return bool(self.roles & roles)

    @property
    def scope(self) -> Scope:
        if self.has_any(TENANT_WIDE_ROLES):
            return Scope.ALL
        if self.has_any({Role.BRANCH_MANAGER, Role.SERVICE_AGENT}):
            return Scope.BRANCH
        return Scope.OWN

    def sees_branch(self, branch: str | None) -> bool:
        return self.scope is Scope.ALL or (branch is not None and branch == self.branch)

    def visibility(
        self,
        *,
        tenant_col: Column,
        branch_col: Column,
        owner_col: Column | None = None,
        include_unowned: bool = False,
    ) -> ColumnElement[bool]:
        """SQL filter: tenant always, then branch or ownership by role."""
        in_tenant = tenant_col == self.tenant
        if self.scope is Scope.ALL:
            return and_(in_tenant, true())
        if self.scope is Scope.BRANCH or owner_col is None:
            return and_(in_tenant, branch_col == self.branch)
        mine = owner_col == self.user_id
        if not include_unowned:
            return and_(in_tenant, mine)
        # A rep's pool is the unowned records of the rep's own branch.
        pooled = and_(owner_col.is_(None), branch_col == self.branch)
        return and_(in_tenant, or_(mine, pooled))


class TokenVerifier:
    """Checks signature, expiry, issuer and audience; keys come from a JWKS file or URL.

    A client sends the same token with every request until it expires, so a verified token
    is remembered (bounded, least recently used first out) until its `exp`: one signature
    check per token, not per request.
    """

    max_remembered = 10_000

    def __init__(self, settings: ServiceSettings) -> None:
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._client: jwt.PyJWKClient | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        if settings.jwt_jwks_file is not None:
            data = json.loads(settings.jwt_jwks_file.read_text())
            self._keys = {key.key_id or "": key for key in jwt.PyJWKSet.from_dict(data).keys}
        elif settings.jwt_jwks_url is not None:
            self._client = jwt.PyJWKClient(settings.jwt_jwks_url, cache_keys=True)

    def _key_for(self, token: str) -> jwt.PyJWK:
        if self._client is not None:
            return self._client.get_signing_key_from_jwt(token)
        kid = jwt.get_unverified_header(token).get("kid") or ""
        if kid in self._keys:
            return self._keys[kid]
        if len(self._keys) == 1 and not kid:
            return next(iter(self._keys.values()))
        raise jwt.InvalidTokenError("unknown signing key")

    def verify(self, token: str) -> Principal:
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, expires = remembered
            if time.time() < expires:
                self._verified.move_to_end(token)
                return principal
            del self._verified[token]
        principal, expires = self._verify(token)
        self._verified[token] = (principal, expires)
        if len(self._verified) > self.max_remembered:
            self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                key=self._key_for(token),
                algorithms=ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
            roles = frozenset(Role(r) for r in claims.get("roles", []))
            tenant = claims["tenant"]
            expires = float(claims["exp"])
        except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
            raise Unauthorized(
                f"Invalid bearer token: {exc}", headers={"WWW-Authenticate": "Bearer"}
            ) from exc
        principal = Principal(
            user_id=str(claims["sub"]),
            tenant=str(tenant),
            branch=claims.get("branch"),
            roles=roles,
            customer_id=claims.get("customer"),
        )
        return principal, expires


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized(
            "Send `Authorization: Bearer <token>`.", headers={"WWW-Authenticate": "Bearer"}
        )
    return token.strip()


async def get_principal(request: Request) -> Principal:
    # FastAPI caches a dependency per request; request.state is NOT safe for that (an ASGI
    # server may hand every request the same lifespan state dict).
    verifier: TokenVerifier = request.app.state.runtime.verifier
    return verifier.verify(bearer_token(request))


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: Role) -> Any:
    """A dependency that refuses principals holding none of `roles` (403)."""
    wanted = frozenset(roles)

    async def check(principal: PrincipalDep) -> Principal:
        if not principal.has_any(wanted):
            raise Forbidden(f"This needs one of the roles: {', '.join(sorted(wanted))}.")
        return principal

    return Depends(check)
