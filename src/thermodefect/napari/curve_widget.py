"""The dock widget that plots a pixel's cooling curve: click a pixel of a sequence layer and
its prepared rise appears over time (linear) and in log-log with the TSR fit."""

from __future__ import annotations

import numpy as np
from qtpy.QtWidgets import QLabel, QVBoxLayout, QWidget

from thermodefect.errors import ThermodefectError
from thermodefect.napari.choice import LayerChoice
from thermodefect.napari.layers import cooling_of, sequence_layers

__all__ = ["CurveWidget"]


class CurveWidget(QWidget):
    """Cooling curve of the clicked pixel of the chosen sequence layer.

    Parameters
    ----------
    napari_viewer : napari.Viewer
        The viewer the widget docks into.
    """

    def __init__(self, napari_viewer):
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        super().__init__()
        self.viewer = napari_viewer
        self.sequence = LayerChoice(napari_viewer, sequence_layers)
        self.figure = Figure(figsize=(6, 2.8), layout="constrained")
        self.linear, self.loglog = self.figure.subplots(1, 2)
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.status = QLabel("click a pixel of the sequence")
        layout = QVBoxLayout(self)
        layout.addWidget(self.sequence)
        layout.addWidget(self.canvas)
        layout.addWidget(self.status)
        napari_viewer.mouse_drag_callbacks.append(self._on_click)

    def _on_click(self, viewer, event) -> None:
        layer = self.sequence.layer
        if layer is None:
            return
        _, row, col = np.rint(layer.world_to_data(event.position)[-3:]).astype(int)
        if 0 <= row < layer.data.shape[1] and 0 <= col < layer.data.shape[2]:
            self.plot_pixel(row, col)

    def plot_pixel(self, row: int, col: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Plot the prepared rise of one pixel and its TSR fit.

        Parameters
        ----------
        row, col : int
            The pixel.

        Returns
        -------
        times : (T,) ndarray
            After the flash, s (frames when the rate is unknown).
        rise : (T,) ndarray
            The pixel's prepared rise.
        fit : (T,) ndarray
            Its TSR reconstruction (NaN where the fit cannot run).
        """
        from thermodefect.report.views import tsr_fits

        layer = self.sequence.layer
        try:
            _, cooling = cooling_of(layer)
        except ThermodefectError as exc:
            self.status.setText(str(exc))
            return np.empty(0), np.empty(0), np.empty(0)
        times = np.asarray(cooling.times, np.float64)
        rise = np.asarray(cooling.frames[:, row, col], np.float64)
        fit = tsr_fits(times, rise[:, None])[:, 0]
        unit = "s" if cooling.meta.frame_rate else "frames"
        self.linear.clear()
        self.loglog.clear()
        self.linear.plot(times, rise, lw=1.2)
        self.linear.set(xlabel=f"time after flash ({unit})", ylabel="rise", title="cooling")
        after = times > 0
        self.loglog.loglog(times[after], np.where(rise[after] > 0, rise[after], np.nan), lw=1.2,
                           label="rise")  # fmt: skip
        if np.isfinite(fit).any():
            self.loglog.loglog(times[after], np.where(fit[after] > 0, fit[after], np.nan),
                               ls="--", lw=1, label="TSR fit")  # fmt: skip
        self.loglog.set(xlabel=f"time after flash ({unit})", title="log-log")
        self.loglog.legend(fontsize=7)
        self.canvas.draw_idle()
        self.status.setText(f"{layer.name}: row {row}, col {col}")
        return times, rise, fit
