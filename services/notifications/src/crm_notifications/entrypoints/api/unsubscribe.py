"""The unsubscribe link of campaign mail: public, keyed by an unguessable token per e-mail.

GET shows a confirmation page (link scanners must not unsubscribe anyone); POST, from that
page or from a mail client's one-click (RFC 8058), records it at once.
"""

from __future__ import annotations

import html

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from crm_notifications.entrypoints.api.deps import NowDep, SessionDep, UoWDep
from crm_notifications.service_layer import campaigns

router = APIRouter(prefix="/unsubscribe", tags=["campaign mail"])
Token = Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 3em auto">
<h1 style="font-size: 1.3em">{title}</h1>{body}</body></html>
"""


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=html.escape(title), body=body), status_code=status_code)


@router.get("/{token}", response_class=HTMLResponse)
async def confirm_page(session: SessionDep, token: str = Token) -> HTMLResponse:
    """A page with one button that unsubscribes the address the e-mail went to."""
    mail = await campaigns.find_by_token(session, token)
    if mail is None:
        return _page("Unknown link", "<p>This unsubscribe link is not known.</p>", 404)
    return _page(
        "Unsubscribe",
        f"<p>Stop campaign e-mails to <b>{html.escape(mail.to_address or '')}</b>?</p>"
        f'<form method="post" action="{html.escape(token)}">'
        '<button type="submit">Unsubscribe</button></form>',
    )


@router.post("/{token}", response_class=HTMLResponse)
async def unsubscribe(uow: UoWDep, now: NowDep, token: str = Token) -> HTMLResponse:
    """Unsubscribe (idempotent): no more campaign e-mail to this contact or address."""
    mail = await campaigns.unsubscribe(uow, token, now=now)
    return _page(
        "Unsubscribed",
        f"<p>{html.escape(mail.to_address or 'This address')} will get no more campaign "
        "e-mails from us.</p>",
    )
