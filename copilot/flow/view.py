"""`LoadedFlowView`: what is built on one analysed flow reads its parts by name.

The lint rules' `Context` and the Temporal workflow's `CompiledFlow` each hold a
`LoadedFlow` (`copilot.flow.load`) and read the flow, its document and its graph
through it: one set of properties, so that every reader gets the same, computed once
by the analysed flow (the graph is cached there, not here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # types only: the lint engine imports this at start-up
    from copilot.flow.document import Document
    from copilot.flow.graph import FlowGraph
    from copilot.flow.load import LoadedFlow
    from copilot.flow.models import Flow


class LoadedFlowView:
    """A view on one analysed flow, `loaded`: its parts under the names readers use."""

    loaded: LoadedFlow

    @property
    def flow(self) -> Flow:
        return self.loaded.flow

    @property
    def doc(self) -> Document:
        return self.loaded.doc

    @property
    def graph(self) -> FlowGraph:
        """The `needs` graph (`LoadedFlow.graph`)."""
        return self.loaded.graph
