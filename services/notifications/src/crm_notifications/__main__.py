"""`python -m crm_notifications api|migrate`."""

import sys

from servicekit.cli import service_main

from crm_notifications.app import MIGRATIONS
from crm_notifications.config import NotificationsSettings


def main() -> int:
    return service_main(
        app_factory="crm_notifications.app:create_app",
        settings_cls=NotificationsSettings,
        migrations=MIGRATIONS,
        default_port=8104,
    )


if __name__ == "__main__":
    sys.exit(main())
