"""The architecture and the documentation, checked: layers stay apart, nothing user-facing is
undocumented, and the two commands lead the README."""

import ast
import re
from pathlib import Path

from core.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
SQL = re.compile(
    r"\b(select|insert|update|delete)\b.+\b(from|into|set)\b|\bcreate (table|view)\b", re.IGNORECASE
)


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_core_never_imports_streamlit_or_the_ui():
    offenders = [
        str(path.relative_to(ROOT))
        for path in python_files("core")
        if any(
            module.split(".")[0] in {"streamlit", "ui", "pages"}
            for module in imported_modules(path)
        )
    ]
    assert offenders == []


def test_sql_lives_only_in_core_store():
    offenders = []
    for folder in ("pages", "ui"):
        for path in python_files(folder):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and SQL.search(node.value)
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    offenders += (
        [str((ROOT / "app.py").relative_to(ROOT))]
        if SQL.search((ROOT / "app.py").read_text())
        else []
    )
    assert offenders == []


def test_no_raw_html_anywhere_in_the_ui():
    for path in [ROOT / "app.py", *python_files("pages"), *python_files("ui")]:
        text = path.read_text(encoding="utf-8")
        assert "unsafe_allow_html" not in text, path
        assert "st.html(" not in text, path


def test_every_page_is_routed_and_tested():
    app = (ROOT / "app.py").read_text(encoding="utf-8")
    tests = "\n".join(
        path.read_text(encoding="utf-8") for path in (ROOT / "tests").rglob("test_*.py")
    )
    for page in sorted((ROOT / "pages").glob("*.py")):
        relative = f"pages/{page.name}"
        assert f'st.Page("{relative}"' in app, f"{relative} is not in the menu"
        if page.name != "overview.py":  # the default page: every AppTest run opens it
            assert relative in tests, f"{relative} has no AppTest"


def test_every_cli_command_and_option_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # argparse keeps them here
    for name, command in commands.items():
        assert f"python -m core {name}" in readme, f"command {name} is undocumented"
        for action in command._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert option in readme, f"option {option} of {name} is undocumented"


def test_readme_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme[: readme.index("\n## ", 10) if "\n## " in readme[10:] else len(readme)]
    assert "make run" in first_block and "make test" in first_block


def test_every_streamlit_setting_is_explained():
    lines = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if "=" in line and not line.lstrip().startswith("#"):
            assert lines[number - 1].lstrip().startswith("#"), (
                f"config.toml line {number + 1} has no comment"
            )


def test_generated_stores_are_ignored_by_git():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8")
    for pattern in ("data/*.duckdb", ".venv/", "data/uploads/", ".streamlit/secrets.toml"):
        assert pattern in ignored
