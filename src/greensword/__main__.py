"""``python -m greensword …``: the same as the ``greensword`` command."""

from .launch import main

main()
