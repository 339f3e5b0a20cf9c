"""The CloudEvents 1.0 envelope every event travels in (structured JSON mode)."""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from crm_contracts.errors import InvalidEvent, describe

# Kafka `content-type` header of a structured-mode CloudEvent.
CLOUDEVENTS_JSON: Final = "application/cloudevents+json"

TYPE_PATTERN: Final = r"^crm\.[a-z-]+\.[a-z_]+\.[a-z_]+\.v[0-9]+$"

NonEmpty = Annotated[str, Field(min_length=1)]


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 event with the CRM extensions.

    `extra="allow"` keeps extensions this version does not know, so a relay or a dead-letter
    hop forwards them untouched.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"] = Field(default="1.0", description="CloudEvents version.")
    id: UUID = Field(description="Unique per event; consumers deduplicate on it.")
    source: NonEmpty = Field(description="Publishing service, e.g. `/crm/customers`.")
    type: str = Field(
        pattern=TYPE_PATTERN,
        description="`crm.<service>.<entity>.<verb>.v<N>`; selects the payload model.",
    )
    subject: str | None = Field(default=None, description="The entity the event is about.")
    time: AwareDatetime = Field(description="When it happened (RFC 3339, with offset).")
    datacontenttype: Literal["application/json"] = Field(
        default="application/json", description="Media type of `data`."
    )
    tenantid: NonEmpty = Field(description="Tenant the event belongs to.")
    branchid: str | None = Field(default=None, description="Branch within the tenant, if any.")
    partitionkey: NonEmpty = Field(
        description="Kafka key: the customer id the event is about, so its events stay in order."
    )
    sequence: int = Field(ge=1, description="The aggregate's version after this change.")
    traceparent: str | None = Field(
        default=None, description="W3C trace context of the request that caused the event."
    )
    data: dict[str, Any] = Field(description="The payload; its schema depends on `type`.")

    def to_json_bytes(self) -> bytes:
        """Compact JSON for the Kafka value; absent optional attributes are left out."""
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_json_bytes(cls, raw: bytes) -> CloudEvent:
        """Parse a Kafka value; anything that is not a valid envelope is `InvalidEvent`."""
        try:
            return cls.model_validate_json(raw)
        except ValidationError as exc:
            raise InvalidEvent(f"not a valid CloudEvent: {describe(exc)}") from exc

    def payload(self) -> BaseModel:
        """`data` validated by the payload model registered for `type`."""
        from crm_contracts.registry import spec_for  # registry imports this module

        model = spec_for(self.type).payload
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            raise InvalidEvent(f"invalid data for {self.type}: {describe(exc)}") from exc
