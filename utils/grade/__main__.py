import sys

from utils.grade.cli import main

sys.exit(main())
