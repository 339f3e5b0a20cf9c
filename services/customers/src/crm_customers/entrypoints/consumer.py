"""Events the customers service reacts to (sales outcomes arrive with the sales issue)."""

from servicekit.consumer import EventHandlers

handlers = EventHandlers()
