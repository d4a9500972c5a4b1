"""`python -m it4it_operator.cli`: the same as the `it4it` command."""

import sys

from it4it_operator.cli import main

sys.exit(main())
