"""Does learning from unlabelled sequences help on data the network was not made from?

For each family F of the ``wide`` generator, beside the plain leave-one-family-out UNet
(trained on the other families' labelled specimens, the budget of
:class:`thermodefect.benchmark.leave_out.Budget`), with F's sequences given without labels:

- ``adapt``: the plain network adapted on F's sequences (``thermodefect adapt``, each
  objective of ``--objectives``);
- ``pretrain``: fine-tuned from one masked-reconstruction pretraining on every sequence of
  the dataset, labels ignored (``thermodefect pretrain``, then ``train --init``);
- ``domain``: trained with domain adversarial training towards F's sequences
  (``train --domain``);
- ``mask-adv``: trained with the mask discriminator's joint loss (``train --adversarial``;
  it sees no target data: the seed's second paper's method, for comparison).

All are scored on all of F's specimens as ``detect --model`` runs them (IoU, hits at
d/z >= 2, false calls per sound plate of F, diameter error). Then a learning curve on the
standard splits: the UNet trained on 5, 10, 20 and 40 labelled training specimens of every
family, with and without the pretraining, scored on the test split.

Writes OUT/summary.md (the tables docs/results.md quotes), OUT/summary.json and every
network under OUT/.

    thermodefect simulate wide --preset wide --n 135 --seed 2026
    python benchmarks/adaptation.py wide --out runs/adapt   # about 90 min on the 2-core CPU
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from thermodefect.benchmark import records, run_benchmark
from thermodefect.benchmark.leave_out import Budget
from thermodefect.nn.train import TrainConfig, train
from thermodefect.simulate.dataset import read_manifest
from thermodefect.simulate.wide import FAMILIES

KEYS = ("IoU", "hits d/z >= 2", "false calls / sound plate", "diameter error")


def _config(budget: Budget, **kw) -> TrainConfig:
    return TrainConfig(
        model="unet",
        epochs=budget.epochs,
        steps=budget.steps,
        batch=budget.batch,
        patch=budget.patch,
        patience=budget.epochs,
        **kw,
    )


def _trained(data: Path, out: Path, config: TrainConfig) -> Path:
    """``out/model.pt``, trained with ``config`` unless it is there already."""
    path = out / "model.pt"
    if not path.exists():
        train(data, out, config, quiet=True)
    return path


def _target_folder(data: Path, names: list[str], out: Path) -> Path:
    """A folder of links to the family's sequences alone (no labels beside them)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        link = out / f"{name}.mat"
        if not link.exists():
            link.symlink_to((data / f"{name}.mat").resolve())
    return out


def _scores(data: Path, models: dict[str, Path], **select) -> dict[str, dict]:
    """Each model's row (:data:`KEYS`) of one benchmark run over the selected specimens."""
    result = run_benchmark(data, models=[str(p) for p in models.values()], quiet=True, **select)
    rows = records(result)
    return {name: {k: row[k] for k in KEYS} for name, row in zip(models, rows, strict=True)}


def _adapted(plain: Path, target: Path, out: Path, objective: str, steps: int) -> Path:
    from thermodefect.detect.adapt import AdaptConfig, adapt
    from thermodefect.io.files import sequence_files
    from thermodefect.nn.checkpoint import load_checkpoint, save_checkpoint

    path = out / f"adapted-{objective}.pt"
    if not path.exists():
        result = adapt(
            load_checkpoint(plain),
            sequence_files(target),
            AdaptConfig(objective=objective, steps=steps, budget=600),
            quiet=True,
        )
        save_checkpoint(result.checkpoint, path)
    return path


def _fmt(v) -> str:
    return "n/a" if v is None else v if isinstance(v, str) else f"{v:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="a dataset of the wide preset")
    parser.add_argument("--out", type=Path, default=Path("runs/adapt"))
    parser.add_argument("--families", nargs="*", default=list(FAMILIES))
    parser.add_argument("--objectives", nargs="+", default=["pseudo", "entropy", "bn"])
    parser.add_argument("--adapt-steps", type=int, default=100)
    parser.add_argument(
        "--variants", nargs="+", default=["adapt", "pretrain", "domain", "mask-adv"]
    )
    parser.add_argument("--curve", nargs="*", type=int, default=[5, 10, 20, 40])
    args = parser.parse_args()
    from thermodefect.nn.pretrain import PretrainConfig, pretrain

    budget = Budget()
    rows = read_manifest(args.data)
    t0 = time.perf_counter()
    pre = args.out / "pretrained.pt"
    if not pre.exists() and ({"pretrain"} & set(args.variants) or args.curve):
        files = [args.data / f"{r['name']}.mat" for r in rows]
        pretrain(
            files,
            pre,
            PretrainConfig(
                epochs=budget.epochs, steps=budget.steps, batch=budget.batch, patch=budget.patch
            ),
            quiet=True,
        )
        print(
            f"pretrained on {len(files)} sequences ({time.perf_counter() - t0:.0f} s)", flush=True
        )
    saved = args.out / "summary.json"  # a rerun adds to what an earlier one measured
    summary: dict = json.loads(saved.read_text()) if saved.exists() else {}
    summary.setdefault("families", {})
    summary.setdefault("curve", {})
    for fam in args.families:
        names = [r["name"] for r in rows if r["family"] == fam]
        base = args.out / fam
        plain = _trained(args.data, base / "model", _config(budget, exclude=[fam]))
        target = _target_folder(args.data, names, base / "target")
        models = {"plain": plain}
        if "adapt" in args.variants:
            for objective in args.objectives:
                models[f"adapt ({objective})"] = _adapted(
                    plain, target, base, objective, args.adapt_steps
                )
        if "pretrain" in args.variants:
            models["pretrain"] = _trained(
                args.data, base / "pretrain", _config(budget, exclude=[fam], init=str(pre))
            )
        if "domain" in args.variants:
            models["domain"] = _trained(
                args.data, base / "domain", _config(budget, exclude=[fam], domain=str(target))
            )
        if "mask-adv" in args.variants:
            models["mask-adv"] = _trained(
                args.data, base / "mask-adv", _config(budget, exclude=[fam], adversarial=0.05)
            )
        scores = _scores(args.data, models, split="all", families=[fam])
        summary["families"].setdefault(fam, {}).update(scores)
        print(
            fam,
            json.dumps(summary["families"][fam]),
            f"({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
        (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    for n in args.curve:
        plain = _trained(args.data, args.out / f"curve-{n}" / "plain", _config(budget, labelled=n))
        warm = _trained(
            args.data,
            args.out / f"curve-{n}" / "pretrain",
            replace(_config(budget, labelled=n), init=str(pre)),
        )
        both = {"plain": plain, "pretrain": warm}
        summary["curve"][str(n)] = _scores(args.data, both, split="test")
        print("curve", n, json.dumps(summary["curve"][str(n)]), flush=True)
        (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    (args.out / "summary.md").write_text(_markdown(summary))
    print(f"wrote {args.out}/summary.md ({time.perf_counter() - t0:.0f} s)")


def _markdown(summary: dict) -> str:
    """The tables: per held-out family, IoU / hits at d/z >= 2 / false calls per sound plate
    of every variant; then the learning curve."""
    lines = []
    families = summary["families"]
    variants = list(dict.fromkeys(v for scores in families.values() for v in scores))
    if variants:
        head = " | ".join(f"{v}: IoU / hits / false per sound plate" for v in variants)
        lines += [f"| held-out family | {head} |", "| --- " * (len(variants) + 1) + "|"]
        for fam, scores in families.items():
            cells = [
                " / ".join(_fmt(scores[v][k]) for k in KEYS[:3]) if v in scores else "n/a"
                for v in variants
            ]
            lines.append(f"| {fam} | " + " | ".join(cells) + " |")
        defect = [f for f in families if f != "sound"]
        means = [
            _fmt(np.mean([families[f][v]["IoU"] for f in defect]))
            if all(v in families[f] for f in defect)
            else "n/a"
            for v in variants
        ]
        lines.append("| mean IoU, defect families | " + " | ".join(means) + " |")
    if summary["curve"]:
        lines += [
            "",
            "| labelled specimens | plain: IoU | pretrained: IoU |",
            "| --- | --- | --- |",
        ]
        for n, s in sorted(summary["curve"].items(), key=lambda item: int(item[0])):
            lines.append(f"| {n} | {_fmt(s['plain']['IoU'])} | {_fmt(s['pretrain']['IoU'])} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
