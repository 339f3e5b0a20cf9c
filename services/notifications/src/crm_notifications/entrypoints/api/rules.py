"""The rule book and each company's choices: which rules are on, and on which channels."""

from __future__ import annotations

from fastapi import APIRouter, Response
from servicekit.auth import PrincipalDep
from servicekit.concurrency import etag

from crm_notifications import views
from crm_notifications.entrypoints.api.deps import (
    ADMIN,
    ADMIN_OR_EXECUTIVE,
    NowDep,
    OptionalIfMatch,
    ServicesDep,
    SessionDep,
    UoWDep,
)
from crm_notifications.entrypoints.api.schemas import RulePut, RuleRead, SettingsPut, SettingsRead
from crm_notifications.service_layer import admin

router = APIRouter(tags=["rules and settings"])


@router.get("/rules", response_model=list[RuleRead], dependencies=[ADMIN_OR_EXECUTIVE])
async def list_rules(
    principal: PrincipalDep, session: SessionDep, services: ServicesDep
) -> list[RuleRead]:
    """Who hears what: every rule with its recipients and this company's channels."""
    return await views.rules(session, services, principal)


@router.put("/rules/{key}", response_model=RuleRead, dependencies=[ADMIN])
async def put_rule(
    key: str,
    body: RulePut,
    principal: PrincipalDep,
    uow: UoWDep,
    services: ServicesDep,
    precondition: OptionalIfMatch,
    now: NowDep,
    response: Response,
) -> RuleRead:
    """Switch a rule off or on, or choose its channels (`If-Match` once a setting exists)."""
    row = await admin.put_rule(
        uow,
        principal,
        key,
        enabled=body.enabled,
        channels=body.channels,
        expected_version=precondition.version,
        if_match_sent=precondition.sent,
        now=now,
    )
    rule = services.rules.get(key)
    assert rule is not None
    response.headers["ETag"] = etag(row.version)
    return views.rule_read(rule, row)


@router.get("/settings", response_model=SettingsRead, dependencies=[ADMIN_OR_EXECUTIVE])
async def get_settings(
    principal: PrincipalDep, session: SessionDep, services: ServicesDep, response: Response
) -> SettingsRead:
    """This company's sender address."""
    found = await views.settings(session, services, principal)
    if found.version is not None:
        response.headers["ETag"] = etag(found.version)
    return found


@router.put("/settings", response_model=SettingsRead, dependencies=[ADMIN])
async def put_settings(
    body: SettingsPut,
    principal: PrincipalDep,
    uow: UoWDep,
    services: ServicesDep,
    precondition: OptionalIfMatch,
    now: NowDep,
    response: Response,
) -> SettingsRead:
    """Set the sender of this company's e-mail (null: the platform's default)."""
    row = await admin.put_settings(
        uow,
        principal,
        mail_from=body.mail_from,
        expected_version=precondition.version,
        if_match_sent=precondition.sent,
        now=now,
    )
    response.headers["ETag"] = etag(row.version)
    return SettingsRead(
        mail_from=row.mail_from or services.settings.mail_from,
        custom_sender=row.mail_from is not None,
        version=row.version,
    )
