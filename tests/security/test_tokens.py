"""Bearer tokens: anything but a valid token of our issuer, for us, signed with our key, is
401 on every service; and no token or secret ever reaches a log line."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from servicekit.keys import KEY_ID

# One route of each service that any staff user may call.
PROBES = {
    "customers": "/customers",
    "sales": "/opportunities",
    "service-desk": "/tickets",
    "notifications": "/inbox",
    "reporting": "/reports/customers/summary",
}


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims(tenant: str, /, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    found: dict[str, Any] = {
        "sub": "admin",
        "tenant": tenant,
        "roles": ["admin"],
        "iss": "crm-local",
        "aud": "crm",
        "iat": now,
        "exp": now + 600,
    }
    found.update(changes)
    return {k: v for k, v in found.items() if v is not None}


def hs256(secret: bytes, tenant: str) -> str:
    """Key confusion: an HMAC token whose secret is the public key the services trust."""
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT', 'kid': KEY_ID})}.{b64(claims(tenant))}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def bad_tokens(infra: Any, tenant: str) -> dict[str, str | None]:
    """Each kind of token that must be refused, by what is wrong with it."""
    ours = infra.keys.private_pem.read_bytes()
    other_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_jwk = json.loads(infra.keys.jwks.read_text())["keys"][0]
    kid = {"kid": KEY_ID}

    def signed(key: bytes = ours, alg: str = "ES256", **changes: Any) -> str:
        return jwt.encode(claims(tenant, **changes), key, algorithm=alg, headers=kid)

    valid = signed()
    head, body, signature = valid.split(".")
    return {
        "no token": None,
        "expired": signed(exp=int(time.time()) - 60, iat=int(time.time()) - 700),
        "not valid yet": signed(nbf=int(time.time()) + 3600),
        "no expiry": signed(exp=None),
        "wrong audience": signed(aud="another-system"),
        "wrong issuer": signed(iss="https://evil.example"),
        "wrong key": signed(other_key),
        "an RSA key of its own": signed(rsa_key, "RS256"),
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT', **kid})}.{body}.",
        "alg none, no signature part": f"{b64({'alg': 'none', **kid})}.{body}",
        "HS256 keyed with our public JWK": hs256(json.dumps(public_jwk).encode(), tenant),
        "payload changed after signing": (f"{head}.{b64(claims('another-tenant'))}.{signature}"),
        "no tenant claim": signed(tenant=None),
        "unknown role": signed(roles=["superuser"]),
        "unknown key id": jwt.encode(
            claims(tenant), ours, algorithm="ES256", headers={"kid": "not-ours"}
        ),
        "garbage": "not.a.token",
    }


@pytest.fixture
def captured_logs() -> Iterator[list[str]]:
    """Every log record of every logger, at DEBUG, as text (structlog's event dicts too)."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(f"{record.getMessage()} {record.__dict__!r}")

    handler = Collect(level=logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.mark.parametrize("service", sorted(PROBES))
async def test_every_bad_token_is_401_and_a_good_one_passes(
    stack: Any, infra: Any, tenant: str, service: str, captured_logs: list[str]
) -> None:
    client = stack.client(service)
    tokens = bad_tokens(infra, tenant)
    wrong = {}
    for what, token in tokens.items():
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        response = await client.get(PROBES[service], headers=headers)
        if response.status_code != 401:
            wrong[what] = response.status_code
            continue
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.headers["content-type"].startswith("application/problem+json")
        if token is not None:
            assert token not in response.text
    assert wrong == {}, f"accepted or mis-answered: {wrong}"
    basic = await client.get(PROBES[service], headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
    assert basic.status_code == 401
    good = await client.get(PROBES[service], headers=stack.headers("admin", tenant=tenant))
    assert good.status_code == 200, good.text
    logged = "\n".join(captured_logs)
    for what, token in tokens.items():
        if token:
            assert token not in logged, f"the {what} token was logged"


async def test_secrets_never_reach_the_logs(
    stack: Any, infra: Any, tenant: str, captured_logs: list[str]
) -> None:
    admin = stack.headers("admin", tenant=tenant)
    token = admin["Authorization"].removeprefix("Bearer ")
    notifications = stack.client("notifications")
    created = await notifications.post(
        "/webhooks/endpoints",
        json={"url": "https://93.184.216.34/hooks/crm", "event_types": ["crm.*"]},
        headers=admin | {"Idempotency-Key": "secret-idempotency-key-123"},
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()
    secret = (
        endpoint.get("secret")
        or (
            await notifications.get(f"/webhooks/endpoints/{endpoint['id']}/secret", headers=admin)
        ).json()["secret"]
    )
    shown = await notifications.get(f"/webhooks/endpoints/{endpoint['id']}/secret", headers=admin)
    assert shown.status_code == 200
    # Requests that fail on the way in, with the token in the headers and the body.
    for service in PROBES:
        await stack.client(service).post(
            "/no-such-route", content=f'{{"token": "{token}"'.encode(), headers=admin
        )
    await stack.client("customers").post(
        "/customers", content=b'{"name": ', headers=admin | {"content-type": "application/json"}
    )
    logged = "\n".join(captured_logs)
    assert captured_logs, "nothing was logged at DEBUG: the capture is broken"
    assert token not in logged
    assert token.split(".")[2] not in logged  # not even the signature
    assert secret not in logged
    assert secret.split("_")[-1] not in logged
