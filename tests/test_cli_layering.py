"""The command line's shape: subcommands load lazily, and nothing below the CLI reaches up into it."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import click
import pytest

from analyzer.cli.main import COMMANDS, main

PACKAGE = Path(__file__).resolve().parents[1] / "analyzer"


def test_help_lists_every_command_without_importing_one():
    code = ("import sys\n"
            "from analyzer.cli.main import main\n"
            "try:\n"
            "    main(['--help'], prog_name='analyzer')\n"
            "except SystemExit:\n"
            "    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('analyzer.cli.') and m != 'analyzer.cli.main'),"
            " file=sys.stderr)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert run.stderr.strip() == "[]"
    listed = run.stdout.split("Commands:")[1]
    for name, (_module, summary) in COMMANDS.items():
        assert f"  {name} " in listed and summary.split()[0] in listed


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_listed_module_defines_its_command(name):
    module, _summary = COMMANDS[name]
    importlib.import_module(module)
    cmd = main.commands.get(name)
    assert isinstance(cmd, click.Command), f"{module} does not register `analyzer {name}`"
    assert cmd.callback.__module__ == module


def _command_names(tree: ast.Module) -> list[str]:
    """The names of ``@main.command("name")`` decorators in a module."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "command" \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "main" and node.args \
                and isinstance(node.args[0], ast.Constant):
            names.append(node.args[0].value)
    return names


def test_every_command_in_cli_is_in_the_table():
    for path in sorted((PACKAGE / "cli").glob("*.py")):
        for name in _command_names(ast.parse(path.read_text())):
            assert name in COMMANDS, f"{path.name} defines `analyzer {name}`: add it to COMMANDS in cli/main.py"
            assert COMMANDS[name][0] == f"analyzer.cli.{path.stem}"


def _imports(tree: ast.Module) -> list[str]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append(node.module)
            out += [f"{node.module}.{alias.name}" for alias in node.names]
    return out


def test_nothing_below_the_cli_imports_it():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "cli" or rel.as_posix() == "__main__.py":
            continue
        for name in _imports(ast.parse(path.read_text())):
            if name == "analyzer.cli" or name.startswith("analyzer.cli."):
                offenders.append(f"analyzer/{rel.as_posix()} imports {name}")
    assert offenders == []


def test_unknown_command_is_a_usage_error():
    run = subprocess.run([sys.executable, "-m", "analyzer", "nosuch"], capture_output=True, text=True,
                         timeout=60, check=False)
    assert run.returncode == 2 and "No such command 'nosuch'" in run.stderr
