"""``python -m a3s_store``: the command line (see ``a3s_store.cli``)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
