"""`python -m crm_service_desk api|migrate`."""

import sys

from servicekit.cli import service_main

from crm_service_desk.app import MIGRATIONS
from crm_service_desk.config import ServiceDeskSettings


def main() -> int:
    return service_main(
        app_factory="crm_service_desk.app:create_app",
        settings_cls=ServiceDeskSettings,
        migrations=MIGRATIONS,
        default_port=8103,
    )


if __name__ == "__main__":
    sys.exit(main())
