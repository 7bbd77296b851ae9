"The console scripts run inside the test process: the same entry points, arguments and exit codes, without the seconds a new interpreter spends importing torch. Tests that need a real process (signals, locks held by another process) start one."
import contextlib, importlib, io, subprocess, sys
from configparser import ConfigParser
from fastcore.script import anno_parser
from readme import ROOT

def _entry_points() -> dict:
    cfg = ConfigParser(delimiters=['=']); cfg.read(ROOT / 'settings.ini')
    return dict(s.split('=') for s in cfg['DEFAULT']['console_scripts'].split())

SCRIPTS = _entry_points()

def _call(main):
    "Call an entry point as its console script does: `fastcore.script.call_parse` functions parse `sys.argv` themselves"
    f = getattr(main, '__wrapped__', None)
    if f is None: return main()
    args = anno_parser(f).parse_args().__dict__
    for k in ('xtra', 'pdb'): args.pop(k, None)
    return f(**args)

def run_cli(prog:str, *args) -> subprocess.CompletedProcess:
    "Run console script `prog` with `args` in this process: its exit code and what it printed"
    module, fn = SCRIPTS[prog].split(':')
    main, out, err, code = getattr(importlib.import_module(module), fn), io.StringIO(), io.StringIO(), 0
    argv = [prog, *map(str, args)]
    old, sys.argv = sys.argv, argv
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err): _call(main)
    except SystemExit as e: code = e.code if isinstance(e.code, int) else int(e.code is not None)
    finally: sys.argv = old
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())
