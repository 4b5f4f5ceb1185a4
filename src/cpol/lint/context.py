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
    copies: dict[int, View] = field(default_factory=dict)
    """Set position of a policy behaving exactly like an earlier one -> that earlier one."""

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        """Build the index; call again after a check marked policies broken."""
        self.index = Index(self.views)

    def original(self, view: View) -> int:
        """The set position of the first policy behaving exactly like `view`."""
        copied = self.copies.get(view.index)
        return copied.index if copied is not None else view.index

    @property
    def active(self) -> list[View]:
        return [view for view in self.views if view.active]

    @property
    def usable(self) -> list[View]:
        return [view for view in self.views if view.usable]
