"""What people look at: detection files and overlays, frames and cooling curves, the PCT
images of a folder, overview grids and the benchmark's tables and POD plot.

Figures are drawn on :class:`matplotlib.figure.Figure` objects (no pyplot, no backend
switching) and written atomically; matplotlib loads when the first figure is drawn.
"""

from thermodefect.report.benchmark import plot_pod, write_benchmark
from thermodefect.report.detection import write_detection
from thermodefect.report.frames import default_pixels, export_frames
from thermodefect.report.overlay import overlay
from thermodefect.report.overview import overview
from thermodefect.report.pca import pca_folder

__all__ = [
    "default_pixels",
    "export_frames",
    "overlay",
    "overview",
    "pca_folder",
    "plot_pod",
    "write_benchmark",
    "write_detection",
]
