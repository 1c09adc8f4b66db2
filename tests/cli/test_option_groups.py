"""`OptionGroup`: options several commands take together, declared once (issue 11).

A command with a group parameter shows the group's fields as its own options, where the
parameter stands, and receives one instance of the group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import typer
from click.testing import CliRunner, Result

from copilot.cli.app import build_command
from copilot.cli.common import OptionGroup, with_option_groups


@dataclass(frozen=True)
class Target(OptionGroup):
    """A name to greet and how loudly: the group under test."""

    name: Annotated[str, typer.Argument(metavar="NAME")]
    times: Annotated[int, typer.Option(metavar="N", help="How often.")] = 1
    loud: Annotated[bool, typer.Option("--loud", help="In capitals.")] = False


received: list[tuple[Target, str]] = []


@with_option_groups
def greet(
    target: Target,
    greeting: Annotated[str, typer.Option(metavar="WORD", help="The word.")] = "hello",
) -> None:
    """Greet NAME."""
    received.append((target, greeting))


def _invoke(*args: str) -> Result:
    received.clear()
    return CliRunner().invoke(build_command("greet", greet), list(args))


def test_the_command_receives_one_instance_of_the_group() -> None:
    done = _invoke("ada", "--times", "3", "--loud", "--greeting", "hi")
    assert done.exit_code == 0, done.output
    assert received == [(Target("ada", times=3, loud=True), "hi")]


def test_the_group_defaults_are_the_options_defaults() -> None:
    done = _invoke("ada")
    assert done.exit_code == 0, done.output
    assert received == [(Target("ada"), "hello")]


def test_the_help_lists_the_fields_where_the_group_stands() -> None:
    text = _invoke("--help").output
    assert "NAME" in text
    assert text.index("--times") < text.index("--loud") < text.index("--greeting")


def test_the_wrapped_command_keeps_its_name_and_help() -> None:
    assert greet.__name__ == "greet"
    assert greet.__doc__ == "Greet NAME."
