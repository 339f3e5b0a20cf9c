"""Shared base of every event payload model."""

from pydantic import BaseModel, ConfigDict


class Payload(BaseModel):
    """Base of event payloads.

    `extra="ignore"` lets an older consumer read events from a newer producer that added
    optional fields; `frozen` because an event is a fact that is never edited.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)
