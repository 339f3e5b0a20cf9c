"""What the demo company sells (warehouse automation: software, devices, services) and the
projects its customers buy, as bundles of those products."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

CURRENCY: Final = "CNY"


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    list_price: Decimal
    unit_cost: Decimal


def _products(text: str) -> tuple[Product, ...]:
    found = []
    for line in text.strip().splitlines():
        sku, name, price, cost = (part.strip() for part in line.split("|"))
        found.append(Product(sku, name, Decimal(price), Decimal(cost)))
    return tuple(found)


PRODUCTS: Final = _products("""
WMS-LIC    | WMS licence (per site)                 | 68000  | 12000
WMS-CLOUD  | Cloud WMS subscription (site, 1 year)  | 36000  | 9000
MC-500     | Rugged mobile computer MC-500          | 6800   | 4300
BS-200     | Handheld barcode scanner BS-200        | 2800   | 1650
LP-40      | Industrial label printer LP-40         | 5200   | 3100
RG-10      | RFID gate RG-10                        | 18500  | 11200
RT-1000    | RFID tags (roll of 1,000)              | 900    | 520
AMR-1      | Autonomous mobile robot AMR-1          | 168000 | 112000
CNV-M      | Conveyor module (per metre)            | 4200   | 2900
TH-3       | Temperature and humidity sensor TH-3   | 650    | 310
GW-8       | IoT gateway GW-8                       | 3900   | 2100
SVC-INST   | On-site installation (per day)         | 3500   | 1800
SVC-TRAIN  | Training workshop (per day)            | 6000   | 2500
SVC-MAINT  | Annual maintenance plan                | 24000  | 10000
SVC-PREM   | Premium support (1 year)               | 48000  | 20000
SVC-DESIGN | Warehouse layout design                | 45000  | 26000
""")
BY_SKU: Final = {p.sku: p for p in PRODUCTS}
# Devices a customer registers as assets (service desk), with how long their warranty runs.
DEVICES: Final = {"MC-500": 2, "BS-200": 1, "LP-40": 1, "RG-10": 3, "AMR-1": 3, "GW-8": 2}


@dataclass(frozen=True)
class Project:
    zh: str
    en: str
    lines: tuple[tuple[str, int], ...]  # (sku, quantity for a typical customer)
    subscription: str | None  # the product a won deal turns into a contract for
    scales: bool = True  # bigger customers buy more of it


PROJECTS: Final[tuple[Project, ...]] = (
    Project("仓储管理系统上线", "WMS roll-out",
            (("WMS-LIC", 1), ("SVC-INST", 5), ("SVC-TRAIN", 2), ("MC-500", 8)), "SVC-MAINT"),
    Project("云仓储系统订阅", "Cloud WMS subscription",
            (("WMS-CLOUD", 1), ("SVC-TRAIN", 1)), "WMS-CLOUD"),
    Project("RFID试点项目", "RFID pilot", (("RG-10", 2), ("RT-1000", 20), ("SVC-INST", 3)), None),
    Project("扫描设备更新", "Scanner refresh", (("BS-200", 20), ("LP-40", 4)), None),
    Project("AMR仓库自动化", "AMR automation",
            (("AMR-1", 2), ("CNV-M", 30), ("SVC-DESIGN", 1), ("SVC-INST", 10)), None),
    Project("冷链温湿度监控", "Cold-chain monitoring",
            (("TH-3", 40), ("GW-8", 4), ("SVC-INST", 2)), None),
    Project("年度维保续约", "Maintenance renewal", (("SVC-MAINT", 1),), "SVC-MAINT", False),
    Project("高级支持服务", "Premium support", (("SVC-PREM", 1),), "SVC-PREM", False),
)  # fmt: skip
PROJECT_WEIGHTS: Final = (14, 10, 12, 22, 5, 10, 17, 10)


def scaled(quantity: int, scale: float) -> int:
    return max(1, round(quantity * scale))


def list_total(project: Project, scale: float) -> Decimal:
    """What the project costs the customer at list prices."""
    return sum(
        (
            BY_SKU[sku].list_price * (scaled(qty, scale) if project.scales else qty)
            for sku, qty in project.lines
        ),
        Decimal(0),
    )
