"""A local mail server for the notifications service: every message lands in a Maildir
under `.crm/mail/`, so a newcomer can read what the platform sends without a mail relay."""

from __future__ import annotations

import mailbox
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


class LocalMailbox:
    def __init__(self, directory: Path, *, host: str, port: int) -> None:
        directory.parent.mkdir(parents=True, exist_ok=True)
        mailbox.Maildir(directory, create=True)  # cur/, new/, tmp/
        self.directory = directory
        self.host, self.port = host, port
        self._controller = Controller(Mailbox(directory), hostname=host, port=port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
