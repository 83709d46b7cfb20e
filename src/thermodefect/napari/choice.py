"""A combo box of the viewer's layers of one kind, kept in step with the layer list."""

from __future__ import annotations

from collections.abc import Callable

from qtpy.QtWidgets import QComboBox

__all__ = ["LayerChoice"]


class LayerChoice(QComboBox):
    """The names of the layers ``pick(viewer)`` returns, refreshed when layers come, go or
    are renamed; the selected layer is :attr:`layer`.

    Parameters
    ----------
    viewer : napari.Viewer
        The viewer whose layers are offered.
    pick : callable
        viewer -> list of layers to offer.
    """

    def __init__(self, viewer, pick: Callable[[object], list]):
        super().__init__()
        self.viewer, self.pick = viewer, pick
        for event in (viewer.layers.events.inserted, viewer.layers.events.removed):
            event.connect(self.refresh)
        self.refresh()

    def refresh(self, *_event) -> None:
        """Offer the current layers, keeping the selection when it is still there.

        Parameters
        ----------
        *_event
            The layer-list event that asked for it (unused).
        """
        current = self.currentText()
        self.blockSignals(True)
        self.clear()
        self.addItems([layer.name for layer in self.pick(self.viewer)])
        if current:
            self.setCurrentText(current)
        self.blockSignals(False)

    @property
    def layer(self):
        """The selected layer, or None.

        Returns
        -------
        napari layer or None
        """
        name = self.currentText()
        return next((lay for lay in self.pick(self.viewer) if lay.name == name), None)
