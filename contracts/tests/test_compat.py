from __future__ import annotations

import copy
from enum import StrEnum
from typing import Any, Literal

from crm_contracts.compat import breaking_changes
from crm_contracts.schemas import event_json_schema
from pydantic import BaseModel, Field

CUSTOMER_CREATED = "crm.customers.customer.created.v1"


def schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


def changes(released: type[BaseModel], current: type[BaseModel]) -> list[str]:
    return breaking_changes(schema(released), schema(current))


class Customer(BaseModel):
    customer_id: str
    name: str
    phone: str | None = None


def test_an_identical_schema_has_no_breaking_changes() -> None:
    assert changes(Customer, Customer) == []


def test_removing_a_field_is_reported_as_breaking() -> None:
    class Current(BaseModel):
        customer_id: str
        name: str

    assert changes(Customer, Current) == ["phone: removed"]


def test_removing_a_payload_field_names_its_path_in_the_envelope() -> None:
    released = event_json_schema(CUSTOMER_CREATED)
    current = copy.deepcopy(released)
    del current["properties"]["data"]["properties"]["phone"]

    assert breaking_changes(released, current) == ["data.properties.phone: removed"]


def test_renaming_a_field_shows_as_a_removal_and_a_new_required_field() -> None:
    class Current(BaseModel):
        customer_id: str
        display_name: str
        phone: str | None = None

    assert changes(Customer, Current) == ["name: removed", "display_name: new required"]


def test_adding_an_optional_field_is_not_breaking() -> None:
    class Current(Customer):
        email: str | None = None
        tags: list[str] = Field(default_factory=list)

    assert changes(Customer, Current) == []


def test_adding_a_required_field_is_breaking() -> None:
    class Current(Customer):
        created_by: str

    assert changes(Customer, Current) == ["created_by: new required"]


def test_making_an_optional_field_required_is_breaking() -> None:
    class Current(BaseModel):
        customer_id: str
        name: str
        phone: str | None

    assert changes(Customer, Current) == ["phone: became required"]


def test_changing_a_field_type_is_breaking() -> None:
    class Current(BaseModel):
        customer_id: int
        name: str
        phone: str | None = None

    assert changes(Customer, Current) == ["customer_id: type changed from string to integer"]


def test_dropping_null_from_a_nullable_field_is_breaking() -> None:
    class Current(BaseModel):
        customer_id: str
        name: str
        phone: str = ""

    assert changes(Customer, Current) == ["phone: no longer accepts null"]


def test_dropping_a_type_from_a_union_is_breaking() -> None:
    class Released(BaseModel):
        ref: int | str

    class Current(BaseModel):
        ref: int

    assert changes(Released, Current) == ["ref: type changed from integer|string to integer"]


def test_widening_a_type_is_not_breaking() -> None:
    class Released(BaseModel):
        amount: int
        note: str

    class Current(BaseModel):
        amount: float
        note: str | None

    assert changes(Released, Current) == []


def test_narrowing_a_number_to_an_integer_is_breaking() -> None:
    class Released(BaseModel):
        amount: float

    class Current(BaseModel):
        amount: int

    assert changes(Released, Current) == ["amount: type changed from number to integer"]


def test_removing_an_enum_value_is_breaking() -> None:
    class Stage(StrEnum):
        LEAD = "lead"
        CUSTOMER = "customer"
        LOST = "lost"

    class Released(BaseModel):
        stage: Stage

    class NewStage(StrEnum):
        LEAD = "lead"
        CUSTOMER = "customer"

    class Current(BaseModel):
        stage: NewStage

    assert changes(Released, Current) == ["stage: enum value 'lost' removed"]


def test_adding_an_enum_value_is_not_breaking() -> None:
    class Released(BaseModel):
        kind: Literal["company", "person"]

    class Current(BaseModel):
        kind: Literal["company", "person", "public_body"]

    assert changes(Released, Current) == []


def test_removing_a_literal_value_is_breaking_even_when_one_value_is_left() -> None:
    class Released(BaseModel):
        kind: Literal["company", "person"]

    class Current(BaseModel):
        kind: Literal["company"]

    assert changes(Released, Current) == ["kind: enum value 'person' removed"]


def test_changing_a_const_is_breaking() -> None:
    class Released(BaseModel):
        currency: Literal["EUR"]

    class Current(BaseModel):
        currency: Literal["USD"]

    assert changes(Released, Current) == ["currency: const changed from 'EUR' to 'USD'"]


def test_restricting_a_free_field_to_fixed_values_is_breaking() -> None:
    class Released(BaseModel):
        kind: str

    class Current(BaseModel):
        kind: Literal["company", "person"]

    assert changes(Released, Current) == ["kind: now restricted to 'company', 'person'"]


class Address(BaseModel):
    street: str
    city: str


class Account(BaseModel):
    billing: Address
    shipping: Address | None = None
    contacts: list[Address] = Field(default_factory=list)


def test_a_field_removed_inside_a_referenced_nested_model_is_breaking() -> None:
    class Address(BaseModel):  # same name, so the $defs entry keeps its name
        street: str

    class Current(BaseModel):
        billing: Address
        shipping: Address | None = None
        contacts: list[Address] = Field(default_factory=list)

    assert changes(Account, Current) == [
        "billing.properties.city: removed",
        "shipping.properties.city: removed",
        "contacts.items.properties.city: removed",
    ]


def test_narrowing_array_items_is_breaking() -> None:
    class Released(BaseModel):
        tags: list[str | int]

    class Current(BaseModel):
        tags: list[str]

    assert changes(Released, Current) == ["tags.items: type changed from integer|string to string"]


def test_tightening_a_length_limit_is_breaking_and_loosening_it_is_not() -> None:
    class Released(BaseModel):
        name: str = Field(max_length=200)

    class Tighter(BaseModel):
        name: str = Field(max_length=100)

    class Looser(BaseModel):
        name: str = Field(max_length=300)

    assert changes(Released, Tighter) == ["name: maxLength tightened from 200 to 100"]
    assert changes(Released, Looser) == []


def test_forbidding_additional_properties_is_breaking() -> None:
    released = {"type": "object", "properties": {"a": {"type": "string"}}}
    current = {**released, "additionalProperties": False}

    assert breaking_changes(released, current) == ["additionalProperties: no longer allowed"]


def test_a_recursive_model_is_compared_without_looping() -> None:
    class Node(BaseModel):
        label: str
        children: list[Node] = Field(default_factory=list)

    assert changes(Node, Node) == []


def test_a_field_removed_from_a_recursive_model_is_reported() -> None:
    class Node(BaseModel):
        label: str
        children: list[Node] = Field(default_factory=list)

    released = schema(Node)

    class Node(BaseModel):  # type: ignore[no-redef]
        children: list[Node] = Field(default_factory=list)

    assert breaking_changes(released, schema(Node)) == ["label: removed"]
