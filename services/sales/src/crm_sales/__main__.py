"""`python -m crm_sales api|migrate`."""

import sys

from servicekit.cli import service_main

from crm_sales.app import MIGRATIONS
from crm_sales.config import SalesSettings


def main() -> int:
    return service_main(
        app_factory="crm_sales.app:create_app",
        settings_cls=SalesSettings,
        migrations=MIGRATIONS,
        default_port=8102,
    )


if __name__ == "__main__":
    sys.exit(main())
