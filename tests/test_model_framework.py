"""Model framework: model files (data.dat, summary, backups), model choice, options persistence, trainer loop,
headless outputs, preview window, `train` flags. Uses a tiny stand-in model (one Dense layer) for speed."""
import os
import pickle
import queue
import re
import shutil

import numpy as np
import pytest

from core import interact
from core.errors import UserError
from core.options import Option
from models import model_files, preview_image


@pytest.fixture(autouse=True)
def _non_interactive():
    interact.set_non_interactive(True)
    yield
    interact.set_non_interactive(False)


# ---------------------------------------------------------------------------------------------- model files
def test_original_data_file_reads_and_round_trips_for_the_original(compat_dir, tmp_path):
    d = model_files.read_data(compat_dir / "models/M1/M1_SAEHD_data.dat")
    assert d["iter"] == 30 and len(d["loss_history"]) == 30 and len(d["loss_history"][0]) == 2
    assert d["options"]["resolution"] == 64 and type(d["options"]["resolution"]) is int  # np.int64 -> int
    assert d["options"]["archi"] == "liae-ud" and d["choosed_gpu_indexes"] is None
    assert [a.shape for a in d["sample_for_preview"][0]] == [(4, 64, 64, 3), (4, 64, 64, 3), (4, 64, 64, 1),
                                                             (4, 64, 64, 1)]
    out = tmp_path / "X_SAEHD_data.dat"
    model_files.write_data(out, d["iter"], d["options"], d["loss_history"], d["sample_for_preview"],
                           d["choosed_gpu_indexes"])
    # What the original does: a plain pickle.load must give the same keys and values.
    raw = pickle.loads(out.read_bytes())
    orig = pickle.loads((compat_dir / "models/M1/M1_SAEHD_data.dat").read_bytes())
    assert set(raw) == set(orig)
    assert raw["options"] == {k: (v.item() if hasattr(v, "item") else v) for k, v in orig["options"].items()}
    np.testing.assert_array_equal(raw["sample_for_preview"][1][2], orig["sample_for_preview"][1][2])
    np.testing.assert_allclose(raw["loss_history"], orig["loss_history"], rtol=1e-6)


def test_summary_is_identical_to_the_originals(compat_dir):
    d = model_files.read_data(compat_dir / "models/M1/M1_SAEHD_data.dat")
    text = model_files.summary_text("M1_SAEHD", 30, d["options"], [("Using device", "CPU")])
    assert text == (compat_dir / "models/M1/M1_SAEHD_summary.txt").read_text()


def test_corrupt_or_malicious_data_file_is_a_clear_error(tmp_path):
    p = tmp_path / "a_SAEHD_data.dat"
    p.write_bytes(b"\x80\x04garbage")
    with pytest.raises(UserError, match="a_SAEHD_data.dat"):
        model_files.read_data(p)
    p.write_bytes(pickle.dumps({"iter": 1, "options": {}, "x": shutil.rmtree}))
    with pytest.raises(UserError, match="forbidden"):
        model_files.read_data(p)


def test_autobackup_rotation_keeps_24_newest_first(tmp_path):
    f = tmp_path / "m_SAEHD_data.dat"
    for i in range(26):
        f.write_text(str(i))
        model_files.rotate_backups(tmp_path / "bk", [f], [("preview_x.jpg", b"jpg")])
    dirs = sorted(p.name for p in (tmp_path / "bk").iterdir())
    assert dirs == [f"{i:02d}" for i in range(1, 25)]
    assert (tmp_path / "bk/01/m_SAEHD_data.dat").read_text() == "25"
    assert (tmp_path / "bk/24/m_SAEHD_data.dat").read_text() == "2"
    assert (tmp_path / "bk/01/preview_x.jpg").exists()


def test_model_list_rename_delete(tmp_path):
    for name in ("a", "b"):
        (tmp_path / f"{name}_SAEHD_data.dat").write_bytes(b"x")
        (tmp_path / f"{name}_SAEHD_encoder.npy").write_bytes(b"x")
    (tmp_path / "a_SAEHD_history").mkdir()
    (tmp_path / "c_Quick96_data.dat").write_bytes(b"x")
    assert sorted(model_files.list_model_names(tmp_path, "SAEHD")) == ["a", "b"]
    assert model_files.rename_model(tmp_path, "SAEHD", "a", "new_name") == "new name"
    assert (tmp_path / "new name_SAEHD_encoder.npy").exists() and (tmp_path / "new name_SAEHD_history").is_dir()
    with pytest.raises(UserError):
        model_files.rename_model(tmp_path, "SAEHD", "b", "new name")
    model_files.delete_model(tmp_path, "SAEHD", "new name")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b_SAEHD_data.dat", "b_SAEHD_encoder.npy",
                                                          "c_Quick96_data.dat"]


# ---------------------------------------------------------------------------------------------- stand-in model
def _tiny_model_class():
    import tensorflow as tf

    from core.leras import optimizers, training
    from core.leras.base import ModelBase as LerasModel
    from core.leras.layers import Dense
    from models.ModelBase import ModelBase

    class Net(LerasModel):
        def on_build(self):
            self.dense1 = Dense(4, 4)

        def forward(self, x):
            return self.dense1(x)

    class Tiny(ModelBase):
        NAME = "Tiny"
        OPTIONS = [Option("size", "Size", "int", 4, valid_range=(1, 64), overridable=False),
                   Option("power", "Power", "float", 0.5, valid_range=(0.0, 1.0)),
                   Option("autobackup_hour", "Autobackup every N hour", "int", 0, valid_range=(0, 24)),
                   Option("target_iter", "Target iteration", "int", 0, valid_range=(0, 10 ** 9))]

        def on_initialize_options(self):
            for n in ("size", "power", "autobackup_hour", "target_iter"):
                self.ask_option(n)

        def on_initialize(self):
            self.net = Net(name="net")
            self.net.build()
            self.opt = optimizers.RMSprop(lr=0.05, name="src_dst_opt")
            self.opt.initialize_variables([self.net])
            self.model_filename_list = [(self.net, "net.npy", True), (self.opt, "src_dst_opt.npy", False)]
            self.load_parts()
            rng = np.random.RandomState(0)
            self.batch = rng.rand(8, 4).astype(np.float32)

            def loss_fn(x):
                return tf.reduce_mean(tf.square(self.net(x) - x * 0.5), axis=1), {"l": tf.reduce_mean(x, axis=1)}
            self.step = training.make_train_step(loss_fn, self.opt, self.net.get_weights())
            self.set_training_data_generators([iter(lambda: [self.batch], None)])

        def on_train_one_iter(self):
            x = self.generate_next_samples()[0][0]
            import tensorflow as tf
            loss = float(tf.reduce_mean(tf.square(self.net(x) - x * 0.5)))
            self.step(x)
            return [("src_loss", loss), ("dst_loss", loss * 2)]

        def on_get_preview(self, samples, for_history=False):
            img = np.zeros((32, 48, 3), np.float32)
            img[:, :24] = 1.0
            return [("tiny", img), ("tiny 2", img * 0.5)]

    return Tiny


@pytest.fixture(scope="module")
def Tiny():
    return _tiny_model_class()


def _make(Tiny, d, **kw):
    return Tiny(d, training_data_src_path=d, training_data_dst_path=d, cpu_only=True, **kw)


def test_options_persist_and_only_overridable_ones_change(Tiny, tmp_path):
    m = _make(Tiny, tmp_path, option_values={"size": "8", "power": "0.25"})
    assert m.first_run and m.options == {"size": 8, "power": 0.25, "autobackup_hour": 0, "target_iter": 0}
    m.save()
    # The first run's options become the defaults of new models.
    assert model_files.read_options(tmp_path / "Tiny_default_options.dat")["size"] == 8
    m2 = _make(Tiny, tmp_path, option_values={"power": "0.75"})
    assert not m2.first_run and m2.options["size"] == 8 and m2.options["power"] == 0.75
    _make(Tiny, tmp_path, option_values={"size": "8"})  # same value: accepted
    with pytest.raises(UserError, match="--size"):
        _make(Tiny, tmp_path, option_values={"size": "16"})
    with pytest.raises(UserError, match="has no option --resolution"):
        _make(Tiny, tmp_path, option_values={"resolution": "64"})
    with pytest.raises(UserError, match="Power"):
        _make(Tiny, tmp_path, option_values={"power": "3"})
    other = _make(Tiny, tmp_path, force_model_name="other_one")
    assert other.model_name == "other one" and other.options["size"] == 8


def test_missing_or_wrong_shape_parts_are_clear_errors(Tiny, tmp_path):
    m = _make(Tiny, tmp_path)
    m.save()
    from core.leras import weights
    w = weights.read_weight_file(tmp_path / "new_Tiny_net.npy")
    w["dense1/weight:0"] = np.zeros((5, 4), np.float32)
    weights.write_weight_file(tmp_path / "new_Tiny_net.npy", w)
    with pytest.raises(UserError, match=r"new_Tiny_net.npy.*shape"):
        _make(Tiny, tmp_path)
    (tmp_path / "new_Tiny_net.npy").unlink()
    with pytest.raises(UserError, match=r"new_Tiny_net.npy is missing"):
        _make(Tiny, tmp_path)


def test_load_after_an_interrupted_save_says_which_copy_it_uses(Tiny, tmp_path, capsys, monkeypatch):
    import errno

    from core import pathex
    m = _make(Tiny, tmp_path)
    m.iter = 7
    m.save()
    saved = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    # A full disk while writing the second part: the save fails in one line, the previous save is untouched.
    real_fsync, calls = os.fsync, [0]

    def fsync(fd):
        calls[0] += 1
        if calls[0] == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)
    monkeypatch.setattr(pathex.os, "fsync", fsync)
    m.iter = 8
    with pytest.raises(UserError, match="the disk is full"):
        m.save()
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == saved
    # Leftovers of a save that never committed are discarded; the load names the copy it uses.
    (tmp_path / "new_Tiny_net.npy.new").write_bytes(b"half a save")
    capsys.readouterr()
    m2 = _make(Tiny, tmp_path)
    assert m2.iter == 7 and not (tmp_path / "new_Tiny_net.npy.new").exists()
    assert "new_Tiny: an unfinished save was discarded (new_Tiny_net.npy.new): using iteration 7." in \
        capsys.readouterr().out


def test_training_loop_saves_resumes_and_writes_headless_outputs(Tiny, tmp_path, capsys):
    from mainscripts import Trainer
    m = _make(Tiny, tmp_path, option_values={"target_iter": "5"})
    to_ui, from_ui = queue.Queue(), queue.Queue()
    loop = Trainer.TrainingLoop(m, to_ui, from_ui, stop_at_goal=True)
    loop.run()
    assert loop.error is None and m.iter == 5
    out = capsys.readouterr().out
    assert re.search(r"\[\d\d:\d\d:\d\d\]\[#000005\]\[\d{4}ms\]\[\d+\.\d{4}\]\[\d+\.\d{4}\]", out)
    assert "Reached target iteration" in out
    msgs = []
    while not to_ui.empty():
        msgs.append(to_ui.get())
    assert msgs[-1]["op"] == "closed" and msgs[-2]["op"] == "show" and msgs[-2]["iter"] == 5
    Trainer.write_headless_outputs(m, msgs[-2])
    csv = (tmp_path / "new_Tiny_loss.csv").read_text().splitlines()
    assert csv[0] == "iter,src_loss,dst_loss" and len(csv) == 6
    assert float(csv[5].split(",")[1]) < float(csv[1].split(",")[1])  # the stand-in learns
    from core.cv2ex import cv2_imread
    img = cv2_imread(tmp_path / "new_Tiny_preview.jpg")
    assert img.shape[0] == 32 + preview_image.GRAPH_HEIGHT + preview_image.HEADER_HEIGHT
    # Resume: iteration count and loss history continue; a larger target trains on.
    m2 = _make(Tiny, tmp_path, option_values={"target_iter": "8"})
    assert m2.iter == 5 and len(m2.loss_history) == 5
    np.testing.assert_allclose(m2.loss_history, m.loss_history)
    loop2 = Trainer.TrainingLoop(m2, queue.Queue(), queue.Queue(), stop_at_goal=True)
    loop2.run()
    assert m2.iter == 8 and len(_make(Tiny, tmp_path).loss_history) == 8


def test_window_preview_refreshes_every_preview_period(Tiny, tmp_path):
    """As the original, the window's preview follows the training every preview period, not only on P or a save."""
    from PyQt5 import QtWidgets
    from mainscripts import Trainer, TrainerWindow
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    m = _make(Tiny, tmp_path, option_values={"target_iter": "25"})
    assert m.preview_history_period() == 10
    to_ui, from_ui = queue.Queue(), queue.Queue()
    Trainer.TrainingLoop(m, to_ui, from_ui, stop_at_goal=True).run()
    msgs = [to_ui.get() for _ in range(to_ui.qsize())]
    shown = [msg["iter"] for msg in msgs if msg["op"] == "show"]
    assert shown == [0, 1, 10, 20, 25]                 # start, first save, every 10 iterations, target save
    win = TrainerWindow.make_window("t_Tiny", queue.Queue(), from_ui)
    for msg in msgs[:3]:
        win.to_ui.put(msg)
        win.poll()
        app.processEvents()
        assert win.iter == msg["iter"] and not win.label.pixmap().isNull()
    headless = queue.Queue()
    Trainer.TrainingLoop(_make(Tiny, tmp_path, option_values={"target_iter": "40"}), headless, queue.Queue(),
                         stop_at_goal=True, live_preview=False).run()
    assert [msg["iter"] for msg in [headless.get() for _ in range(headless.qsize())] if msg["op"] == "show"] \
        == [25, 40]                                    # --no-preview: the files are rewritten on saves only
    win.close()


def test_ui_requests_save_backup_and_close(Tiny, tmp_path):
    from mainscripts import Trainer
    m = _make(Tiny, tmp_path)
    to_ui, from_ui = queue.Queue(), queue.Queue()
    for op in ("backup", "preview", "close"):
        from_ui.put({"op": op})
    Trainer.TrainingLoop(m, to_ui, from_ui).run()
    assert m.iter == 1  # requests are handled after the first iteration, then close saves
    assert model_files.read_data(tmp_path / "new_Tiny_data.dat")["iter"] == 1
    assert (tmp_path / "new_Tiny_autobackups/01/new_Tiny_net.npy").exists()
    assert (tmp_path / "new_Tiny_autobackups/01/preview_tiny.jpg").exists()


def test_autobackup_and_preview_history_on_schedule(Tiny, tmp_path):
    from mainscripts import Trainer
    m = _make(Tiny, tmp_path, option_values={"autobackup_hour": "1", "target_iter": "3"})
    m.write_preview_history = True
    m.preview_history_path.mkdir()
    loop = Trainer.TrainingLoop(m, queue.Queue(), queue.Queue(), stop_at_goal=True)
    import time as _time
    real = _time.time
    start = real()
    Trainer.time.time = lambda: start + 3601 if m.iter >= 2 else start  # an hour passes after iteration 2
    try:
        loop.run()
    finally:
        Trainer.time.time = real
    assert (tmp_path / "new_Tiny_autobackups/01").is_dir()
    assert sorted(p.name for p in m.preview_history_path.iterdir())[:2] == ["0000000.jpg", "0000000_1.jpg"]


def test_time_limit_saves_and_ends_training(Tiny, tmp_path, capsys):
    from mainscripts import Trainer
    m = _make(Tiny, tmp_path)
    to_ui = queue.Queue()
    loop = Trainer.TrainingLoop(m, to_ui, queue.Queue(), time_limit_min=0.5)
    real = Trainer.time.time
    start = real()
    Trainer.time.time = lambda: start + 31 if m.iter >= 4 else start  # 31 s pass after iteration 4
    try:
        loop.run()
    finally:
        Trainer.time.time = real
    assert loop.error is None and m.iter == 4
    assert "Reached the time limit (0.5 min)" in capsys.readouterr().out
    assert model_files.read_data(tmp_path / "new_Tiny_data.dat")["iter"] == 4
    msgs = [to_ui.get() for _ in range(to_ui.qsize())]
    assert msgs[-1]["op"] == "closed" and msgs[-2]["iter"] == 4


def test_train_time_limit_flag_is_checked():
    import argparse

    from mainscripts import cmd_train
    assert cmd_train._minutes("2.5") == 2.5
    for bad in ("-1", "x", "1e9"):
        with pytest.raises(argparse.ArgumentTypeError, match="expected minutes"):
            cmd_train._minutes(bad)


def test_loss_graph_draws_each_loss_in_its_colour():
    hist = [[1.0 - i / 300, 2.0 - i / 200] for i in range(300)]
    g = preview_image.loss_graph(hist, 300, 200)
    assert g.shape == (100, 200, 3)
    red = (g[:, :, 2] > 200) & (g[:, :, 1] < 60) & (g[:, :, 0] < 60)      # loss 0: hue 0 (red)
    cyan = (g[:, :, 0] > 200) & (g[:, :, 1] > 200) & (g[:, :, 2] < 60)    # loss 1: hue 0.5 (cyan)
    assert red.sum() > 100 and cyan.sum() > 100
    # The larger loss is drawn higher (smaller row index).
    assert np.argwhere(cyan)[:, 0].mean() < np.argwhere(red)[:, 0].mean()


def test_preview_window_renders_offscreen_with_loss_graph_and_keys():
    from PyQt5 import QtCore, QtGui, QtWidgets
    from mainscripts import TrainerWindow
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    to_ui, from_ui = queue.Queue(), queue.Queue()
    win = TrainerWindow.make_window("t_SAEHD", to_ui, from_ui)
    prev = np.zeros((64, 160, 3), np.float32)
    prev[:, :, 1] = 1.0
    to_ui.put({"op": "show", "previews": [("a", prev), ("b", prev * 0.5)], "iter": 50,
               "loss_history": [[1.0 - i / 100, 0.5] for i in range(50)]})
    win.show()
    win.poll()
    app.processEvents()
    img = win.label.pixmap().toImage()
    top = preview_image.HEADER_HEIGHT
    assert img.height() == 64 + preview_image.GRAPH_HEIGHT + top and img.width() == 160
    assert any(QtGui.QColor(img.pixel(x, y)).red() > 200 and QtGui.QColor(img.pixel(x, y)).green() < 80
               for x in range(0, 160, 4) for y in range(top, top + 100))  # the red src-loss curve
    assert QtGui.QColor(img.pixel(80, top + 100 + 10)).green() > 200  # the preview below the graph
    for key in (QtCore.Qt.Key_S, QtCore.Qt.Key_B, QtCore.Qt.Key_P):
        win.keyPressEvent(QtGui.QKeyEvent(QtCore.QEvent.KeyPress, key, QtCore.Qt.NoModifier))
    win.keyPressEvent(QtGui.QKeyEvent(QtCore.QEvent.KeyPress, QtCore.Qt.Key_Space, QtCore.Qt.NoModifier))
    assert win.preview_index == 1
    win.keyPressEvent(QtGui.QKeyEvent(QtCore.QEvent.KeyPress, QtCore.Qt.Key_L, QtCore.Qt.NoModifier))
    assert win.range_index == 1
    win.keyPressEvent(QtGui.QKeyEvent(QtCore.QEvent.KeyPress, QtCore.Qt.Key_Return, QtCore.Qt.NoModifier))
    assert [from_ui.get_nowait()["op"] for _ in range(4)] == ["save", "backup", "preview", "close"]
    to_ui.put({"op": "closed"})
    win.poll()
    assert win.finished and not win.isVisible()


def test_train_command_has_flags_for_every_option_of_every_model():
    import main
    parser = main.build_parser()
    train = parser._subparsers._group_actions[0].choices["train"]
    flags = {s for a in train._actions for s in a.option_strings}
    for f in ("--training-data-src-dir", "--training-data-dst-dir", "--pretraining-data-dir",
              "--pretrained-model-dir", "--model-dir", "--model", "--no-preview", "--force-model-name", "--cpu-only",
              "--force-gpu-idxs", "--silent-start", "--resolution", "--archi", "--ae-dims", "--gan-power",
              "--gan-patch-size", "--true-face-power", "--ct-mode", "--pretrain", "--batch-size", "--target-iter"):
        assert f in flags, f
    assert "--execute-program" not in flags
    args = parser.parse_args(["train", "--training-data-src-dir", "s", "--training-data-dst-dir", "d",
                              "--model-dir", "m", "--model", "SAEHD", "--archi", "df-ud"])
    assert args.archi == "df-ud" and args.resolution is None


def test_window_mode_trains_until_enter_then_saves(Tiny, tmp_path):
    import threading

    from PyQt5 import QtCore, QtWidgets
    from mainscripts import Trainer, TrainerWindow
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    m = _make(Tiny, tmp_path)
    to_ui, from_ui = queue.Queue(), queue.Queue()
    loop = Trainer.TrainingLoop(m, to_ui, from_ui)
    t = threading.Thread(target=loop.run)
    t.start()
    QtCore.QTimer.singleShot(1500, lambda: from_ui.put({"op": "close"}))  # what Enter in the window sends
    TrainerWindow.run(m, to_ui, from_ui)
    t.join(timeout=30)
    assert not t.is_alive() and app is not None
    assert m.iter > 1 and model_files.read_data(tmp_path / "new_Tiny_data.dat")["iter"] == m.iter


def test_headless_ctrl_c_asks_the_loop_to_save_and_stop(Tiny, tmp_path):
    from mainscripts import Trainer

    class Interrupting(queue.Queue):
        fired = False

        def get(self, timeout=None):
            if not Interrupting.fired:
                Interrupting.fired = True
                raise KeyboardInterrupt
            return super().get(timeout=timeout)

    m = _make(Tiny, tmp_path)
    to_ui, from_ui = Interrupting(), queue.Queue()
    to_ui.put({"op": "show", "previews": m.get_previews(), "iter": 0, "loss_history": []})
    to_ui.put({"op": "closed"})
    Trainer.run_headless(m, to_ui, from_ui)
    assert from_ui.get_nowait() == {"op": "close"}
    assert (tmp_path / "new_Tiny_preview.jpg").exists()


def test_model_list_prompt_renames_deletes_and_creates(tmp_path, monkeypatch):
    import os
    import time

    from models.ModelBase import choose_model_name
    for i, name in enumerate(("old", "recent")):
        p = tmp_path / f"{name}_SAEHD_data.dat"
        p.write_bytes(b"x")
        os.utime(p, (time.time() - 100 + i * 50,) * 2)
    answers = iter(["r", "1", "renamed_one", "d", "0", "y", "2", "brand_new"])
    monkeypatch.setattr(interact, "is_interactive", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    assert choose_model_name(tmp_path, "SAEHD") == "brand new"
    # "recent" (index 0) was deleted, "old" (index 1) renamed; index 2 did not exist and was refused.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["renamed one_SAEHD_data.dat"]
