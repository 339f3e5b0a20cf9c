"""The composition root: what the handlers, jobs and routes of one process share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from crm_notifications.adapters.customers_client import CustomersClient, SegmentMembers
from crm_notifications.adapters.smtp import SmtpMailer
from crm_notifications.adapters.templates import Templates
from crm_notifications.adapters.webhook_http import WebhookClient
from crm_notifications.config import NotificationsSettings
from crm_notifications.domain.rules import RULES, RuleBook


@dataclass
class Services:
    settings: NotificationsSettings
    templates: Templates
    mailer: SmtpMailer
    segments: SegmentMembers
    # Builds the HTTP client of one webhook batch (closed when the batch is done).
    webhook_client: Callable[[], WebhookClient]
    rules: RuleBook = RULES


def bootstrap(settings: NotificationsSettings) -> Services:
    return Services(
        settings=settings,
        templates=Templates(),
        mailer=SmtpMailer(settings),
        segments=CustomersClient(settings.customers_url),
        webhook_client=lambda: WebhookClient(
            timeout_s=settings.webhook_timeout_s,
            allowed_hosts=settings.webhook_allowed_hosts,
        ),
    )
