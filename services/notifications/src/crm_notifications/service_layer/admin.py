"""Administration: the user directory, rule settings and the tenant's sender address."""

from __future__ import annotations

from datetime import datetime

from servicekit.auth import Principal
from servicekit.concurrency import check_version
from servicekit.errors import PreconditionRequired
from servicekit.uow import UnitOfWork

from crm_notifications.adapters.orm import DirectoryUserRow, RuleSettingRow, TenantSettingsRow
from crm_notifications.domain.model import NotFoundError
from crm_notifications.domain.rules import RULES, Channel


def _need_version(expected: int | None, missing: bool, what: str) -> None:
    if missing:
        raise PreconditionRequired(
            f"{what} exists: send If-Match with its ETag (or `*`) to replace it."
        )


async def put_user(
    uow: UnitOfWork,
    principal: Principal,
    user_id: str,
    *,
    expected_version: int | None,
    if_match_sent: bool,
    values: dict[str, object],
    now: datetime,
) -> DirectoryUserRow:
    """Create or replace a directory entry (replacing needs If-Match)."""
    async with uow:
        row = await uow.session.get(
            DirectoryUserRow, (principal.tenant, user_id), with_for_update=True
        )
        if row is None:
            row = DirectoryUserRow(tenant_id=principal.tenant, user_id=user_id, version=1)
            uow.session.add(row)
        else:
            _need_version(expected_version, not if_match_sent, f"User {user_id}")
            check_version(expected_version, row.version)
            row.version += 1
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = now
        await uow.commit()
    return row


async def remove_user(
    uow: UnitOfWork, principal: Principal, user_id: str, *, expected_version: int | None
) -> None:
    async with uow:
        row = await uow.session.get(
            DirectoryUserRow, (principal.tenant, user_id), with_for_update=True
        )
        if row is None:
            raise NotFoundError(f"No user {user_id} in the directory.")
        check_version(expected_version, row.version)
        await uow.session.delete(row)
        await uow.commit()


async def put_rule(
    uow: UnitOfWork,
    principal: Principal,
    key: str,
    *,
    enabled: bool,
    channels: list[Channel] | None,
    expected_version: int | None,
    if_match_sent: bool,
    now: datetime,
) -> RuleSettingRow:
    if RULES.get(key) is None:
        raise NotFoundError(f"No rule {key!r}.")
    async with uow:
        row = await uow.session.get(RuleSettingRow, (principal.tenant, key), with_for_update=True)
        if row is None:
            row = RuleSettingRow(tenant_id=principal.tenant, rule=key, version=1)
            uow.session.add(row)
        else:
            _need_version(expected_version, not if_match_sent, f"The setting of rule {key}")
            check_version(expected_version, row.version)
            row.version += 1
        row.enabled = enabled
        row.channels = None if channels is None else sorted(c.value for c in channels)
        row.updated_at = now
        await uow.commit()
    return row


async def put_settings(
    uow: UnitOfWork,
    principal: Principal,
    *,
    mail_from: str | None,
    expected_version: int | None,
    if_match_sent: bool,
    now: datetime,
) -> TenantSettingsRow:
    async with uow:
        row = await uow.session.get(TenantSettingsRow, principal.tenant, with_for_update=True)
        if row is None:
            row = TenantSettingsRow(tenant_id=principal.tenant, version=1)
            uow.session.add(row)
        else:
            _need_version(expected_version, not if_match_sent, "Your settings")
            check_version(expected_version, row.version)
            row.version += 1
        row.mail_from = mail_from
        row.updated_at = now
        await uow.commit()
    return row
