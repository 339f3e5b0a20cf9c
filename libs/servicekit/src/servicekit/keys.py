"""Signing keys for the embedded default: the key pair is made once and kept on disk.

Production verifies tokens of the company's OpenID Connect provider instead; this module
is what `crm token USER` and the tests use to mint tokens for demo users.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

KEY_ID = "crm-local-1"


@dataclass(frozen=True)
class KeyPair:
    private_pem: Path
    jwks: Path


def ensure_keypair(directory: Path) -> KeyPair:
    """Create an ES256 key pair under `directory` unless one is there; return its paths."""
    directory.mkdir(parents=True, exist_ok=True)
    pair = KeyPair(directory / "signing-key.pem", directory / "jwks.json")
    if pair.private_pem.exists() and pair.jwks.exists():
        return pair
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_jwk: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(private.public_key()))
    public_jwk.update({"kid": KEY_ID, "use": "sig", "alg": "ES256"})
    tmp = pair.private_pem.with_suffix(".tmp")
    tmp.write_bytes(pem)
    tmp.chmod(0o600)
    tmp.replace(pair.private_pem)
    pair.jwks.write_text(json.dumps({"keys": [public_jwk]}, indent=2) + "\n")
    return pair


def mint_token(
    private_pem: Path,
    *,
    sub: str,
    tenant: str,
    roles: list[str],
    branch: str | None = None,
    customer: str | None = None,
    issuer: str = "crm-local",
    audience: str = "crm",
    ttl_s: int = 8 * 3600,
    extra: dict[str, Any] | None = None,
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub,
        "tenant": tenant,
        "roles": roles,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl_s,
    }
    if branch is not None:
        claims["branch"] = branch
    if customer is not None:
        claims["customer"] = customer
    claims.update(extra or {})
    return jwt.encode(claims, private_pem.read_bytes(), algorithm="ES256", headers={"kid": KEY_ID})


@dataclass(frozen=True)
class DemoUser:
    name: str
    roles: tuple[str, ...]
    branch: str | None


DEMO_TENANT = "demo"
DEMO_BRANCHES = ("north", "south")
# The demo company's staff: the users `crm token` knows and the ones `crm seed --demo` loads
# (a manager, an agent and five reps per branch).
DEMO_USERS: dict[str, DemoUser] = {
    u.name: u
    for u in (
        DemoUser("admin", ("admin",), None),
        DemoUser("ceo", ("executive",), None),
        DemoUser("north-mgr", ("branch_manager",), "north"),
        DemoUser("north-rep", ("sales_rep",), "north"),
        DemoUser("north-rep2", ("sales_rep",), "north"),
        DemoUser("south-rep", ("sales_rep",), "south"),
        DemoUser("agent", ("service_agent",), "north"),
        DemoUser("marketer", ("marketing",), None),
        DemoUser("integrator", ("integrator",), None),
        DemoUser("south-mgr", ("branch_manager",), "south"),
        DemoUser("south-agent", ("service_agent",), "south"),
        *(DemoUser(f"north-rep{n}", ("sales_rep",), "north") for n in range(3, 6)),
        *(DemoUser(f"south-rep{n}", ("sales_rep",), "south") for n in range(2, 6)),
    )
}


def demo_token(private_pem: Path, user: str, *, tenant: str = DEMO_TENANT) -> str:
    demo = DEMO_USERS[user]
    return mint_token(
        private_pem, sub=demo.name, tenant=tenant, roles=list(demo.roles), branch=demo.branch
    )
