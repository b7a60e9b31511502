"""The prompt layer: defaults, ranges, `?` help, re-asking, flag values, non-interactive runs."""
import argparse

import pytest

from core import interact
from core.errors import UserError
from core.options import Option, add_options, ask_options


@pytest.fixture
def typed(monkeypatch):
    """Simulate a user at a terminal typing the given answers in order."""
    def _answers(*answers):
        it = iter(answers)
        monkeypatch.setitem(interact._state, "non_interactive", False)
        monkeypatch.setattr(interact, "is_interactive", lambda: True)
        monkeypatch.setattr("builtins.input", lambda prompt="": next(it))
    return _answers


@pytest.fixture
def batch(monkeypatch):
    monkeypatch.setitem(interact._state, "non_interactive", True)


def test_defaults_taken_and_printed_without_terminal(batch, capsys):
    assert interact.input_int("Enter FPS", 0, valid_range=(0, 1000)) == 0
    assert interact.input_bool("Use lossless codec", False) is False
    assert interact.input_str("Output image format", "png", ["png", "jpg"]) == "png"
    assert interact.input_number("Enter FPS", 25.0) == 25.0
    out = capsys.readouterr().out
    assert "Enter FPS ( 0..1000 ) : 0" in out and "Use lossless codec ( y/n ) : n" in out
    assert "Output image format ( png/jpg ) : png" in out


def test_flag_values_are_validated_like_typed_answers(batch):
    assert interact.input_int("Denoise factor?", 7, valid_range=(1, 20), value="12") == 12
    assert interact.input_str("Output image format", "png", ["png", "jpg"], value="JPG") == "jpg"
    assert interact.input_bool("Delete", False, value="y") is True
    assert interact.choice("Model", ["SAEHD", "Quick96"], value="1") == "Quick96"
    with pytest.raises(UserError, match="21 is outside 1..20"):
        interact.input_int("Denoise factor?", 7, valid_range=(1, 20), value="21")
    with pytest.raises(UserError, match="'fast' is not a whole number"):
        interact.input_int("Bitrate", 16, valid_range=(1, 1000), value="fast")
    with pytest.raises(UserError, match="not one of png, jpg"):
        interact.input_str("Output image format", "png", ["png", "jpg"], value="gif")
    with pytest.raises(UserError, match="not y or n"):
        interact.input_bool("Delete", False, value="maybe")


def test_typed_answers_help_and_reask(typed, capsys):
    typed("?", "abc", "50", "12")
    answer = interact.input_int("Denoise factor?", 7, valid_range=(1, 20), help_message="Bigger factor - more denoise.")
    assert answer == 12
    out = capsys.readouterr().out
    assert "Bigger factor - more denoise." in out
    assert "'abc' is not a whole number. Try again." in out
    assert "50 is outside 1..20. Try again." in out


def test_typed_empty_answer_takes_default(typed):
    typed("")
    assert interact.input_int("Enter FPS", 0, valid_range=(0, 1000)) == 0
    typed("")
    assert interact.input_bool("Use lossless codec", True) is True
    typed("n")
    assert interact.input_bool("Use lossless codec", True) is False
    typed("2.5")
    assert interact.input_number("Enter FPS", 25.0, valid_range=(1, 1000)) == 2.5
    typed("quick96")
    assert interact.choice("Model", ["SAEHD", "Quick96"]) == "Quick96"


def test_end_of_input_takes_default(monkeypatch):
    monkeypatch.setattr(interact, "is_interactive", lambda: True)

    def eof(prompt=""):
        raise EOFError
    monkeypatch.setattr("builtins.input", eof)
    assert interact.input_int("Enter FPS", 0) == 0


def test_options_make_flags_and_ask(batch):
    opts = [Option("factor", "Denoise factor?", "int", 7, valid_range=(1, 20)),
            Option("lossless", "Use lossless codec", "bool", False),
            Option("output_ext", "Output image format", "str", "png", choices=("png", "jpg"))]
    parser = argparse.ArgumentParser()
    add_options(parser, opts)
    args = parser.parse_args(["--factor", "3", "--output-ext", "jpg"])
    assert ask_options(opts, args) == {"factor": 3, "lossless": False, "output_ext": "jpg"}
    with pytest.raises(UserError):
        ask_options(opts, parser.parse_args(["--factor", "0"]))


def test_videoed_prompts_use_the_original_defaults(batch, repo_root, tmp_path, capsys):
    from mainscripts import VideoEd
    VideoEd.extract_video(repo_root / "workspace" / "data_dst.mp4", tmp_path)
    out = capsys.readouterr().out
    assert "Enter FPS ( 0..1000 ) : 0" in out and "Output image format ( png/jpg ) : png" in out
    assert len(list(tmp_path.glob("*.png"))) == 60
