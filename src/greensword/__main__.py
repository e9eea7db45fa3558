"""``python -m greensword …``: the same as the ``greensword`` command."""

from .launch import main

# guarded so that importing every module (the rules-file test walks the package) runs nothing
if __name__ == "__main__":
    main()
