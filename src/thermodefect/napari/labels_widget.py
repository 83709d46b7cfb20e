"""The dock widget for annotation: save a Labels layer as the seed's label PNG (black =
defect) or as labelme JSON, and load several annotators' files, fused by majority or STAPLE,
with their agreement."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from qtpy.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from thermodefect.errors import ThermodefectError
from thermodefect.napari.choice import LayerChoice

__all__ = [
    "FUSIONS",
    "LabelsWidget",
    "read_annotation",
    "read_annotators",
]

FUSIONS = ("majority", "staple")


def _labels_layers(viewer) -> list:
    from napari.layers import Labels

    return [lay for lay in viewer.layers if isinstance(lay, Labels)]


def read_annotation(path: Path, shape: tuple[int, int] | None = None) -> np.ndarray:
    """One annotator's mask: a labelme JSON file or a label image (black = defect).

    Parameters
    ----------
    path : Path
        The file.
    shape : (int, int), optional
        (H, W) the mask must have (a label image is resized to it, keeping its aspect).

    Returns
    -------
    (H, W) ndarray of bool

    Raises
    ------
    ThermodefectError
        For an unreadable file or a mask of another shape.
    """
    from thermodefect.io.masks import read_label_png
    from thermodefect.labels.labelme import rasterize

    path = Path(path)
    if path.suffix.lower() == ".json":
        mask = rasterize(path).mask
        if shape is not None and mask.shape != tuple(shape):
            raise ThermodefectError(
                f"is {mask.shape[0]}x{mask.shape[1]}, the sequence {shape[0]}x{shape[1]}", path
            )
        return mask
    return read_label_png(path, shape)


def read_annotators(paths: list[Path], shape: tuple[int, int] | None) -> list[np.ndarray]:
    """Several annotators' masks of one image (:func:`read_annotation`).

    Parameters
    ----------
    paths : list of Path
        One file per annotator, at least two.
    shape : (int, int), optional
        (H, W) of the image they annotated.

    Returns
    -------
    list of (H, W) ndarray of bool

    Raises
    ------
    ThermodefectError
        For fewer than two files, an unreadable one, or masks of different sizes.
    """
    if len(paths) < 2:
        raise ThermodefectError("fusing needs two annotators' files at least")
    masks = [read_annotation(p, shape) for p in paths]
    if len({m.shape for m in masks}) > 1:
        raise ThermodefectError("the annotators' masks differ in size")
    return masks


class LabelsWidget(QWidget):
    """Save, load and fuse labels.

    Parameters
    ----------
    napari_viewer : napari.Viewer
        The viewer the widget docks into.
    """

    def __init__(self, napari_viewer):
        super().__init__()
        self.viewer = napari_viewer
        self.labels = LayerChoice(napari_viewer, _labels_layers)
        self.fusion = QComboBox()
        self.fusion.addItems(FUSIONS)
        save_png = QPushButton("Save as label PNG...")
        save_json = QPushButton("Save as labelme JSON...")
        load = QPushButton("Load annotators...")
        save_png.clicked.connect(lambda: self._ask_save("PNG image (*.png)", self.save_png))
        save_json.clicked.connect(lambda: self._ask_save("labelme (*.json)", self.save_labelme))
        load.clicked.connect(self._ask_load)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        form = QFormLayout()
        form.addRow("labels", self.labels)
        form.addRow("fusion", self.fusion)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        for button in (save_png, save_json, load):
            layout.addWidget(button)
        layout.addWidget(self.status)

    def _mask(self) -> np.ndarray:
        layer = self.labels.layer
        if layer is None:
            raise ThermodefectError("no Labels layer to save")
        data = np.asarray(layer.data)
        return (data.max(axis=0) if data.ndim == 3 else data) > 0

    def _ask_save(self, kind: str, save) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save labels", "", kind)
        if path:
            save(Path(path))

    def _ask_load(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Annotators' files", "", "labels (*.png *.json)"
        )
        if paths:
            self.load_annotators([Path(p) for p in paths], self.fusion.currentText())

    def save_png(self, path: Path) -> Path | None:
        """Write the chosen Labels layer as a seed label PNG (0 black = defect, 255 sound).

        Parameters
        ----------
        path : Path
            The file to write.

        Returns
        -------
        Path or None
            None when there was nothing to save (the status says why).
        """
        from thermodefect.io.masks import write_label_png

        return self._save(path, write_label_png)

    def save_labelme(self, path: Path) -> Path | None:
        """Write the chosen Labels layer as labelme JSON (one polygon per defect).

        Parameters
        ----------
        path : Path
            The file to write.

        Returns
        -------
        Path or None
            None when there was nothing to save (the status says why).
        """
        from thermodefect.labels.labelme import write_labelme

        return self._save(path, write_labelme)

    def _save(self, path: Path, write) -> Path | None:
        try:
            write(self._mask(), path)
        except ThermodefectError as exc:
            self.status.setText(str(exc))
            return None
        self.status.setText(f"saved {path}")
        return Path(path)

    def load_annotators(self, paths: list[Path], fusion: str = "majority"):
        """Add each annotator's mask as a hidden Labels layer and their fusion as a visible
        one; the status gives Fleiss' kappa and the pairwise Dice.

        Parameters
        ----------
        paths : list of Path
            Label images or labelme files, one per annotator (at least two).
        fusion : {"majority", "staple"}

        Returns
        -------
        napari.layers.Labels or None
            The fused layer; None when the files cannot be fused (the status says why).
        """
        from thermodefect.labels.fusion import fleiss_kappa, majority, pairwise_dice, staple
        from thermodefect.napari.layers import sequence_layers

        images = sequence_layers(self.viewer)
        shape = tuple(images[-1].data.shape[1:]) if images else None
        scale = tuple(images[-1].scale[1:]) if images else (1.0, 1.0)
        try:
            masks = read_annotators(paths, shape)
        except ThermodefectError as exc:
            self.status.setText(str(exc))
            return None
        for path, mask in zip(paths, masks, strict=True):
            self.viewer.add_labels(mask.astype(np.uint8), name=f"annotator {Path(path).stem}",
                                   scale=scale, visible=False)  # fmt: skip
        if fusion == "staple":
            estimate = staple(masks)
            fused = estimate.posterior >= 0.5
            skill = ", ".join(f"{p.stem} {s:.2f}" for p, s in zip(paths, estimate.sensitivity,
                                                                  strict=True))  # fmt: skip
            extra = f"; STAPLE sensitivity {skill}"
        else:
            fused, extra = majority(masks), ""
        dice = ", ".join(f"{i + 1}-{j + 1} {d:.2f}" for (i, j), d in pairwise_dice(masks).items())
        self.status.setText(f"{len(masks)} annotators fused by {fusion}: Fleiss kappa "
                            f"{fleiss_kappa(masks):.2f}; Dice {dice}{extra}")  # fmt: skip
        return self.viewer.add_labels(np.asarray(fused, np.uint8), name=f"fused ({fusion})",
                                      scale=scale)  # fmt: skip
