"""`python -m crm_contracts asyncapi | snapshot | check`: the contract's release tooling."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from crm_contracts.asyncapi import build_document
from crm_contracts.compat import check_snapshots, snapshot_problems
from crm_contracts.registry import all_specs
from crm_contracts.schemas import SNAPSHOT_DIR, export_all


def main(argv: list[str] | None = None) -> int:
    """Run one command; the return value is the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m crm_contracts", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("asyncapi", help="print the AsyncAPI 3.0 document as JSON")
    for name, help_text in (
        ("snapshot", "write the released JSON Schema of every event type"),
        ("check", "exit 1 if a current schema breaks its released snapshot"),
    ):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--dir", type=Path, default=SNAPSHOT_DIR, help="snapshot directory")
    snapshot = commands.choices["snapshot"]
    snapshot.add_argument(
        "--force", action="store_true", help="write even if the change is breaking"
    )
    args = parser.parse_args(argv)

    if args.command == "asyncapi":
        print(json.dumps(build_document(), indent=2, ensure_ascii=False))
        return 0
    if args.command == "snapshot":
        problems = [] if args.force else _breaking(args.dir)
        if problems:
            _report(problems, "refusing to overwrite released snapshots (publish a new vN type)")
            return 1
        for path in export_all(args.dir):
            print(path)
        return 0
    problems = check_snapshots(args.dir)
    if problems:
        _report(problems, "breaking changes against the released snapshots")
        return 1
    print(f"all event schemas are compatible with {args.dir}")
    return 0


def _breaking(directory: Path) -> list[str]:
    # A missing snapshot is what `snapshot` is for; overwriting a broken one rewrites history.
    released = [s.type for s in all_specs() if (directory / f"{s.type}.json").is_file()]
    return [p for t in released for p in snapshot_problems(t, directory)]


def _report(problems: list[str], title: str) -> None:
    print(f"{title}:", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
