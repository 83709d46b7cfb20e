"""Learning from unlabelled sequences: pretraining, adversarial terms, adaptation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from thermodefect.cli import main
from thermodefect.detect.adapt import (
    AdaptConfig,
    Calls,
    adapt,
    count_calls,
    likely_sound,
    recalibrate_batch_norm,
)
from thermodefect.nn.adversarial import (
    MaskDiscriminator,
    bottleneck,
    dann_weight,
    reverse_gradient,
)
from thermodefect.nn.checkpoint import load_checkpoint
from thermodefect.nn.inputs import InputConfig
from thermodefect.nn.models import build_model
from thermodefect.nn.pretrain import (
    HEAD_PREFIXES,
    block_mask,
    initial_state,
    reconstruction_loss,
)

TINY = ["--epochs", "2", "--steps", "2", "--batch", "4", "--patch", "32", "--seed", "3"]


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """Four tiny plates, a pretraining on them, and a UNet fine-tuned from it."""
    root = tmp_path_factory.mktemp("adapt")
    assert main(["--quiet", "simulate", str(root / "data"), "--preset", "tiny", "--n", "4"]) == 0
    assert main(["--quiet", "pretrain", str(root / "data"), "--out", str(root / "pre.pt"),
                 *TINY]) == 0  # fmt: skip
    assert main(["--quiet", "train", str(root / "data"), "--out", str(root / "ft"),
                 "--init", str(root / "pre.pt"), *TINY]) == 0  # fmt: skip
    return root


def _state(path):
    return torch.load(path, weights_only=True)["state_dict"]


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_block_mask_blanks_whole_blocks_at_about_the_ratio():
    m = block_mask(200, 32, 8, 0.25, np.random.default_rng(0))
    assert m.shape == (200, 1, 32, 32)
    blocks = m[:, 0].reshape(200, 4, 8, 4, 8)
    assert np.all(blocks.min(axis=(2, 4)) == blocks.max(axis=(2, 4)))  # whole blocks only
    assert m.reshape(200, -1).max(axis=1).min() == 1  # every sample has one
    assert abs(m.mean() - (0.25 + 0.75 / 16)) < 0.02


def test_reconstruction_loss_counts_only_blanked_pixels_of_every_channel():
    x = torch.zeros(1, 2, 2, 2)
    pred = torch.zeros(1, 2, 2, 2)
    pred[0, :, 0, 0] = 3.0  # blanked: error 9 in each of 2 channels
    pred[0, :, 1, 1] = 100.0  # not blanked: ignored
    m = torch.zeros(1, 1, 2, 2)
    m[0, 0, 0, 0] = m[0, 0, 0, 1] = 1
    assert float(reconstruction_loss(pred, x, m)) == pytest.approx((9 + 9) / 4)


def test_pretraining_is_deterministic_and_changes_the_weights(work, tmp_path):
    again = tmp_path / "again.pt"
    other = tmp_path / "other.pt"
    argv = ["--quiet", "pretrain", str(work / "data"), *TINY[:-2]]
    assert main([*argv, "--seed", "3", "--out", str(again)]) == 0
    assert main([*argv, "--seed", "4", "--out", str(other)]) == 0
    assert _same(_state(work / "pre.pt"), _state(again))
    assert not _same(_state(work / "pre.pt"), _state(other))
    torch.manual_seed(3)
    fresh = build_model("unet", InputConfig()).state_dict()
    pre = _state(work / "pre.pt")
    assert not any(k.startswith(HEAD_PREFIXES) for k in pre)
    assert any(not torch.equal(pre[k], fresh[k]) for k in pre)
    info = torch.load(work / "pre.pt", weights_only=True)["info"]
    assert [f["name"] for f in info["files"]] == [f"tiny_{i}.mat" for i in range(4)]
    assert len(info["losses"]) == 2 and all(np.isfinite(info["losses"]))


def test_fine_tuning_starts_from_the_pretrained_weights(work):
    ckpt = load_checkpoint(work / "ft" / "model.pt")
    assert ckpt.info["init"]["kind"] == "pretrained"
    start = initial_state(work / "pre.pt", "unet", {"base": 16, "depth": 3}, InputConfig())
    model = build_model("unet", InputConfig())
    missing, unexpected = model.load_state_dict(start["state"], strict=False)
    assert not unexpected and missing and all(k.startswith(HEAD_PREFIXES) for k in missing)


def test_a_checkpoint_can_start_training_with_its_head(work):
    start = initial_state(work / "ft" / "model.pt", "unet", {"base": 16, "depth": 3},
                          InputConfig())  # fmt: skip
    assert start["kind"] == "checkpoint" and "head.weight" in start["state"]


def test_reverse_gradient_is_identity_forward_and_minus_weight_backward():
    x = torch.tensor([1.0, -2.0], requires_grad=True)
    y = reverse_gradient(x, 0.5)
    assert torch.equal(y, x.detach())
    (y * torch.tensor([3.0, 4.0])).sum().backward()
    assert torch.allclose(x.grad, torch.tensor([-1.5, -2.0]))


def test_dann_weight_ramps_from_zero_to_one():
    assert dann_weight(0.0) == 0.0
    assert dann_weight(0.5) == pytest.approx(2 / (1 + np.exp(-5)) - 1)
    assert 0.999 < dann_weight(1.0) < 1.0


def test_mask_discriminator_and_bottleneck_shapes():
    d = MaskDiscriminator(3, base=4)
    assert d(torch.zeros(2, 3, 64, 64), torch.zeros(2, 1, 64, 64)).shape == (2, 1, 8, 8)
    unet = build_model("unet", InputConfig(n_frames=4))
    assert bottleneck(unet) is unet.down[-1]
    nested = build_model("unetpp", InputConfig(n_frames=4))
    assert bottleneck(nested) is nested.nodes["3_0"]


def test_adversarial_and_domain_training_run_and_are_deterministic(work, tmp_path):
    argv = ["--quiet", "train", str(work / "data"), *TINY, "--adversarial", "0.05",
            "--domain", str(work / "data")]  # fmt: skip
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    assert main([*argv, "--out", str(tmp_path / "b")]) == 0
    assert _same(_state(tmp_path / "a" / "model.pt"), _state(tmp_path / "b" / "model.pt"))
    info = load_checkpoint(tmp_path / "a" / "model.pt").info
    assert info["train_config"]["adversarial"] == 0.05
    assert [f["name"] for f in info["domain"]["files"]] == [f"tiny_{i}.mat" for i in range(4)]


def test_labelled_trains_on_that_many_specimens(work, tmp_path):
    assert main(["--quiet", "train", str(work / "data"), *TINY, "--labelled", "1",
                 "--out", str(tmp_path / "one")]) == 0  # fmt: skip
    info = load_checkpoint(tmp_path / "one" / "model.pt").info
    assert len(info["train_specimens"]) == 1


def test_likely_sound_keeps_two_pixels_away_from_suspect_ones():
    z = np.zeros((9, 9))
    z[4, 4] = -5.0  # either sign
    sound = likely_sound(z)
    assert not sound[4, 4] and not sound[2, 4] and not sound[4, 6] and not sound[3, 3]
    assert sound[1, 4] and sound[4, 7] and sound[2, 2]
    plate = np.ones((9, 9), bool)
    plate[0] = False
    assert not likely_sound(z, plate)[0].any()


def test_batch_norm_statistics_are_those_of_the_new_inputs():
    torch.manual_seed(0)
    model = build_model("unet", InputConfig(n_frames=3))
    x = np.random.default_rng(0).normal(2.0, 3.0, (3, 16, 24)).astype(np.float32)
    seen = []
    model.down[0][0].register_forward_hook(lambda _m, _i, out: seen.append(out.detach()))
    recalibrate_batch_norm(model, [x])
    conv = seen[0]
    bn = model.down[0][1]
    assert torch.allclose(bn.running_mean, conv.mean(dim=(0, 2, 3)), atol=1e-5)
    assert torch.allclose(bn.running_var, conv.var(dim=(0, 2, 3), unbiased=True), rtol=1e-4)
    assert not model.training and bn.momentum == 0.1


def test_adaptation_changes_the_weights_is_deterministic_and_records_its_data(work, tmp_path):
    from thermodefect.io.files import sequence_files

    files = sequence_files(work / "data")
    ckpt = load_checkpoint(work / "ft" / "model.pt")
    original = {k: v.clone() for k, v in ckpt.model.state_dict().items()}
    config = AdaptConfig(objective="pseudo", steps=3, guard=False)
    a = adapt(ckpt, files, config, quiet=True)
    b = adapt(ckpt, files, config, quiet=True)
    assert a.accepted and a.steps == 3
    assert _same(a.checkpoint.model.state_dict(), b.checkpoint.model.state_dict())
    assert not _same(a.checkpoint.model.state_dict(), original)
    assert _same(ckpt.model.state_dict(), original)  # the input checkpoint is left alone
    record = a.checkpoint.info["adaptation"]
    assert [f["name"] for f in record["files"]] == [f.name for f in files]
    assert record["objective"] == "pseudo" and record["steps_taken"] == 3
    assert len(record["files"][0]["sha256"]) == 64


@pytest.mark.parametrize(
    "before, after, accepted",
    [((0, 3), (2, 3), False), ((1, 3), (1, 2), False), ((2, 3), (1, 4), True)],
    ids=["more-on-sound", "fewer-confirmed", "better"],
)
def test_the_guard_keeps_the_original_when_adaptation_does_worse(
    work, monkeypatch, before, after, accepted
):
    import thermodefect.detect.adapt as adapt_module
    from thermodefect.io.files import sequence_files

    counts = iter([Calls(*before), Calls(*after)])
    monkeypatch.setattr(adapt_module, "count_calls", lambda *a, **k: next(counts))
    ckpt = load_checkpoint(work / "ft" / "model.pt")
    result = adapt(ckpt, sequence_files(work / "data"), AdaptConfig(objective="bn"), quiet=True)
    assert result.accepted == accepted
    assert (result.before, result.after) == (Calls(*before), Calls(*after))
    kept = _same(result.checkpoint.model.state_dict(), ckpt.model.state_dict())
    assert kept != accepted  # batch-norm statistics always move when adapted
    assert result.checkpoint.info["adaptation"]["accepted"] is accepted
    assert result.checkpoint.info["adaptation"]["after"] == {"sound": after[0],
                                                             "confirmed": after[1]}  # fmt: skip


def test_count_calls_counts_regions_mostly_in_sound_area_and_those_pct_confirms():
    from types import SimpleNamespace

    class Fixed(torch.nn.Module):
        kind, depth = "image", 0

        def forward(self, x):
            out = torch.full((x.shape[0], 1, *x.shape[-2:]), -10.0)
            out[..., 2:6, 2:6] = 10.0  # a region on the sound area
            out[..., 10:14, 10:14] = 10.0  # a region on a suspect one
            return out

    sound = np.ones((16, 16), bool)
    sound[9:15, 9:15] = False
    z = np.zeros((16, 16))
    z[12, 12] = 4.5  # PCT confirms the second region only
    target = SimpleNamespace(x=np.zeros((2, 16, 16), np.float32), sound=sound, z=z)
    assert count_calls(Fixed(), [target, target], 0.5, 4) == Calls(sound=2, confirmed=2)


def test_adapt_command_writes_a_checkpoint_that_detect_loads(work, tmp_path, capsys):
    out = tmp_path / "adapted.pt"
    assert main(["adapt", str(work / "ft" / "model.pt"), str(work / "data"), "--out", str(out),
                 "--steps", "2", "--objective", "entropy"]) == 0  # fmt: skip
    said = capsys.readouterr().out
    assert "likely-sound areas" in said and str(out) in said
    assert main(["--quiet", "detect", str(work / "data" / "tiny_0.mat"), "--model", str(out),
                 "--out", str(tmp_path / "det")]) == 0  # fmt: skip
    assert (tmp_path / "det" / "tiny_0_defects.csv").is_file()


def test_pseudo_label_patches_centre_half_on_defects_and_cope_without_any():
    from types import SimpleNamespace

    from thermodefect.detect.adapt import _patches

    targets = [SimpleNamespace(x=np.zeros((2, 40, 40), np.float32)) for _ in range(2)]
    none = [np.full((40, 40), -1.0, np.float32), np.zeros((40, 40), np.float32)]
    x, y = _patches(targets, none, AdaptConfig(batch=6, patch=16), 0)
    assert x.shape == (6, 2, 16, 16) and y.shape == (6, 1, 16, 16) and not (y > 0.5).any()
    one = [none[0], np.zeros((40, 40), np.float32)]
    one[1][30:33, 5:8] = 1.0
    _, y = _patches(targets, one, AdaptConfig(batch=200, patch=16), 0)
    share = float((y.flatten(1) > 0.5).any(dim=1).float().mean())
    assert 0.4 < share < 0.65  # about half the patches hold the one pseudo-defect
