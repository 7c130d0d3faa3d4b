"""One convention for every command: the run folder is --out, choices are listed and checked, one exit table."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from tests.cli.test_graph_cli import error_lines, invoke, run_folder  # noqa: F401  (run_folder: a fixture)
from visualdistance.analysis import communities
from visualdistance.analysis.baselines import BASELINES
from visualdistance.analysis.presets import PRESETS
from visualdistance.cli.main import app

RUN_FOLDER_COMMANDS = ["run", "extract", "link", "communities", "load", "report"]
WIDE = {"COLUMNS": "200", "TERMINAL_WIDTH": "200"}


def help_of(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], env=WIDE)
    # rich wraps long lines inside its boxes: join the text back before looking for a choice
    assert result.exit_code == 0, result.output
    return " ".join(line.strip(" │╭╮╰╯─") for line in result.output.splitlines())


def has_option(text: str, name: str) -> bool:
    """The help names option `name` as a word of its own ("-o" is not found in "--out" or "-oo")."""
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


def test_has_option_does_not_take_a_long_option_for_its_short_one():
    assert not has_option("--out OUT  Run folder", "-o") and has_option("--out  -o  OUT", "-o")


@pytest.mark.parametrize("command", RUN_FOLDER_COMMANDS)
def test_every_command_names_its_run_folder_with_out(command):
    text = help_of(command)
    assert has_option(text, "--out") and has_option(text, "-o")


@pytest.mark.parametrize("command", ["run", "communities", "cluster"])
def test_every_registered_community_algorithm_is_a_choice(command):
    missing = [a for a in communities.ALGORITHMS if not has_option(help_of(command), a)]
    assert not missing, missing


def test_eval_offers_every_preset_and_baseline():
    missing = [m for m in [*PRESETS, *BASELINES] if not has_option(help_of("eval"), m)]
    assert not missing, missing


def test_the_chosen_algorithm_is_the_registered_function_called_with_every_option(run_folder, monkeypatch):
    """A registered algorithm runs as itself (the CLI never falls back to another), with one keyword signature."""
    calls = []
    real = communities.ALGORITHMS["greedy"]

    def spy(n, a, b, weight, **options):
        calls.append(options)
        return real(n, a, b, weight, **options)

    monkeypatch.setitem(communities.ALGORITHMS, "greedy", spy)
    result = invoke("communities", "--out", run_folder, "--algorithm", "greedy", "--seed", "7", env={})
    assert result.exit_code == 0, result.output
    assert calls == [{"objective": communities.OBJECTIVE, "resolution": communities.RESOLUTION, "seed": 7}]


@pytest.mark.parametrize("command", ["run", "extract", "report", "eval"])
def test_workers_means_one_thing_everywhere(command):
    text = help_of(command)
    assert has_option(text, "--workers") and "Cores to use" in text


@pytest.mark.parametrize("command, choices", [
    ("run", [*PRESETS, "leiden", "greedy", "modularity", "cpm"]),
    ("link", list(PRESETS)),
    ("communities", ["leiden", "greedy", "modularity", "cpm"]),
    ("cluster", ["leiden", "greedy", "both", "modularity", "cpm"]),
    ("eval", [*PRESETS, "imagehash-phash"]),
])
def test_help_lists_every_choice(command, choices):
    text = help_of(command)
    missing = [c for c in choices if not re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", text)]
    assert not missing, missing


@pytest.mark.parametrize("args", [
    ["link", "--preset", "nope"],
    ["communities", "--algorithm", "kmeans"],
    ["run", "DIR", "--objective", "surprise"],
])
def test_a_choice_not_listed_is_a_usage_error_before_anything_runs(tmp_path, args):
    result = invoke(*args, "--out", tmp_path / "out", env={})
    assert result.exit_code == 2
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["link", "communities", "load", "report"])
def test_a_folder_that_is_not_a_run_gets_the_same_line_and_status_from_every_command(tmp_path, command):
    result = invoke(command, "--out", tmp_path, env={"NEO4J_URI": "bolt://127.0.0.1:1", "NEO4J_PASSWORD": "x"})
    assert result.exit_code == 1
    assert error_lines(result) == [f"error: {tmp_path} has no panels.csv; run `visualdistance run DIR --out {tmp_path}` first"]


def test_presets_spells_out_each_rule_with_what_it_requires_and_its_gates():
    # wide enough that no rule wraps onto a second line beside the description's
    result = CliRunner().invoke(app, ["presets"], env={**WIDE, "COLUMNS": "320"})
    text = " ".join(line.strip(" │┃") for line in result.output.splitlines())
    assert result.exit_code == 0
    for words in ("layout < 80", "drawing < 0.2", "specific < 0.5", "thin_colours < 0.2",
                  "drawing size (file pixels) >= 64", "same colours"):
        assert words in " ".join(text.split()), words


@pytest.mark.parametrize("command", [[], ["scrape"], ["run"], ["link"], ["cluster"], ["report"], ["eval"]])
def test_flags_show_no_value_placeholder_in_help(command):
    text = help_of(*command)
    assert "<bool>" not in text
    assert "--help" in text


def test_every_value_shown_through_rich_is_escaped_by_one_function():
    # H1 (issue 19): rich reads "[/x]" in a panel id as a closing tag. cli/progress.shown escapes
    # every value from outside; no other module escapes on its own (or forgets to).
    from pathlib import Path

    cli = Path(__file__).resolve().parents[2] / "cli"
    escaping = [p.name for p in cli.glob("*.py") if "rich.markup import escape" in p.read_text()]
    assert escaping == ["progress.py"]
    from visualdistance.cli.progress import shown

    assert shown("a [/x] b\nc") == "a \\[/x] b\\nc"


@pytest.mark.parametrize("args", [
    ["run", "DIR", "--seed", "-1"],
    ["run", "DIR", "--seed", "9223372036854775808"],  # past what Leiden takes: an OverflowError once
    ["run", "DIR", "--resolution", "-0.5"],
    ["run", "DIR", "--resolution", "nan"],
    ["run", "DIR", "-j", "0"],
    ["run", "DIR", "-j", "100000"],
    ["extract", "DIR", "-j", "-2"],
    ["communities", "--seed", "-3"],
    ["report", "--per-page", "0"],
    ["report", "--links-per-cluster", "-1"],
    ["report", "-j", "0"],
    ["load", "--batch-size", "0"],
    ["cluster", "--max-distance", "-1"],
    ["cluster", "--max-distance", "nan"],
    ["cluster", "--top", "-1"],
    ["eval", "DIR", "--labels", "x.csv", "-j", "0"],
])
def test_a_number_out_of_its_range_is_a_usage_error_before_anything_runs(tmp_path, args):
    # H9 (issue 19): every numeric option carries its range, checked by click (exit 2, nothing written)
    args = [str(tmp_path / "in") if a == "DIR" else a for a in args]
    out = [] if args[0] in ("cluster", "eval") else ["--out", str(tmp_path / "out")]
    result = invoke(*args, *out, env={"NEO4J_URI": "bolt://127.0.0.1:1", "NEO4J_PASSWORD": "x"})
    assert result.exit_code == 2, result.output
    assert "Invalid value for" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_every_option_is_defined_in_cli_options_and_shared_ones_once():
    # issue 20: options written inline in commands drifted apart (--corpus three times, -j with two meanings)
    from pathlib import Path

    cli = Path(__file__).resolve().parents[2] / "cli"
    sources = {p.name: p.read_text() for p in cli.glob("*.py")}
    inline = [name for name, text in sources.items() if name != "options.py" and re.search(r"typer\.(Option|Argument)\(", text)]
    # main.py holds the app's own --version, not a command's option: this module imports the registries (and numba
    # with them), which `visualdistance --version` must not (tests/cli/test_main_cli.py)
    assert inline == ["main.py"] and sources["main.py"].count("typer.Option(") == 1
    for name in ("--corpus", "--workers", "--store", "--seed", "--resolution"):
        assert sources["options.py"].count(f'"{name}"') == 1, name


@pytest.mark.parametrize("command", ["run", "extract", "load", "cluster"])
def test_corpus_is_one_option_that_says_each_commands_default(command):
    text = " ".join(help_of(command).split())
    assert has_option(text, "--corpus") and "load takes the one in run.json" in text


def test_no_command_function_is_over_sixty_lines():
    # issue 20: a command wires loader and analysis calls; a long one was domain logic left in the CLI
    import ast
    from pathlib import Path

    cli = Path(__file__).resolve().parents[2] / "cli"
    long = [f"{p.name}:{node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for p in cli.glob("*.py") for node in ast.walk(ast.parse(p.read_text()))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 60]
    assert long == []
