"""The public API: ``annotkit.__all__`` is complete, sorted and importable."""

from __future__ import annotations

import annotkit


def test_exported_members_all_sorted_and_importable() -> None:
    assert annotkit.__all__ == sorted(annotkit.__all__)
    for name in annotkit.__all__:
        assert hasattr(annotkit, name), name


def test_exported_members_complete() -> None:
    import importlib

    importlib.reload(annotkit)  # forget lazily imported names
    public = {n for n in vars(annotkit) if not n.startswith("_")} - {"annotations"}
    modules = {n for n in public if type(getattr(annotkit, n)).__name__ == "module"}
    lazy = set(annotkit._LAZY)
    assert (public - modules) | lazy == set(annotkit.__all__) - {"__version__"}
