"""`python -m crm_customers api|migrate`."""

import sys

from servicekit.cli import service_main

from crm_customers.app import MIGRATIONS
from crm_customers.config import CustomersSettings


def main() -> int:
    return service_main(
        app_factory="crm_customers.app:create_app",
        settings_cls=CustomersSettings,
        migrations=MIGRATIONS,
        default_port=8101,
    )


if __name__ == "__main__":
    sys.exit(main())
