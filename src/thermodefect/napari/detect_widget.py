"""The dock widget that runs a classical method or ``detect`` on a sequence layer: feature
images as an image layer, defects as a Labels layer numbered like the defect table, and the
table itself."""

from __future__ import annotations

import numpy as np
from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from thermodefect.errors import ThermodefectError
from thermodefect.napari.choice import LayerChoice
from thermodefect.napari.layers import cooling_of, sequence_layers

__all__ = [
    "COLUMNS",
    "MODEL",
    "DetectWidget",
]

MODEL = "built-in model"
#: (header, Region field, digits) of the regions table
COLUMNS = (
    ("id", "id", 0), ("row", "row", 1), ("col", "col", 1), ("diameter (mm)", "diameter_mm", 3),
    ("area (px)", "area_px", 0), ("confidence", "confidence", 2), ("depth (mm)", "depth_mm", 3),
)  # fmt: skip


class DetectWidget(QWidget):
    """Run a method of :data:`~thermodefect.methods.METHODS`, or ``detect`` with a classical
    method or the built-in model, on the chosen sequence layer.

    Parameters
    ----------
    napari_viewer : napari.Viewer
        The viewer the widget docks into.
    """

    def __init__(self, napari_viewer):
        from thermodefect.methods import METHODS

        super().__init__()
        self.viewer = napari_viewer
        self._model = None
        self.sequence = LayerChoice(napari_viewer, sequence_layers)
        self.method = QComboBox()
        self.method.addItems([*METHODS, MODEL])
        for i, name in enumerate(METHODS):
            self.method.setItemData(i, METHODS.summary(name), Qt.ItemDataRole.ToolTipRole)
        self.images_button = QPushButton("Feature images")
        self.detect_button = QPushButton("Detect defects")
        self.images_button.clicked.connect(self.run_images)
        self.detect_button.clicked.connect(self.run_detect)
        self.method.currentTextChanged.connect(
            lambda text: self.images_button.setEnabled(text != MODEL)
        )
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([c[0] for c in COLUMNS])
        self.table.setSortingEnabled(True)
        form = QFormLayout()
        form.addRow("sequence", self.sequence)
        form.addRow("method", self.method)
        buttons = QHBoxLayout()
        buttons.addWidget(self.images_button)
        buttons.addWidget(self.detect_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.table)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setStyleSheet("color: #e05050;" if error else "")
        self.status.setText(text)

    def run_images(self):
        """Add the chosen method's images of the chosen sequence as one image layer
        (images stacked on its first axis).

        Returns
        -------
        napari.layers.Image or None
            None when there is no sequence or the method failed (the status says why).
        """
        from thermodefect.methods import METHODS

        layer, name = self.sequence.layer, self.method.currentText()
        if layer is None or name == MODEL:
            self._say("open a sequence and choose a classical method", error=True)
            return None
        try:
            _, cooling = cooling_of(layer)
            images = np.stack([np.asarray(i, np.float32) for i in METHODS[name](cooling)])
        except ThermodefectError as exc:
            self._say(str(exc), error=True)
            return None
        self._say(f"{len(images)} {name} image(s) of {layer.name}")
        return self.viewer.add_image(images, name=f"{layer.name}: {name}", scale=(1.0,
                                     *layer.scale[1:]), colormap="viridis")  # fmt: skip

    def _detect(self, layer, name: str):
        if name == MODEL:
            from thermodefect.detect.model import detect_with_model, load_model

            if self._model is None:
                self._model = load_model(None)
            seq, _ = cooling_of(layer)
            return detect_with_model(seq, self._model)
        from thermodefect.detect import detect

        seq, cooling = cooling_of(layer)
        return detect(seq, name, prepared=cooling)

    def run_detect(self):
        """Detect defects in the chosen sequence: a Labels layer (each region's pixels carry
        its id) and the regions table.

        Returns
        -------
        napari.layers.Labels or None
            None when there is no sequence or detection failed (the status says why).
        """
        from thermodefect.detect.regions import label_regions

        layer, name = self.sequence.layer, self.method.currentText()
        if layer is None:
            self._say("open a sequence first", error=True)
            return None
        try:
            found = self._detect(layer, name)
        except ThermodefectError as exc:
            self._say(str(exc), error=True)
            return None
        self._fill(found.regions)
        labels, _ = label_regions(found.mask)
        ood = found.out_of_distribution
        self._say(f"{len(found.regions)} defect(s) in {layer.name} ({found.method})"
                  + (f"; out of distribution: {ood}" if ood else ""), error=bool(ood))  # fmt: skip
        return self.viewer.add_labels(labels, name=f"{layer.name}: defects ({found.method})",
                                      scale=tuple(layer.scale[1:]), opacity=0.5)  # fmt: skip

    def _fill(self, regions) -> None:
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(regions))
        for i, region in enumerate(regions):
            for j, (_, field, digits) in enumerate(COLUMNS):
                value = getattr(region, field)
                item = QTableWidgetItem()
                if value is not None:
                    shown = round(float(value), digits) if digits else int(value)
                    item.setData(Qt.ItemDataRole.DisplayRole, shown)
                self.table.setItem(i, j, item)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
