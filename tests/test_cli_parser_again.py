"""The parser can be built again and again in one process (the full run failed once with
"conflicting subparser: mail": the import group was found by id(), which a new parser
can reuse after the old one is freed)."""

import gc

from inbox_tui.cli import build_parser


def test_the_parser_builds_again_after_the_old_one_is_freed():
    for _ in range(30):
        parser = build_parser()
        assert [str(p) for p in parser.parse_args(["import", "mail", "x.mbox"]).paths] == ["x.mbox"]
        del parser
        gc.collect()
