"""Token verification and the scope every query is filtered by."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import jwt
import pytest
from servicekit.auth import Principal, Role, Scope, TokenVerifier
from servicekit.errors import Unauthorized
from servicekit.keys import ensure_keypair, mint_token
from servicekit.settings import ServiceSettings


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory):
    return ensure_keypair(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def verifier(keys) -> TokenVerifier:
    return TokenVerifier(ServiceSettings(jwt_jwks_file=keys.jwks))


def token(keys, **overrides) -> str:
    claims = {"sub": "north-rep", "tenant": "demo", "roles": ["sales_rep"], "branch": "north"}
    claims.update(overrides)
    return mint_token(keys.private_pem, **claims)


def test_a_valid_token_yields_the_principal_it_describes(keys, verifier):
    principal = verifier.verify(token(keys))
    assert principal == Principal(
        user_id="north-rep", tenant="demo", branch="north", roles=frozenset({Role.SALES_REP})
    )


def test_an_expired_token_is_refused(keys, verifier):
    with pytest.raises(Unauthorized, match="expired"):
        verifier.verify(token(keys, ttl_s=-10))


def test_a_token_for_another_audience_is_refused(keys, verifier):
    with pytest.raises(Unauthorized, match=r"(?i)audience"):
        verifier.verify(token(keys, audience="billing"))


def test_a_token_signed_by_another_key_is_refused(keys, verifier, tmp_path: Path):
    other = ensure_keypair(tmp_path / "other")
    with pytest.raises(Unauthorized, match="Signature"):
        verifier.verify(mint_token(other.private_pem, sub="x", tenant="demo", roles=["admin"]))


def test_an_unsigned_token_with_alg_none_is_refused(verifier):
    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    claims = {
        "sub": "x",
        "tenant": "demo",
        "roles": ["admin"],
        "iss": "crm-local",
        "aud": "crm",
        "exp": int(time.time()) + 60,
    }
    forged = f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': 'crm-local-1'})}.{b64(claims)}."
    with pytest.raises(Unauthorized):
        verifier.verify(forged)


def test_a_token_with_an_unknown_role_is_refused(keys, verifier):
    with pytest.raises(Unauthorized):
        verifier.verify(token(keys, roles=["superuser"]))


def test_a_token_without_tenant_is_refused(keys, verifier):
    raw = jwt.encode(
        {"sub": "x", "roles": [], "iss": "crm-local", "aud": "crm", "exp": time.time() + 60},
        keys.private_pem.read_bytes(),
        algorithm="ES256",
        headers={"kid": "crm-local-1"},
    )
    with pytest.raises(Unauthorized):
        verifier.verify(raw)


@pytest.mark.parametrize(
    ("roles", "scope"),
    [
        ({Role.ADMIN}, Scope.ALL),
        ({Role.EXECUTIVE}, Scope.ALL),
        ({Role.BRANCH_MANAGER}, Scope.BRANCH),
        ({Role.SERVICE_AGENT}, Scope.BRANCH),
        ({Role.SALES_REP}, Scope.OWN),
        ({Role.SALES_REP, Role.BRANCH_MANAGER}, Scope.BRANCH),
    ],
)
def test_scope_follows_the_widest_role(roles, scope):
    assert Principal("u", "demo", "north", frozenset(roles)).scope is scope


def test_only_tenant_wide_roles_see_another_branch():
    manager = Principal("m", "demo", "north", frozenset({Role.BRANCH_MANAGER}))
    ceo = Principal("c", "demo", None, frozenset({Role.EXECUTIVE}))
    assert manager.sees_branch("north")
    assert not manager.sees_branch("south")
    assert ceo.sees_branch("south")


def test_a_remembered_token_is_refused_once_it_expires(keys, verifier):
    short = token(keys, ttl_s=2)
    assert verifier.verify(short).user_id == "north-rep"  # verified, then remembered
    time.sleep(2.1)
    with pytest.raises(Unauthorized, match="expired"):
        verifier.verify(short)


def test_the_memory_of_verified_tokens_is_bounded(keys, tmp_path: Path):
    small = TokenVerifier(ServiceSettings(jwt_jwks_file=keys.jwks))
    small.max_remembered = 3
    principals = [small.verify(token(keys, sub=f"rep-{i}")) for i in range(5)]
    assert [p.user_id for p in principals] == [f"rep-{i}" for i in range(5)]
    assert len(small._verified) == 3
