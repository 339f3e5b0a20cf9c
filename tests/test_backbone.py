"""One event from an HTTP write in customers, through Kafka, into reporting's read model."""

from __future__ import annotations

import asyncio
import time

from crm_contracts.customers import LifecycleStage


async def summary(platform, headers) -> dict[tuple[str, str], int]:
    response = await platform["reporting"].get("/reports/customers/summary", headers=headers)
    assert response.status_code == 200, response.text
    return {
        (r["branch_id"], r["lifecycle_stage"]): r["customers"] for r in response.json()["items"]
    }


async def wait_for_summary(platform, headers, expected, timeout_s: float = 5.0) -> float:
    started = time.perf_counter()
    while (found := await summary(platform, headers)) != expected:
        assert time.perf_counter() - started < timeout_s, f"summary is {found}"
        await asyncio.sleep(0.01)
    return time.perf_counter() - started


async def test_a_new_customer_appears_in_the_reporting_summary(platform, infra, tenant):
    admin = {"Authorization": f"Bearer {infra.token('admin', tenant=tenant)}"}
    writes = [
        ("north", LifecycleStage.LEAD),
        ("north", LifecycleStage.LEAD),
        ("north", LifecycleStage.PROSPECT),
        ("south", LifecycleStage.CUSTOMER),
    ]
    for branch, stage in writes:
        response = await platform["customers"].post(
            "/customers",
            json={"name": f"{branch} {stage}", "branch_id": branch, "lifecycle_stage": stage},
            headers=admin,
        )
        assert response.status_code == 201, response.text

    expected = {("north", "lead"): 2, ("north", "prospect"): 1, ("south", "customer"): 1}
    seconds = await wait_for_summary(platform, admin, expected)
    print(f"visible in reporting {seconds * 1000:.0f} ms after the last write")


async def test_the_summary_shows_a_branch_manager_only_their_branch(platform, infra, tenant):
    admin = {"Authorization": f"Bearer {infra.token('admin', tenant=tenant)}"}
    for branch in ("north", "south", "south"):
        await platform["customers"].post(
            "/customers", json={"name": "X", "branch_id": branch}, headers=admin
        )
    await wait_for_summary(platform, admin, {("north", "lead"): 1, ("south", "lead"): 2})
    manager = {"Authorization": f"Bearer {infra.token('north-mgr', tenant=tenant)}"}
    assert await summary(platform, manager) == {("north", "lead"): 1}


async def test_a_rep_sees_only_their_own_customers_in_the_summary(platform, infra, tenant):
    def bearer(user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {infra.token(user, tenant=tenant)}"}

    await platform["customers"].post(
        "/customers", json={"name": "Mine"}, headers=bearer("north-rep")
    )
    await platform["customers"].post(
        "/customers", json={"name": "Not"}, headers=bearer("north-rep2")
    )
    await wait_for_summary(platform, bearer("admin"), {("north", "lead"): 2})
    assert await summary(platform, bearer("north-rep")) == {("north", "lead"): 1}
