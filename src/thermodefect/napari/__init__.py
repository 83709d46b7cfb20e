"""The napari plugin (extra ``[napari]``): open every format :func:`thermodefect.load` reads
as a (T, H, W) image with its time axis and scale in s and mm, run the classical methods and
``detect`` on it, plot a pixel's cooling curve with its TSR fit, and save, load and fuse
labels.

The plugin is declared in ``napari.yaml`` (npe2); napari finds it through the
``napari.manifest`` entry point. Nothing here is imported by the rest of the package.
"""
