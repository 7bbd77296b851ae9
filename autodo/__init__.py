__version__ = "0.1.0"

def __getattr__(name):
    "`autodo.AutoDO`, imported when first asked for, so that `import autodo` (and every command's `--help`) stays light"
    if name == 'AutoDO':
        from .method import AutoDO
        return AutoDO
    raise AttributeError(f"module 'autodo' has no attribute {name!r}")
