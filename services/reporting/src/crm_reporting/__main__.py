"""`python -m crm_reporting api|migrate`."""

import sys

from servicekit.cli import service_main

from crm_reporting.app import MIGRATIONS
from crm_reporting.config import ReportingSettings


def main() -> int:
    return service_main(
        app_factory="crm_reporting.app:create_app",
        settings_cls=ReportingSettings,
        migrations=MIGRATIONS,
        default_port=8105,
    )


if __name__ == "__main__":
    sys.exit(main())
