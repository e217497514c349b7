"""Every program the code and the tests run is installed by setup, or is on every Debian machine.

A fresh machine without `cpio` failed a test with FileNotFoundError: the test ran cpio and setup
never installed it. So this reads what the repository runs, from its Python (subprocess calls,
os.exec*, shutil.which, and /usr/bin/... paths, through `ast`) and from the Makefile's recipes,
and requires each program to be one setup installs (SYSTEM_TOOLS_BUILD, SYSTEM_TOOLS_TEST and
every `sitebuild/setup/system_deps.sh NAME` in the Makefile) or one of programs_allowlist.yml, each
with its reason. An unlisted program fails the test naming the file and line that runs it.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sitebuild.checks import reasoned_list
from sitebuild.project import REPO
from sitebuild.setup import programs

ALLOWLIST = Path(__file__).with_name("programs_allowlist.yml")
PYTHON_DIRS = ("bench", "diagrams", "hooks", "scripts", "sitebuild", "tests")
# Calls that start a program, by module; their first argument (or `args=`) is the command.
STARTERS = {
    "subprocess": {"run", "Popen", "call", "check_call", "check_output", "getoutput"},
    "os": {"execv", "execve", "execvp", "execvpe", "execl", "execle", "execlp", "execlpe"}
    | {"spawnv", "spawnve", "spawnvp", "spawnl", "spawnlp", "posix_spawn", "posix_spawnp"},
    "asyncio": {"create_subprocess_exec", "create_subprocess_shell"},
    "shutil": {"which"},
    "pty": {"spawn"},
}
SYSTEM_PATH = re.compile(r"^/(?:usr/(?:local/)?)?s?bin/([\w.+-]+)$")
PROGRAM = re.compile(r"^[A-Za-z0-9][\w.+-]*$")
# Shell words that are not programs: keywords and builtins of sh (POSIX) and bash.
SHELL_WORDS = frozenset(
    [
        "if",
        "then",
        "else",
        "elif",
        "fi",
        "for",
        "in",
        "do",
        "done",
        "while",
        "until",
        "case",
        "esac",
        "function",
        "!",
        "{",
        "}",
        "[",
        "[[",
        "]]",
        "test",
        "echo",
        "printf",
        "exit",
        "cd",
        "true",
        "false",
        "set",
        "export",
        "unset",
        ":",
        "local",
        "return",
        "shift",
        "read",
        "eval",
        "exec",
        ".",
        "source",
        "wait",
        "trap",
        "break",
        "continue",
        "command",
        "type",
    ]
)
BEFORE_A_COMMAND = frozenset(
    ["if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "exec"]
)


@dataclass(frozen=True)
class Use:
    program: str
    path: Path
    line: int

    def __str__(self) -> str:
        where = self.path.relative_to(REPO) if self.path.is_relative_to(REPO) else self.path
        return f"{where}:{self.line}: runs {self.program}"


def program_of(word: str) -> str | None:
    """The program a command's first word names, or None for a file of the repository or venv."""
    if match := SYSTEM_PATH.match(word):
        return match[1]
    return word if PROGRAM.match(word) else None


# --- Python ----------------------------------------------------------------------------------


class Module:
    """One Python file: its assignments and imports, to follow a command held in a name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        self.values: dict[str, list[ast.expr]] = {}
        self.imported: dict[str, tuple[str, str]] = {}  # local name -> (module, name)
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.values.setdefault(target.id, []).append(node.value)
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                if isinstance(node.target, ast.Name):
                    self.values.setdefault(node.target.id, []).append(node.value)
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    self.imported[alias.asname or alias.name] = (node.module, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.imported[alias.asname or alias.name] = (alias.name, "")

    def starter(self, call: ast.Call) -> str | None:
        """'subprocess.run' (however imported) if `call` starts a program, else None."""
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            module = self.imported.get(func.value.id, (func.value.id, ""))[0]
            name = func.attr
        elif isinstance(func, ast.Name) and func.id in self.imported:
            module, name = self.imported[func.id]
        else:
            return None
        return f"{module}.{name}" if name in STARTERS.get(module, ()) else None


_modules: dict[Path, Module] = {}


def module(path: Path) -> Module:
    if path not in _modules:
        _modules[path] = Module(path)
    return _modules[path]


def first_words(mod: Module, node: ast.expr | None, depth: int = 0) -> set[str]:
    """The words a command expression can start with, as far as the source says (a value
    computed at run time, such as sys.executable, gives none)."""
    if node is None or depth > 8:
        return set()
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        words = node.value.split()
        return {words[0]} if words else set()
    if isinstance(node, ast.List | ast.Tuple) and node.elts:
        first = node.elts[0]
        return first_words(mod, first.value if isinstance(first, ast.Starred) else first, depth + 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return first_words(mod, node.left, depth + 1)
    if isinstance(node, ast.IfExp):
        return first_words(mod, node.body, depth + 1) | first_words(mod, node.orelse, depth + 1)
    if isinstance(node, ast.Call) and node.args:
        name = ast.unparse(node.func)
        if name in {"str", "Path", "os.fspath", "shutil.which", "PurePath", "programs.require"}:
            return first_words(mod, node.args[0], depth + 1)
        return set()
    if isinstance(node, ast.Name):
        if node.id in mod.values:
            return set().union(*(first_words(mod, v, depth + 1) for v in mod.values[node.id]))
        if node.id in mod.imported:
            source, name = mod.imported[node.id]
            other = REPO / Path(*source.split(".")).with_suffix(".py")
            if other.is_file():
                target = module(other)
                values = target.values.get(name, [])
                return set().union(*(first_words(target, v, depth + 1) for v in values))
    return set()


def python_uses(path: Path) -> Iterator[Use]:
    mod = module(path)
    for node in ast.walk(mod.tree):
        if isinstance(node, ast.Call) and mod.starter(node):
            command = node.args[0] if node.args else None
            command = command or next((k.value for k in node.keywords if k.arg == "args"), None)
            for word in first_words(mod, command):
                if program := program_of(word):
                    yield Use(program, path, node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = SYSTEM_PATH.match(node.value)
            if match:
                yield Use(match[1], path, node.lineno)


def python_files() -> list[Path]:
    return sorted(p for d in PYTHON_DIRS for p in (REPO / d).rglob("*.py"))


# --- Makefile --------------------------------------------------------------------------------


def recipes(makefile: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of each recipe command, continuation lines joined, and each $(shell ...)."""
    lines = makefile.read_text(encoding="utf-8").splitlines()
    number = 0
    while number < len(lines):
        start, text = number + 1, lines[number]
        while text.endswith("\\") and number + 1 < len(lines):
            number += 1
            text = text[:-1] + " " + lines[number].lstrip("\t")
        number += 1
        if text.startswith("\t"):
            yield start, text.lstrip("\t").lstrip("@-+")
        for shell in re.findall(r"\$\(shell ([^)]*)\)", text):
            yield start, shell


def command_words(recipe: str) -> Iterator[str]:
    """The first word of each simple command of a shell line (after `;`, `&&`, `|`, keywords
    and VAR=value assignments); make's own $(VARIABLES) are left out, except $(MAKE)."""
    text = re.sub(r"\$\([^()]*\)", "MAKEVAR", recipe.replace("$(MAKE)", "make"))
    text = re.sub(
        r"\d*[<>]{1,2}&?\s*\S+", " ", text
    )  # redirections (>&2, 2>/dev/null) name no program
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()")
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:  # a quote closed on a later line of a make define: words are enough
        tokens = text.split()
    expect, loop_header = True, False
    for token in tokens:
        if token and set(token) <= set(";&|()"):
            expect, loop_header = True, False
        elif loop_header or not expect:
            continue
        elif token in {"for", "case"}:  # `for NAME in WORDS`: no command until the `;`
            loop_header = True
        elif token in SHELL_WORDS or re.match(r"^\w+=", token):
            expect = token in BEFORE_A_COMMAND or "=" in token
        else:
            expect = False
            if "$" not in token and "MAKEVAR" not in token:
                yield token


def makefile_uses(makefile: Path) -> Iterator[Use]:
    for line, recipe in recipes(makefile):
        for word in command_words(recipe):
            if program := program_of(word):
                yield Use(program, makefile, line)


def installed_by_setup(makefile: Path) -> set[str]:
    """The tools setup installs: SYSTEM_TOOLS_* and each `sitebuild/setup/system_deps.sh NAME`."""
    text = re.sub(r"\\\n\s*", " ", makefile.read_text(encoding="utf-8"))  # join continued lines
    variables = dict(re.findall(r"^(SYSTEM_TOOLS_\w+) := (.*)$", text, re.MULTILINE))
    names = set()
    for value in variables.values():
        names |= set(re.sub(r"\$\(SYSTEM_TOOLS_\w+\)", "", value).split())
    for args in re.findall(r"sitebuild/setup/system_deps\.sh ([^\n;|&]*)", text):
        names |= {a for a in args.split() if "$" not in a}
    return names


def unlisted(uses: list[Use], setup: set[str], allowed: set[str]) -> list[str]:
    return sorted({str(u) for u in uses if u.program not in setup | allowed})


# --- the checks ------------------------------------------------------------------------------


def allowlist() -> dict[str, reasoned_list.Entry]:
    return {e["program"]: e for e in reasoned_list.load(ALLOWLIST, ["program", "reason"])}


def all_uses() -> list[Use]:
    uses = [u for p in python_files() for u in python_uses(p)]
    return uses + list(makefile_uses(REPO / "Makefile"))


def test_every_program_run_is_installed_by_setup_or_on_every_debian() -> None:
    uses = all_uses()
    assert {"git", "qemu-system-x86_64", "java", "make", "node"} <= {u.program for u in uses}
    setup = installed_by_setup(REPO / "Makefile")
    missing = unlisted(uses, setup, set(allowlist()))
    assert not missing, (
        "programs that setup does not install: add each to SYSTEM_TOOLS_TEST (Makefile) with its"
        " Debian package in sitebuild/setup/system_deps.sh, or to"
        " tests/setup/programs_allowlist.yml"
        " with the reason every machine has it:\n" + "\n".join(missing)
    )


def test_every_allowlisted_program_is_still_run_and_not_installed_by_setup() -> None:
    used = {u.program for u in all_uses()}
    setup = installed_by_setup(REPO / "Makefile")
    for program, entry in allowlist().items():
        if program not in used:
            raise entry.fail(f"{program} is run nowhere any more", "remove the entry")
        if program in setup:
            raise entry.fail(f"{program} is installed by setup", "remove the entry")


def test_a_program_setup_does_not_install_is_named_with_file_and_line(tmp_path: Path) -> None:
    code = tmp_path / "tool.py"
    code.write_text(
        "import subprocess\nfrom subprocess import run as go\n\nCPIO = '/usr/bin/cpio'\n"
        "ARGV = ['pax', '-r']\n\n\ndef read(path):\n"
        "    subprocess.run([CPIO, '-t'], check=True)\n"
        "    go(ARGV + [path])\n"
        "    subprocess.check_output('rpm2cpio x.rpm', shell=True)\n"
        "    subprocess.run([sys.executable, '-m', 'pytest'])\n"
    )
    makefile = tmp_path / "Makefile"
    makefile.write_text(
        "SYSTEM_TOOLS_BUILD := dot\nSYSTEM_TOOLS_TEST := $(SYSTEM_TOOLS_BUILD) rsync\n"
        "EPOCH := $(shell git log -1)\n"
        "x:\n\t@sitebuild/setup/system_deps.sh nginx\n"
        '\tfor f in a; do echo "a; b" && VAR=1 xz -d $$f || exit 1; done\n'
        "\t$(PY) -m pytest | tee log\n"
    )
    found = [str(u).replace(f"{tmp_path}/", "") for u in python_uses(code)]
    found += [str(u).replace(f"{tmp_path}/", "") for u in makefile_uses(makefile)]
    _modules.clear()
    assert sorted(found) == [
        "Makefile:3: runs git",
        "Makefile:6: runs xz",
        "Makefile:7: runs tee",
        "tool.py:10: runs pax",
        "tool.py:11: runs rpm2cpio",
        "tool.py:4: runs cpio",
        "tool.py:9: runs cpio",
    ]
    assert installed_by_setup(makefile) == {"dot", "rsync", "nginx"}


def test_setup_names_a_debian_package_for_each_tool_and_a_missing_one_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert programs.debian_package("qemu-system-x86_64") == "qemu-system-x86"
    assert programs.debian_package("pgrep") == "procps"
    assert programs.debian_package("cpio") == "cpio"
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(programs.ProgramMissing) as error:
        programs.require("pgrep")
    assert str(error.value).splitlines() == [
        "pgrep is not installed; install the Debian package procps (`make setup-test` does)"
    ]
