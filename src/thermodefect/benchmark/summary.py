"""The benchmark's tables: one row of scores per detector, the POD fits, and the notes that
explain what could not be estimated."""

from __future__ import annotations

import numpy as np

from thermodefect.benchmark.depth import depth_markdown, errors
from thermodefect.benchmark.run import BenchmarkResult, NetworkInfo
from thermodefect.errors import ThermodefectError

__all__ = [
    "EXPLANATION",
    "HEADER",
    "NETWORK_HEADER",
    "cell",
    "csv_text",
    "markdown",
    "notes",
    "pod_fits",
    "records",
    "share",
]

HEADER = (
    "method", "IoU", "F1", "precision", "recall", "AP", "CNR", "hits", "hits d/z >= 2",
    "false calls / specimen", "false calls / sound plate", "diameter error", "depth error",
    "a50 (d/z)", "a90 (d/z)", "a90/95 (d/z)", "s / specimen",
)  # fmt: skip

NETWORK_HEADER = (
    "| network | parameters | trained on | training (min) | training device | best epoch "
    "| validation IoU | threshold |\n|" + " --- |" * 8
)

EXPLANATION = (
    "IoU, F1, precision, recall: per specimen, averaged (a sound plate called sound scores "
    "1). AP: area under the precision-recall curve of the feature (or probability) map. CNR: "
    "median over defects of |mean in the defect - mean around it| / std around it, in the "
    "feature image (robust z) or a model's probability map. Hits: defects "
    "found (a predicted region covering 20% of a defect or centred on it). False calls: "
    "predicted regions touching no defect, per specimen and per sound plate. Diameter "
    "error: median over hits of |found / true equivalent diameter - 1|. Depth error: median "
    "over hits that got a depth of |estimated / true depth - 1| (detect --material and "
    "--thickness of the specimen, docs/depth.md). POD: logit fit "
    "of hit against diameter/depth (d/z), a90/95 from the likelihood ratio."
)


def pod_fits(result: BenchmarkResult) -> dict[str, tuple[object, str]]:
    """Per detector, the POD fit of hit against diameter/depth, or ``None`` and why not.

    Parameters
    ----------
    result : BenchmarkResult
        What :func:`~thermodefect.benchmark.run_benchmark` returned.

    Returns
    -------
    dict of str to (PODFit or None, str)
        Detector label -> (fit, reason it is missing).
    """
    from thermodefect.evaluate.pod import fit_pod

    fits: dict[str, tuple[object, str]] = {}
    for label, s in result.stats.items():
        try:
            fits[label] = (fit_pod(s["ratio"], s["hits"]), "")
        except ThermodefectError as exc:
            fits[label] = (None, exc.problem)
    return fits


def records(result: BenchmarkResult, fits: dict | None = None) -> list[dict]:
    """One row per detector with every column of :data:`HEADER` (``None`` for n/a).

    Parameters
    ----------
    result : BenchmarkResult
        What :func:`~thermodefect.benchmark.run_benchmark` returned.
    fits : dict, optional
        :func:`pod_fits` of ``result``, when the caller already has them.

    Returns
    -------
    list of dict
    """
    fits = pod_fits(result) if fits is None else fits
    return [_record(label, s, fits[label][0]) for label, s in result.stats.items()]


def pod_sizes(fit, sizes) -> dict[str, float | None]:
    """a50, a90 and a90/95 of a fit, each ``None`` where it is not a result: outside the
    range of sizes tested (an extrapolation) or, for a90/95, unbounded.

    Parameters
    ----------
    fit : PODFit or None
        The fit.
    sizes : sequence of float
        The sizes tested.

    Returns
    -------
    dict
        ``a50``, ``a90`` and ``a90_95``.
    """
    if fit is None:
        return {"a50": None, "a90": None, "a90_95": None}
    lo, hi = min(sizes), max(sizes)
    values = {"a50": fit.a50, "a90": fit.a90, "a90_95": fit.a90_95}
    return {k: v if v is not None and lo <= v <= hi else None for k, v in values.items()}


def _median(values: np.ndarray) -> float | None:
    return float(np.median(values)) if len(values) else None


def _record(method: str, s: dict, fit) -> dict:
    def mean(key):
        return float(np.mean(s[key])) if s[key] else None

    sizes = pod_sizes(fit, s["ratio"])
    sound = np.asarray(s["sound"], bool)

    return {
        "method": method,
        "IoU": mean("iou"),
        "F1": mean("f1"),
        "precision": mean("precision"),
        "recall": mean("recall"),
        "AP": mean("ap"),
        "CNR": float(np.median(s["cnr"])) if s["cnr"] else None,
        "hits": f"{int(np.sum(s['hits']))}/{len(s['hits'])}",
        "hits d/z >= 2": share(np.asarray(s["hits"])[np.asarray(s["ratio"]) >= 2]),
        "false calls / specimen": mean("false"),
        "false calls / sound plate": float(np.mean(np.asarray(s["false"])[sound]))
        if sound.any()
        else None,
        "diameter error": float(np.median(np.abs(s["size"]))) if s["size"] else None,
        "depth error": _median(errors(s.get("depth_hits", []), "combined")),
        "a50 (d/z)": sizes["a50"],
        "a90 (d/z)": sizes["a90"],
        "a90/95 (d/z)": sizes["a90_95"],
        "s / specimen": mean("seconds"),
    }


def share(hits: np.ndarray) -> str:
    """``'k/n (p%)'`` of a hit array, or ``'n/a'`` when it is empty.

    Parameters
    ----------
    hits : ndarray of bool
        Hit or miss per defect.

    Returns
    -------
    str

    Examples
    --------
    >>> share(np.array([True, False, True, True]))
    '3/4 (75%)'
    """
    if hits.size == 0:
        return "n/a"
    return f"{int(hits.sum())}/{hits.size} ({100 * hits.mean():.0f}%)"


def cell(value, digits: int = 2) -> str:
    """A table cell: ``n/a`` for ``None``, strings as they are, numbers with ``digits``.

    Parameters
    ----------
    value : float, str or None
        The value.
    digits : int
        Decimals of numbers.

    Returns
    -------
    str
    """
    if value is None:
        return "n/a"
    return value if isinstance(value, str) else f"{value:.{digits}f}"


def _network_row(n: NetworkInfo) -> str:
    minutes = "?" if n.training_minutes is None else f"{n.training_minutes:.1f}"
    return (
        f"| {n.label} | {n.parameters:,} | {n.data} | {minutes} | {n.device} | "
        f"{n.best_epoch} | {cell(n.val_iou)} | {n.threshold:.2f} |"
    )


def notes(result: BenchmarkResult, fits: dict) -> list[str]:
    """Why some POD columns read n/a: one Markdown list item per reason.

    Parameters
    ----------
    result : BenchmarkResult
        What :func:`~thermodefect.benchmark.run_benchmark` returned.
    fits : dict
        :func:`pod_fits` of ``result``.

    Returns
    -------
    list of str
    """
    out = []
    for m, (fit, why) in fits.items():
        if fit is None:
            out.append(f"- {m}: {why}")
            continue
        sizes = result.stats[m]["ratio"]
        lo, hi = min(sizes), max(sizes)
        shown = pod_sizes(fit, sizes)
        outside = [
            f"{name} {value:.3g}"
            for name, value in (("a50", fit.a50), ("a90", fit.a90), ("a90/95", fit.a90_95))
            if value is not None and shown[name.replace("/", "_")] is None
        ]
        if outside:
            out.append(
                f"- {m}: the fitted {', '.join(outside)} "
                f"{'lies' if len(outside) == 1 else 'lie'} outside the diameter/depth range "
                f"tested ({lo:.2g} to {hi:.2g}): an extrapolation, reported as n/a"
            )
        if fit.a90_95 is None:
            out.append(
                f"- {m}: the 95% likelihood-ratio region is unbounded (too few misses near a90 "
                "to bound it), so a90/95 is n/a"
            )
    return out


def markdown(result: BenchmarkResult, fits: dict | None = None) -> str:
    """The benchmark's results as Markdown: the table, what it means, notes, networks.

    Parameters
    ----------
    result : BenchmarkResult
        What :func:`~thermodefect.benchmark.run_benchmark` returned.
    fits : dict, optional
        :func:`pod_fits` of ``result``, when the caller already has them.

    Returns
    -------
    str
    """
    fits = pod_fits(result) if fits is None else fits
    rows = ["| " + " | ".join(cell(r[h]) for h in HEADER) + " |" for r in records(result, fits)]
    table = "\n".join(["| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER), *rows])
    listed = notes(result, fits)
    networks = [_network_row(n) for n in result.networks]
    return (
        f"# Methods on {result.data}, split {result.split} ({result.n_specimens} specimens)\n\n"
        f"{table}\n\n{EXPLANATION}\n"
        + ("\n" + "\n".join(listed) + "\n" if listed else "")
        + (f"\n## Networks\n\n{NETWORK_HEADER}\n" + "\n".join(networks) + "\n" if networks else "")
        + (f"\n{depth}" if (depth := depth_markdown(result.stats)) else "")
    )


def csv_text(result: BenchmarkResult, fits: dict | None = None) -> str:
    """The table of :func:`markdown` as CSV (empty cells for n/a, 4 decimals).

    Parameters
    ----------
    result : BenchmarkResult
        What :func:`~thermodefect.benchmark.run_benchmark` returned.
    fits : dict, optional
        :func:`pod_fits` of ``result``, when the caller already has them.

    Returns
    -------
    str
    """
    lines = [",".join(HEADER)]
    lines += [
        ",".join("" if r[h] is None else cell(r[h], 4) for h in HEADER)
        for r in records(result, fits)
    ]
    return "\n".join(lines) + "\n"
