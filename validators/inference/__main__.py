import sys

from validators.inference.cli import main

sys.exit(main())
