"""Sphinx configuration of the API reference: ``make docs`` builds it into docs/api/_build."""

import thermodefect

project = "thermodefect"
release = version = thermodefect.__version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.intersphinx", "numpydoc"]
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_title = f"thermodefect {version} API"

autodoc_default_options = {"undoc-members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc sections carry the types, with shapes and units
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
# Every documented object: a docstring, every parameter documented (and none invented), a
# description for each, a Returns section where something is returned.
numpydoc_validation_checks = {"GL08", "PR01", "PR02", "PR07", "RT01"}
numpydoc_validation_exclude = {r"\.__init__$", r"\.forward$", r"\.extra_repr$"}
intersphinx_mapping = {}
nitpicky = False
