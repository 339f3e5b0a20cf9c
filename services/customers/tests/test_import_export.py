"""CSV import and export of customers and contacts, over HTTP on the real database."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid

from crm_contracts import CUSTOMERS_EVENTS
from crm_customers.adapters.orm import ImportJobRow
from servicekit.testing import read_events

CSV = {"Content-Type": "text/csv"}
REGION = {"key": "region", "label": "Region", "type": "choice", "choices": ["east", "west"]}
SIZE = {"key": "size", "label": "Head count", "type": "number"}


def rows_of(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def make_csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    return buffer.getvalue().encode()


async def poll(customers, location: str, headers: dict[str, str]) -> dict:
    """GET the job until it stops running (bounded)."""
    for _ in range(300):
        job = (await customers.get(location, headers=headers)).json()
        if job["status"] in ("done", "failed"):
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"import still {job['status']} after 30 s: {job}")


async def test_bad_rows_are_reported_by_row_with_every_field_named_and_only_good_rows_written(
    customers, auth, infra, tenant
):
    admin = auth("admin")
    await customers.put("/settings/custom-fields/region", json=REGION, headers=admin)
    policy = {"required_fields": ["name", "phone"], "pool_return_days": 30, "pool_warning_days": 3}
    assert (await customers.put("/settings/policy", json=policy, headers=admin)).status_code == 200
    body = (
        "\ufeffname,kind,branch_id,phone,email,tags,cf.region\r\n"
        "Good One,company,,+86 571 1111 2222,,vip;east,east\r\n"
        "Bad Two,alien,,,not-an-email,,north\r\n"
        ",,,,,,\r\n"
        "Good Three,person,north,+86 571 3333 4444,three@example.com,,\r\n"
        ",company,south,+86 571 5555 6666,,,\r\n"
    )
    response = await customers.post(
        "/imports/customers", content=body.encode(), headers={**auth("north-mgr"), **CSV}
    )

    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["total_rows"], report["imported"], report["failed"]) == (4, 2, 2)
    errors = {e["row"]: {f["field"] for f in e["errors"]} for e in report["errors"]}
    # Row 3 is blank and skipped; row numbers do not count the header.
    assert errors == {2: {"kind", "email", "phone", "cf.region"}, 5: {"name", "branch_id"}}
    listed = (await customers.get("/customers", headers=auth("north-mgr"))).json()
    assert sorted(c["name"] for c in listed["items"]) == ["Good One", "Good Three"]
    good = next(c for c in listed["items"] if c["name"] == "Good One")
    assert (good["branch_id"], good["tags"], good["custom_fields"]) == (
        "north",
        ["vip", "east"],
        {"region": "east"},
    )
    events = await read_events(
        infra.bootstrap, CUSTOMERS_EVENTS, where=lambda e: e.tenantid == tenant, expect=2
    )
    assert {e.data["name"] for e in events} == {"Good One", "Good Three"}
    assert {e.type for e in events} == {"crm.customers.customer.created.v1"}


async def test_a_sales_rep_cannot_import_customers(customers, auth):
    body = make_csv(["name"], [["Rep's Own Import"]])
    response = await customers.post(
        "/imports/customers", content=body, headers={**auth("north-rep"), **CSV}
    )
    assert response.status_code == 403
    listed = (await customers.get("/customers", headers=auth("admin"))).json()
    assert listed["total"] == 0


async def test_a_file_with_an_unknown_column_is_refused_before_any_row_is_read(customers, auth):
    body = make_csv(["name", "colour", "cf.nope"], [["Acme", "blue", "x"]])
    response = await customers.post(
        "/imports/customers", content=body, headers={**auth("admin"), **CSV}
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"colour"}
    not_csv = await customers.post("/imports/customers", json=[], headers=auth("admin"))
    assert not_csv.status_code == 415


async def test_a_large_file_imports_in_the_background_and_its_progress_reaches_done(
    customers, auth, infra
):
    rows = [
        [f"Bulk {i:05d}", "north" if i % 2 else "south", f"+86 571 {i:04d} 0000", f"b{i}@x.cn"]
        for i in range(3_000)
    ]
    for i in (10, 1_500, 2_999):
        rows[i][3] = "broken@"
    body = make_csv(["name", "branch_id", "phone", "email"], rows)
    response = await customers.post(
        "/imports/customers", content=body, headers={**auth("admin"), **CSV}
    )

    assert response.status_code == 202, response.text
    location = response.headers["location"]
    assert location == f"/imports/{response.json()['id']}"
    first = (await customers.get(location, headers=auth("admin"))).json()
    assert first["status"] in ("queued", "running", "done")
    job = await poll(customers, location, auth("admin"))
    assert job["status"] == "done", job
    assert (job["total_rows"], job["processed_rows"]) == (3_000, 3_000)
    assert (job["imported"], job["failed"]) == (2_997, 3)
    assert [e["row"] for e in job["errors"]] == [11, 1_501, 3_000]
    assert job["errors"][0]["errors"][0]["field"] == "email"
    listed = (await customers.get("/customers?limit=1", headers=auth("admin"))).json()
    assert listed["total"] == 2_997
    stranger = {"Authorization": f"Bearer {infra.token('admin', tenant='other-co')}"}
    assert (await customers.get(location, headers=stranger)).status_code == 404


async def test_an_import_left_running_by_a_stopped_process_is_reported_failed(
    customers, auth, tenant, runtime
):
    job_id = uuid.uuid4()
    async with runtime.session_factory() as session, session.begin():
        session.add(
            ImportJobRow(
                id=job_id,
                tenant_id=tenant,
                created_by="admin",
                status="running",
                total_rows=5_000,
                processed_rows=1_000,
                imported=1_000,
                failed=0,
                errors={"rows": []},
            )
        )
    job = (await customers.get(f"/imports/{job_id}", headers=auth("admin"))).json()
    assert job["status"] == "failed"
    assert "stopped" in job["detail"]
    assert job["imported"] == 1_000
    assert job["finished_at"] is not None


async def test_a_south_reps_export_has_no_north_customers(customers, auth, new_customer):
    await new_customer("north-rep", name="North Owned")
    await new_customer("north-mgr", name="North Pooled")
    await new_customer("south-rep", name="South Owned")

    south = rows_of(await customers.get("/customers/export.csv", headers=auth("south-rep")))
    north = rows_of(
        await customers.get("/customers/export.csv?branch_id=north", headers=auth("admin"))
    )

    assert [r["name"] for r in south] == ["South Owned"]
    assert sorted(r["name"] for r in north) == ["North Owned", "North Pooled"]


async def test_contacts_export_lists_the_contacts_of_visible_customers_only(
    customers, auth, new_customer
):
    north = await new_customer("north-rep", name="North Co")
    south = await new_customer("south-rep", name="South Co")
    for owner, customer, name in (("north-rep", north, "Li Wei"), ("south-rep", south, "Wang")):
        added = await customers.post(
            f"/customers/{customer['id']}/contacts",
            json={"name": name, "email": "x@example.cn", "is_primary": True},
            headers=auth(owner),
        )
        assert added.status_code == 201, added.text

    rows = rows_of(await customers.get("/contacts/export.csv", headers=auth("north-rep")))

    assert rows == [
        {
            "customer_id": north["id"],
            "customer_name": "North Co",
            "name": "Li Wei",
            "title": "",
            "phone": "",
            "email": "x@example.cn",
            "is_primary": "true",
            "unsubscribed": "false",
        }
    ]


async def test_an_export_imported_into_another_tenant_reproduces_the_customers(
    customers, auth, infra, new_customer
):
    for field in (REGION, SIZE):
        await customers.put(f"/settings/custom-fields/{field['key']}", json=field, headers=auth())
    await new_customer(
        "north-mgr",
        name='Hangzhou "Xinyuan", Ltd. 杭州信远',
        lifecycle_stage="prospect",
        owner_id="north-rep2",
        category="=HYPERLINK(1)",
        phone="+86 571 8888 6666",
        email="buy@xinyuan.example.cn",
        address="88 Wensan Road\nXihu District",
        tags=["zhejiang", "wholesale"],
        custom_fields={"region": "east", "size": 12.5},
    )
    await new_customer("south-rep", name="Person Zhang", kind="person", postal_code="510000")
    exported = await customers.get("/customers/export.csv", headers=auth())
    assert "'=HYPERLINK(1)" in exported.text  # a spreadsheet shows it instead of running it

    other = f"t-{uuid.uuid4().hex[:12]}"
    other_admin = {"Authorization": f"Bearer {infra.token('admin', tenant=other)}"}
    for field in (REGION, SIZE):
        await customers.put(
            f"/settings/custom-fields/{field['key']}", json=field, headers=other_admin
        )
    imported = await customers.post(
        "/imports/customers", content=exported.content, headers={**other_admin, **CSV}
    )
    assert imported.status_code == 200, imported.text
    assert (imported.json()["imported"], imported.json()["failed"]) == (2, 0)

    again = await customers.get("/customers/export.csv?sort=name", headers=other_admin)
    first = await customers.get("/customers/export.csv?sort=name", headers=auth())
    assert again.content == first.content
    assert len(rows_of(again)) == 2
