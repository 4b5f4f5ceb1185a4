"""What every check receives: the policies as views, the index, the catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cpol.lint.catalog import Catalog
from cpol.lint.model import Index, View


@dataclass
class Context:
    views: Sequence[View]
    catalog: Catalog | None = None
    index: Index = field(init=False)

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        """Build the index; call again after a check marked policies contradictory."""
        self.index = Index(self.views)

    @property
    def active(self) -> list[View]:
        return [view for view in self.views if view.active]

    @property
    def usable(self) -> list[View]:
        return [view for view in self.views if view.usable]
