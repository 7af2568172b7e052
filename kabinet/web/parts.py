"""What the web edge is built from: the settings, the flows' context and the courier (for the in-process
worker). The composition root's ``Kabinet`` is one; the web never imports the root itself, so the arrows keep
pointing one way (entry points → web → flows)."""

from __future__ import annotations

from typing import Protocol

from kabinet.config import Settings
from kabinet.delivery.worker import Courier
from kabinet.flows.shared.context import FlowContext


class Parts(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def ctx(self) -> FlowContext: ...

    @property
    def courier(self) -> Courier: ...
