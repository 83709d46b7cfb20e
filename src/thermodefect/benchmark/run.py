"""Running detectors over a simulated dataset and collecting their scores, specimen by specimen."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from thermodefect.detect.regions import Detection
from thermodefect.errors import ThermodefectError
from thermodefect.sequence import Sequence

__all__ = [
    "SCORE_KEYS",
    "BenchmarkResult",
    "NetworkInfo",
    "method_names",
    "run_benchmark",
    "select_rows",
    "tune_decisions",
]

logger = logging.getLogger(__name__)

#: Per-detector score lists collected by :func:`run_benchmark`.
SCORE_KEYS = (
    "iou", "f1", "precision", "recall", "ap", "cnr", "hits", "ratio", "size", "depth_hits", "false",
    "sound", "seconds",
)  # fmt: skip


@dataclass
class NetworkInfo:
    """What a checkpoint says about the network behind one benchmark row.

    Parameters
    ----------
    label : str
        The row's label.
    parameters : int
        Trainable parameters.
    data : str
        Dataset it was trained on.
    training_minutes : float or None
        Wall-clock training time.
    device : str
        Where it was trained.
    best_epoch : int or str
        Epoch of the kept weights.
    val_iou : float or None
        Validation IoU at the tuned threshold.
    threshold : float
        Probability threshold.
    """

    label: str
    parameters: int
    data: str
    training_minutes: float | None
    device: str
    best_epoch: int | str
    val_iou: float | None
    threshold: float


@dataclass
class BenchmarkResult:
    """Scores of every detector on one split of a dataset.

    Parameters
    ----------
    data : str
        Name of the dataset folder.
    split : str
        The split scored (``train``, ``val``, ``test`` or ``all``).
    n_specimens : int
        Specimens scored.
    stats : dict of str to dict of str to list
        Detector label -> score name (:data:`SCORE_KEYS`) -> one value per specimen (``iou``,
        ``f1``, ``precision``, ``recall``, ``false``, ``sound`` = no defect, ``seconds``), per
        defect (``hits``, ``ratio`` = diameter / depth, ``cnr``), per defect hit (``size`` =
        found / true equivalent diameter - 1, ``depth_hits`` = its
        :class:`~thermodefect.benchmark.depth.DepthHit` where the specimen records its
        material) or per specimen with defects (``ap``).
    networks : list of NetworkInfo
        One entry per network scored.
    """

    data: str
    split: str
    n_specimens: int
    stats: dict[str, dict[str, list]]
    networks: list[NetworkInfo] = field(default_factory=list)


Detector = Callable[[Sequence, Sequence | None], Detection]


def _detectors(
    methods, models, device: str, decisions: dict, combine: str | None = None
) -> tuple[dict[str, tuple[Detector, bool]], list[NetworkInfo]]:
    """label -> (function(seq, prepared) -> Detection, needs the classical preparation), and
    what each network's checkpoint says about it; with ``combine``, each network also added
    to that classical method (``METHOD + NETWORK``)."""
    from thermodefect.detect import detect

    out: dict[str, tuple[Detector, bool]] = {}
    for m in method_names(methods, models):
        rule = decisions.get(m, "significance")
        label = m if rule == "significance" else f"{m} ({rule})"

        def run(seq, cooling, m=m, rule=rule):
            return detect(seq, m, decision=rule, prepared=cooling)

        out[label] = (run, True)
    networks = []
    if models:
        from thermodefect.detect.model import detect_with_model, load_model
        from thermodefect.nn.models import count_parameters

        for path in models:
            ckpt = load_model(None if path == "default" else Path(path), device)
            label = ckpt.model_name
            if label in out:  # two checkpoints of one network: tell them apart by file
                label = f"{label} ({'built-in' if path == 'default' else path})"
            out[label] = (partial(_network, detect_with_model, ckpt, device), False)
            if combine is not None:
                out[f"{combine} + {label}"] = (partial(_combined, ckpt, device, combine), True)
            info = ckpt.info
            seconds = info.get("training_seconds")
            networks.append(
                NetworkInfo(
                    label=label,
                    parameters=count_parameters(ckpt.model),
                    data=str(info.get("data", "?")),
                    training_minutes=None if seconds is None else seconds / 60,
                    device=str(info.get("device", "?")),
                    best_epoch=info.get("best_epoch", "?"),
                    val_iou=info.get("val_iou"),
                    threshold=ckpt.threshold,
                )
            )
    return out, networks


def _network(detect_with_model, ckpt, device: str, seq, _prepared) -> Detection:
    """A network's detector: the classical preparation is not used."""
    return detect_with_model(seq, ckpt, device=device)


def _combined(ckpt, device: str, method: str, seq, prepared) -> Detection:
    """A classical method with a network's regions added (the default decision's rule)."""
    from thermodefect.detect.combined import detect_combined

    return detect_combined(seq, ckpt, method, device=device, prepared=prepared)


def _specimen(data_dir: Path, name: str) -> tuple[Sequence, np.ndarray]:
    """A dataset's specimen and its ground-truth mask.

    Raises
    ------
    ThermodefectError
        When the specimen has no ground-truth label.
    """
    from thermodefect.io import load

    seq = load(Path(data_dir) / f"{name}.mat")
    if seq.mask is None:
        raise ThermodefectError("no ground-truth label next to the specimen", seq.meta.source)
    return seq, seq.mask


def method_names(methods, models) -> list[str]:
    """The classical methods to run: ``methods``, or all of them when neither methods nor
    models are given.

    Parameters
    ----------
    methods : list of str or None
        Registered method names.
    models : sequence of str
        Checkpoints also to be scored.

    Returns
    -------
    list of str

    Raises
    ------
    ThermodefectError
        For a name that is not a registered method.
    """
    from thermodefect.methods import METHODS

    names = list(METHODS) if methods is None and not models else list(methods or [])
    for name in names:
        METHODS.check(name)
    return names


def tune_decisions(data_dir: Path, methods: list[str], rules, *, quiet: bool = True) -> dict:
    """Per method, the decision rule with the best mean IoU on the ``val`` split.

    Parameters
    ----------
    data_dir : Path
        A dataset written by ``thermodefect simulate``.
    methods : list of str
        Registered classical methods.
    rules : sequence of str
        Registered decision rules to choose from.
    quiet : bool
        No progress bar.

    Returns
    -------
    dict of str to str
        Method -> the chosen rule.

    Raises
    ------
    ThermodefectError
        For an unknown rule, or a dataset without validation specimens.
    """
    from tqdm import tqdm

    from thermodefect.detect import DECISIONS, detect, prepare
    from thermodefect.evaluate import pixel_scores
    from thermodefect.simulate.dataset import read_manifest

    for rule in rules:
        DECISIONS.check(rule)
    rows = [r for r in read_manifest(data_dir) if r["split"] == "val"]
    if not rows:
        raise ThermodefectError(
            "no val specimens to choose decisions on", Path(data_dir) / "manifest.csv"
        )
    iou: dict[tuple[str, str], list[float]] = {(m, r): [] for m in methods for r in rules}
    for row in tqdm(rows, desc="choosing decisions (val)", unit="specimen", disable=quiet or None):
        seq, truth = _specimen(data_dir, row["name"])
        cooling = prepare(seq)
        for m in methods:
            for r in rules:
                found = detect(seq, m, decision=r, prepared=cooling)
                iou[m, r].append(pixel_scores(found.mask, truth).iou)
    chosen = {}
    for m in methods:
        scores = [float(np.mean(iou[m, r])) for r in rules]
        chosen[m] = rules[int(np.argmax(scores))]
    logger.info("decision rules chosen on val: %s", chosen)
    return chosen


def run_benchmark(
    data_dir: Path,
    *,
    methods=None,
    models=(),
    split: str = "test",
    device: str = "cpu",
    decisions=("significance",),
    examples: Callable[[Detection, str], object] | None = None,
    n_examples: int = 2,
    families: list[str] | None = None,
    sound_only: bool = False,
    combine: str | None = None,
    quiet: bool = False,
) -> BenchmarkResult:
    """Score classical methods (all by default) and trained networks on a dataset split.

    Parameters
    ----------
    data_dir : Path
        A dataset written by ``thermodefect simulate`` (manifest, ``.mat`` files, specs).
    methods : list of str, optional
        Registered classical methods; default all of them, or none when ``models`` is given.
    models : sequence of str
        Checkpoint paths, or ``"default"`` for the packaged network.
    split : {'train', 'val', 'test', 'all'}
        The manifest split to score.
    device : str
        Torch device for the networks.
    decisions : sequence of str
        Decision rules; with several, each method uses the one with the best IoU on the
        validation split (:func:`tune_decisions`).
    examples : callable, optional
        Called as ``examples(detection, name)`` for every detector on the first
        ``n_examples`` specimens (e.g. to write their overlays).
    n_examples : int
        How many specimens are passed to ``examples``.
    families : list of str, optional
        Score only the specimens of these families (the manifest's ``family`` column).
    sound_only : bool
        Score only the plates without defects.
    combine : str, optional
        A classical method: each network is also scored with its regions added to the
        method's (:func:`~thermodefect.detect.combined.detect_combined`).
    quiet : bool
        No progress bar.

    Returns
    -------
    BenchmarkResult

    Raises
    ------
    ThermodefectError
        For a folder that is not a dataset, an empty selection, an unknown method, rule,
        family or checkpoint.
    """
    from tqdm import tqdm

    from thermodefect.benchmark.depth import depth_hits
    from thermodefect.benchmark.truth import defect_truth, depth_truth
    from thermodefect.detect import prepare
    from thermodefect.detect.depth import depth_cooling
    from thermodefect.evaluate import average_precision, match_footprints, pixel_scores
    from thermodefect.simulate.dataset import read_manifest

    names = method_names(methods, models)
    chosen = {}
    if len(decisions) > 1:
        chosen = tune_decisions(data_dir, names, decisions, quiet=quiet)
    elif decisions:
        chosen = {m: decisions[0] for m in names}
    if combine is not None:
        method_names([combine], models)  # a registered method
    detectors, networks = _detectors(methods, models, device, chosen, combine)
    rows = select_rows(read_manifest(data_dir), split, families, sound_only, data_dir)
    stats: dict[str, dict[str, list]] = {m: {k: [] for k in SCORE_KEYS} for m in detectors}
    classical = any(needs for _, needs in detectors.values())
    for i, row in enumerate(tqdm(rows, desc="benchmark", unit="specimen", disable=quiet or None)):
        seq, truth = _specimen(data_dir, row["name"])
        feet, ratio = defect_truth(data_dir, row["name"], seq.image_shape)
        depths = depth_truth(data_dir, row["name"]) if feet else None
        t0 = time.perf_counter()
        cooling = prepare(seq) if classical else None
        preparing = time.perf_counter() - t0  # counted in every classical method's time
        for m, (run, needs_prep) in detectors.items():
            t0 = time.perf_counter()
            found = run(seq, cooling)
            seconds = (preparing if needs_prep else 0.0) + time.perf_counter() - t0
            s = stats[m]
            scores = pixel_scores(found.mask, truth)
            for key in ("iou", "f1", "precision", "recall"):
                s[key].append(getattr(scores, key))
            ap = average_precision(found.feature, truth)
            if ap is not None:
                s["ap"].append(ap)
            s["cnr"] += _defect_cnr(found.feature, feet)
            match = match_footprints(found.mask, feet)
            s["hits"] += match.hits.tolist()
            s["ratio"] += ratio.tolist()
            if match.diameter_ratio is not None:
                s["size"] += (match.diameter_ratio[match.hits] - 1).tolist()
            if depths is not None and match.hits.any():
                if cooling is None:  # networks alone: every frame, prepared once a specimen
                    cooling = depth_cooling(seq, found)
                s["depth_hits"] += depth_hits(found, feet, match, depths[0], ratio * depths[0],
                                              depths[1], cooling)  # fmt: skip
            s["false"].append(match.false_calls)
            s["sound"].append(not feet)
            s["seconds"].append(seconds)
            if examples is not None and i < n_examples:
                examples(found, f"{row['name']}_{m.replace(' + ', '+').split(' ')[0]}")
    return BenchmarkResult(Path(data_dir).name, split, len(rows), stats, networks)


def select_rows(
    rows: list[dict], split: str, families, sound_only: bool, data_dir: Path
) -> list[dict]:
    """The manifest rows of ``split`` (or all), of ``families`` (or any), sound only or not.

    Parameters
    ----------
    rows : list of dict
        The dataset's manifest.
    split : {'train', 'val', 'test', 'all'}
        The split.
    families : sequence of str or None
        Families to keep.
    sound_only : bool
        Keep only plates without defects.
    data_dir : Path
        The dataset (named in errors).

    Returns
    -------
    list of dict

    Raises
    ------
    ThermodefectError
        For a family the dataset does not hold, or an empty selection.
    """
    manifest = Path(data_dir) / "manifest.csv"
    known = sorted({r.get("family") or "" for r in rows} - {""})
    for family in families or ():
        if family not in known:
            raise ThermodefectError(
                f"unknown family {family!r}; this dataset holds "
                + (", ".join(known) if known else "no families (simulate a 'wide' preset)"),
                manifest,
            )
    chosen = [
        r
        for r in rows
        if (split == "all" or r["split"] == split)
        and (not families or r.get("family") in families)
        and (not sound_only or r["n_defects"] == "0")
    ]
    if not chosen:
        raise ThermodefectError(f"no specimens in split {split!r} of this selection", manifest)
    return chosen


def _defect_cnr(feature: np.ndarray, feet: list) -> list[float]:
    """CNR of every defect in the feature image against the sound ring around it (other
    defects excluded from the ring)."""
    from thermodefect.evaluate import contrast_to_noise

    if not feet:
        return []
    sound = ~np.any(feet, axis=0)
    values = []
    for foot in feet:
        try:
            values.append(contrast_to_noise(feature, foot, sound=sound)["cnr"])
        except ThermodefectError:
            continue
    return [v for v in values if np.isfinite(v)]
